#pragma once
/// @file rounded_case.h
/// A case carried over into another float dtype with its values rounded to it (a half twin of a float32 case).

#include <algorithm>
#include <cmath>

#include "losscheck/case.h"
#include "losscheck/dtype_traits.h"
#include "losscheck/tensor.h"

namespace losscheck {

/// `c` in float dtype `type` (with_dtype) with every float value of its inputs and grad_output rounded to `type`,
/// to nearest, ties to even; a finite value beyond the dtype's range saturates at ±max (float16 ends at 65504: a
/// non-finite value is the case's choice, not a side effect of the rounding).
inline loss_case with_dtype_rounded(const loss_case& c, dtype type) {
  loss_case out = with_dtype(c, type);
  const double max = dtype_traits(type).max_finite;
  auto round = [&](tensor& t) {
    for (auto& v : t.values) v = round_to(type, std::isfinite(v) ? std::clamp(v, -max, max) : v);
  };
  for (auto& [name, t] : out.inputs)
    if (t.is_floating()) round(t);
  if (out.grad_output) round(*out.grad_output);
  return out;
}

}  // namespace losscheck
