// smooth_l1_loss's part of the diagnosis (loss_properties.h, loss_diagnosis): the beta convention (huber_loss
// computed instead: beta times torch's answer), beta ignored.

#include "../loss_properties.h"
#include "../support.h"

namespace losscheck::properties {
namespace smooth_l1_loss_diagnosis_helpers {
namespace {

double beta_of(const loss_case& c) {
  const auto it = c.options.find("beta");
  if (it == c.options.end()) return 1.0;
  if (const auto* d = std::get_if<double>(&it->second)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&it->second)) return static_cast<double>(*i);
  return 1.0;
}

void mistakes(const mistake_context& m) {
  const double beta = beta_of(m.c);
  if (beta > 0 && beta != 1.0) {
    // huber_loss(delta = beta) = beta · smooth_l1_loss(beta): the other convention of the same kink (identical at 1)
    loss_case h = m.c;
    h.loss = "huber_loss";
    h.options.erase("beta");
    h.options.erase("size_average");
    h.options.erase("reduce");
    h.options["reduction"] = detail::effective_reduction(m.c);
    h.options["delta"] = beta;
    m.add_case("computes huber_loss(delta = beta): beta times torch's smooth_l1_loss (the L1 part not divided by "
               "beta's scale)", "convention", h);
  }
  if (beta != 1.0) {  // beta = 0 too: the quadratic part at beta = 1 is then a mistake
    loss_case d = m.c;
    d.options.erase("beta");
    m.add_case("ignores `beta` (uses 1.0)", "bug", d);
  }
}

}  // namespace
}  // namespace smooth_l1_loss_diagnosis_helpers

loss_diagnosis smooth_l1_loss_diagnosis() { using namespace ::losscheck::properties::smooth_l1_loss_diagnosis_helpers; return {.mistakes = mistakes}; }

}  // namespace losscheck::properties
