// triplet_margin_loss's part of the diagnosis (loss_properties.h, loss_diagnosis): swap ignored, eps added to the
// norm instead of the difference, margin ignored.

#include "../loss_properties.h"

namespace losscheck::properties {
namespace triplet_margin_loss_diagnosis_helpers {
namespace {

double number_or(const loss_case& c, const char* name, double fallback) {
  auto it = c.options.find(name);
  if (it == c.options.end()) return fallback;
  if (const auto* d = std::get_if<double>(&it->second)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&it->second)) return static_cast<double>(*i);
  return fallback;
}

void mistakes(const mistake_context& m) {
  auto it = m.c.options.find("swap");
  if (it != m.c.options.end() && std::holds_alternative<bool>(it->second) && std::get<bool>(it->second)) {
    loss_case d = m.c;
    d.options["swap"] = false;
    m.add_case("ignores `swap` (uses d(a, n) where torch uses min(d(a, n), d(p, n)))", "bug", d);
  }
  // ‖x − y‖ + eps instead of ‖x − y + eps‖: the two eps cancel in d(a, p) − d(a, n) (and min(d_an, d_pn) + eps
  // = min(d_an + eps, d_pn + eps)), so the answer is exactly the loss with eps = 0, gradients included.
  if (number_or(m.c, "eps", 1e-6) != 0) {
    loss_case d = m.c;
    d.options["eps"] = 0.0;
    m.add_case("adds eps to the norm instead of to the difference (d = ‖x − y‖_p + eps, which equals ignoring eps)",
               "bug", d);
  }
  if (number_or(m.c, "margin", 1.0) != 0) {
    loss_case d = m.c;
    d.options["margin"] = -number_or(m.c, "margin", 1.0);
    m.add_case("subtracts `margin` instead of adding it", "bug", d);
  }
}

}  // namespace
}  // namespace triplet_margin_loss_diagnosis_helpers

loss_diagnosis triplet_margin_loss_diagnosis() { using namespace ::losscheck::properties::triplet_margin_loss_diagnosis_helpers; return {.mistakes = mistakes}; }

}  // namespace losscheck::properties
