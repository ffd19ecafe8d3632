#pragma once
/// @file class_targets.h
/// What nll_loss and cross_entropy share: the layout of a class-dimension input and the checks of class-index
/// targets.

#include <cstdint>

namespace losscheck::impl {

/// A class-dimension input (C), (N, C) or (N, C, d1, ..., dk) seen as (batch, classes, inner): element (n, c, k) is at
/// (n * classes + c) * inner + k, and the target of position (n, k) at n * inner + k. An unbatched (C) input is
/// (1, C, 1).
struct class_dims {
  std::int64_t batch = 1;
  std::int64_t classes = 0;
  std::int64_t inner = 1;

  /// Number of (n, k) positions, i.e. of targets and of `none` outputs.
  std::int64_t positions() const { return batch * inner; }
};

/// The index of the first target that is neither `ignore_index` nor in [0, classes), or -1. torch checks ignored
/// positions first, so ignore_index may be any integer (LossNLL.cpp: "Target 5 is out of bounds.").
inline std::int64_t find_invalid_class_target(const std::int64_t* target, std::int64_t count, std::int64_t classes,
                                              std::int64_t ignore_index) {
  for (std::int64_t i = 0; i < count; ++i)
    if (target[i] != ignore_index && (target[i] < 0 || target[i] >= classes)) return i;
  return -1;
}

}  // namespace losscheck::impl
