#pragma once
// Private to impl: the last step of a half-precision evaluation (impl.cpp), rounding its float32 results to the
// half dtype, vectorized.

#include <vector>

#include "losscheck/tensor.h"

namespace losscheck::impl {

/// Rounds each of `values` — float32 values held as doubles — to `type` (bfloat16 or float16): to nearest, ties to
/// even, subnormals kept, overflow to ±inf, NaN kept. The same values as core's round_to(type, v), eight at a time:
/// bfloat16 by integer rounding of the float32 bits (both builds), float16 with the F16C conversion instructions where
/// the CPU has them (else element by element through round_to).
void round_float32_values_to_half(std::vector<double>& values, dtype type);

}  // namespace losscheck::impl
