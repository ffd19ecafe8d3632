#pragma once
/// @file class_layout.h
/// The layout of a class-dimension input, shared by the losses with class-index targets. No arithmetic.

#include <cstdint>

#include "losscheck/tensor.h"

namespace losscheck {

/// Layout of a class-dimension input (C), (N, C) or (N, C, d1, ..., dk): element (n, c, k) of the input is at
/// (n * classes + c) * inner + k; target element (n, k) at n * inner + k (k runs over d1..dk row-major).
struct class_layout {
  std::int64_t batch = 1;    ///< N (1 when unbatched)
  std::int64_t classes = 0;  ///< C
  std::int64_t inner = 1;    ///< d1 * ... * dk
  bool unbatched = false;    ///< input was (C)
  shape_t none_shape;        ///< shape of the `none` output: () or (N) or (N, d1..dk)
};

}  // namespace losscheck
