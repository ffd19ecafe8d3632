// huber_loss's part of the diagnosis (loss_properties.h, loss_diagnosis): the delta convention (smooth_l1_loss
// computed instead: torch's answer divided by delta), delta ignored.

#include "../loss_properties.h"

namespace losscheck::properties {
namespace huber_loss_diagnosis_helpers {
namespace {

double delta_of(const loss_case& c) {
  const auto it = c.options.find("delta");
  if (it == c.options.end()) return 1.0;
  if (const auto* d = std::get_if<double>(&it->second)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&it->second)) return static_cast<double>(*i);
  return 1.0;
}

void mistakes(const mistake_context& m) {
  const double delta = delta_of(m.c);
  if (delta != 1.0) {
    // smooth_l1_loss(beta = delta) = huber_loss(delta) / delta: the other convention of the same kink
    loss_case s = m.c;
    s.loss = "smooth_l1_loss";
    s.options.erase("delta");
    s.options["beta"] = delta;
    m.add_case("computes smooth_l1_loss(beta = delta): torch's huber_loss divided by delta", "convention", s);
    loss_case d = m.c;
    d.options.erase("delta");
    m.add_case("ignores `delta` (uses 1.0)", "bug", d);
  }
}

}  // namespace
}  // namespace huber_loss_diagnosis_helpers

loss_diagnosis huber_loss_diagnosis() { using namespace ::losscheck::properties::huber_loss_diagnosis_helpers; return {.mistakes = mistakes}; }

}  // namespace losscheck::properties
