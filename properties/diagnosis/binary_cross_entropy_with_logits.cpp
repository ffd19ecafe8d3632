// binary_cross_entropy_with_logits's part of the diagnosis (loss_properties.h, loss_diagnosis): log(1 + exp(-x)) without the stable form.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "losscheck/dtype_traits.h"
#include "../loss_properties.h"
#include "../support.h"

namespace losscheck::properties {
namespace binary_cross_entropy_with_logits_diagnosis_helpers {
namespace {

/// The largest and smallest finite value of c's input "input" (hi < lo when there is none).
std::pair<double, double> finite_range(const tensor& in) {
  double hi = -INFINITY, lo = INFINITY;
  for (double v : in.values)
    if (std::isfinite(v)) hi = std::max(hi, v), lo = std::min(lo, v);
  return {lo, hi};
}

double max_log(dtype type) { return dtype_traits(type).log_max_finite; }

std::string overflow_explanation(const loss_case& c) {
  const tensor* in = c.input("input");
  if (!in || in->type == dtype::int64) return "";
  const auto [lo, hi] = finite_range(*in);
  if (std::max(hi, -lo) > max_log(c.type))
    return fmt::format("exp({}) overflows {}: consistent with log(1 + exp(-x)) computed without the stable form",
                       std::max(hi, -lo), to_string(c.type));
  return "";
}

}  // namespace
}  // namespace binary_cross_entropy_with_logits_diagnosis_helpers

loss_diagnosis binary_cross_entropy_with_logits_diagnosis() { using namespace ::losscheck::properties::binary_cross_entropy_with_logits_diagnosis_helpers; return {.overflow_explanation = overflow_explanation}; }

}  // namespace losscheck::properties
