#pragma once
/// @file class_index.h
/// Private to the reference: what nll_loss and cross_entropy share for class-index targets — the bounds check torch
/// makes and the positions of a (C), (N, C) or (N, C, d1..dk) input (problem.h's class_layout).

#include <fmt/format.h>

#include <cstdint>
#include <string_view>

#include "losscheck/error.h"
#include "losscheck/problem.h"
#include "losscheck/tensor.h"

namespace losscheck::reference::detail {

/// Every target that is not `ignore_index` must lie in [0, classes) (LossNLL.cpp: "Target 5 is out of bounds.");
/// ignored positions are skipped before the check, whatever ignore_index is. Throws loss_error for the first bad one.
inline void check_class_targets(std::string_view loss, const tensor& target, std::int64_t classes,
                                std::int64_t ignore_index) {
  for (const auto t : target.ints)
    if (t != ignore_index && (t < 0 || t >= classes))
      throw loss_error(fmt::format("{}: target {} is out of bounds for {} classes", loss, t, classes));
}

/// Linear index of input element (n, c, k), where row = n * inner + k is the index of target element (n, k).
inline std::size_t input_index(const class_layout& l, std::int64_t row, std::int64_t c) {
  const auto n = row / l.inner;
  const auto k = row % l.inner;
  return static_cast<std::size_t>((n * l.classes + c) * l.inner + k);
}

/// Number of rows (target elements): N * d1 * ... * dk, or 1 for an unbatched (C) input.
inline std::int64_t row_count(const class_layout& l) { return l.batch * l.inner; }

}  // namespace losscheck::reference::detail
