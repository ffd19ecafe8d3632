// hinge_embedding_loss's part of the diagnosis (loss_properties.h, loss_diagnosis): margin ignored, and targets that
// are neither 1 nor -1 read as 1 or -1 (torch adds both branches for them).

#include "../loss_properties.h"

namespace losscheck::properties {
namespace hinge_embedding_loss_diagnosis_helpers {
namespace {

void mistakes(const mistake_context& m) {
  auto it = m.c.options.find("margin");
  if (it != m.c.options.end() && std::holds_alternative<double>(it->second) && std::get<double>(it->second) != 1) {
    loss_case d = m.c;
    d.options.erase("margin");
    m.add_case("ignores `margin` (uses 1)", "bug", d);
  }
  const tensor* y = m.c.input("target");
  if (!y) return;
  bool other = false;
  if (y->type == dtype::int64) {
    for (auto v : y->ints) other |= v != 1 && v != -1;
  } else {
    for (double v : y->values) other |= v != 1 && v != -1;
  }
  if (!other) return;
  // a target that is neither read as 1 (only the x term) or as -1 (only the hinge)
  for (const double as : {1.0, -1.0}) {
    loss_case d = m.c;
    tensor& t = d.inputs["target"];
    if (t.type == dtype::int64) {
      for (auto& v : t.ints)
        if (v != 1 && v != -1) v = static_cast<std::int64_t>(as);
    } else {
      for (auto& v : t.values)
        if (v != 1 && v != -1) v = as;
    }
    m.add_case(as > 0 ? "reads a target that is neither 1 nor -1 as 1 (torch adds both branches for it)"
                      : "reads a target that is neither 1 nor -1 as -1 (torch adds both branches for it)",
               "convention", d);
  }
}

}  // namespace
}  // namespace hinge_embedding_loss_diagnosis_helpers

loss_diagnosis hinge_embedding_loss_diagnosis() { using namespace ::losscheck::properties::hinge_embedding_loss_diagnosis_helpers; return {.mistakes = mistakes}; }

}  // namespace losscheck::properties
