#pragma once
// Private to impl: the denominator of the weighted mean of nll_loss and cross_entropy with class-index targets.

#include <cstdint>

#include "accumulate.h"

namespace losscheck::impl {

/// W = sum of weight[y_i] over the targets y_i that are not ignore_index (their count when weight is nullptr). torch's
/// `mean` divides by W (LossNLL.cpp total_weight), so W = 0 (all ignored, or zero weights) makes the mean NaN.
/// Targets must be valid (find_invalid_class_target).
template <class T>
double total_class_weight(const std::int64_t* target, std::int64_t count, const T* weight, std::int64_t ignore_index) {
  sum_accumulator<T> total;
  for (std::int64_t i = 0; i < count; ++i)
    if (target[i] != ignore_index) total.add(weight ? static_cast<double>(weight[target[i]]) : 1.0);
  return total.value();
}

}  // namespace losscheck::impl
