// binary_cross_entropy's part of the diagnosis (loss_properties.h, loss_diagnosis): its logs at 0 and 1 (torch clamps them at -100).

#include <fmt/format.h>

#include <cmath>

#include "../loss_properties.h"
#include "../support.h"

namespace losscheck::properties {
namespace binary_cross_entropy_diagnosis_helpers {
namespace {

std::string overflow_explanation(const loss_case& c) {
  const tensor* in = c.input("input");
  const tensor* t = c.input("target");
  if (!in || in->type == dtype::int64) return "";
  for (std::size_t i = 0; t && i < in->values.size() && i < t->values.size(); ++i) {
    const double p = in->values[i], y = t->values[i];
    if ((p == 0 && y != 0) || (p == 1 && y != 1))
      return fmt::format("input[{}] = {} with target {}: the exact loss is infinite, torch clamps its logs at -100",
                         i, p, y);
    if (p == 0 || p == 1)
      return fmt::format("input[{}] = {} with target {}: consistent with 0·log(0) computed as NaN", i, p, y);
  }
  return "";
}

}  // namespace
}  // namespace binary_cross_entropy_diagnosis_helpers

loss_diagnosis binary_cross_entropy_diagnosis() { using namespace ::losscheck::properties::binary_cross_entropy_diagnosis_helpers; return {.overflow_explanation = overflow_explanation}; }

}  // namespace losscheck::properties
