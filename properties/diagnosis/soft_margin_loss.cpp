// soft_margin_loss's part of the diagnosis (loss_properties.h, loss_diagnosis): the sign of the margin flipped, and
// log(1 + exp(-y x)) evaluated literally (as torch does) where exp overflows.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "losscheck/dtype_traits.h"
#include "../loss_properties.h"

namespace losscheck::properties {
namespace soft_margin_loss_diagnosis_helpers {
namespace {

void mistakes(const mistake_context& m) {
  loss_case d = m.c;
  for (auto& v : d.inputs["target"].values) v = -v;
  m.add_case("computes log(1 + exp(y x)): the sign of the margin y x flipped", "bug", d);
}

/// The largest finite -y x over the case (the target broadcast to the input), or -inf.
double largest_margin_exponent(const loss_case& c) {
  const tensor* x = c.input("input");
  const tensor* y = c.input("target");
  if (!x || !y || !x->is_floating() || !y->is_floating()) return -INFINITY;
  double hi = -INFINITY;
  broadcast_walker w(y->shape, x->shape);
  for (std::size_t i = 0; i < x->values.size(); ++i, w.next()) {
    const double z = -y->values[static_cast<std::size_t>(w.offset())] * x->values[i];
    if (std::isfinite(x->values[i]) && std::isfinite(z)) hi = std::max(hi, z);
  }
  return hi;
}

std::string overflow_explanation(const loss_case& c) {
  const double z = largest_margin_exponent(c);
  if (z > dtype_traits(c.type).log_max_finite)
    return fmt::format("exp(-y x) = exp({}) overflows {}: consistent with log(1 + exp(-y x)) and y exp(-y x) / (1 + "
                       "exp(-y x)) evaluated literally, as torch 1.13 does (docs/torch-quirks.md)",
                       z, to_string(c.type));
  return "";
}

}  // namespace
}  // namespace soft_margin_loss_diagnosis_helpers

loss_diagnosis soft_margin_loss_diagnosis() { using namespace ::losscheck::properties::soft_margin_loss_diagnosis_helpers; return {.mistakes = mistakes, .overflow_explanation = overflow_explanation}; }

}  // namespace losscheck::properties
