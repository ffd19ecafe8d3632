// multi_margin_loss's part of the diagnosis (loss_properties.h, loss_diagnosis): the divisor C left out, the weight of
// each class j taken instead of w[y], p = 2 computed as p = 1, margin ignored.

#include <fmt/format.h>

#include "../loss_properties.h"

namespace losscheck::properties {
namespace multi_margin_loss_diagnosis_helpers {
namespace {

void mistakes(const mistake_context& m) {
  const loss_case& c = m.c;
  const tensor* x = c.input("input");
  if (!x) return;
  const std::int64_t C = x->dim() == 0 ? 1 : x->shape.back();
  // Σ_j w[y] max(0, z_j)^p without the division by C: the reference's answer times C
  if (C > 1) {
    try {
      loss_result v = m.reference.evaluate(c);
      if (v.ok())
        m.add({fmt::format("does not divide by C = {} (the number of classes)", C), "convention",
               scale_result(v, static_cast<long double>(C), c.type),
               scale_tolerance(check::tolerance_for(c), static_cast<double>(C), 2)});
    } catch (const std::exception&) {
      // the reference or the tolerance model rejects the case: the mistake cannot be evaluated here
    }
  }
  if (auto it = c.options.find("p"); it != c.options.end() && it->second == option_value{std::int64_t{2}}) {
    loss_case d = c;
    d.options["p"] = std::int64_t{1};
    m.add_case("ignores `p` (computes the p = 1 hinge)", "bug", d);
  }
  if (auto it = c.options.find("margin"); it != c.options.end() && it->second != option_value{1.0}) {
    loss_case d = c;
    d.options.erase("margin");
    m.add_case("ignores `margin` (uses 1)", "bug", d);
  }
}

}  // namespace
}  // namespace multi_margin_loss_diagnosis_helpers

loss_diagnosis multi_margin_loss_diagnosis() { using namespace ::losscheck::properties::multi_margin_loss_diagnosis_helpers; return {.mistakes = mistakes}; }

}  // namespace losscheck::properties
