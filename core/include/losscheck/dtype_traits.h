#pragma once
/// @file dtype_traits.h
/// The constants of each float dtype, in one table keyed by dtype: the ULP of 1, the unit roundoff, the smallest
/// normal and subnormal numbers, the largest finite value and its logarithm, the significand digits. Generic code
/// (tolerances, generators, overflow rules) reads them here instead of writing 0x1p-23 or 88.72 at each site; a new
/// float dtype is one more row. Constants only: no arithmetic. tests/core/dtype_traits_test.cpp checks every entry
/// against std::numeric_limits.

#include <array>
#include <string>

#include "losscheck/error.h"
#include "losscheck/tensor.h"

namespace losscheck {

/// The constants of one binary floating-point dtype (IEEE 754 with subnormals), all exact as doubles.
struct float_traits {
  dtype type;
  int significand_digits;   ///< p: significand bits, the implicit one included (24, 53)
  int min_normal_exponent;  ///< e_min: min_normal = 2^e_min (-126, -1022)
  int max_exponent;         ///< e_max: max_finite = (2 - epsilon)·2^e_max (127, 1023)
  double epsilon;           ///< ε = ulp(1) = 2^(1-p) (2^-23, 2^-52)
  double unit_roundoff;     ///< u = ε/2 = 2^-p: the relative error of one rounding to nearest (2^-24, 2^-53)
  double min_normal;        ///< λ = 2^e_min, the smallest positive normal number (2^-126, 2^-1022)
  double min_subnormal;     ///< 2^(e_min + 1 - p), the smallest positive subnormal number (2^-149, 2^-1074)
  double max_finite;        ///< the largest finite value (FLT_MAX, DBL_MAX)
  /// log(max_finite) rounded to nearest in the dtype: exp's overflow threshold as the dtype holds it
  /// (88.72283935546875, 709.782712893384). float32's lies just above log(FLT_MAX), so expf overflows there.
  double log_max_finite;
};

/// Every float dtype, one row each. The half dtypes: bfloat16 (float32's exponent range with 8 significand bits;
/// log(max) = 88.7189 rounds to 88.5) and float16 (IEEE binary16; log(65504) = 11.0899 rounds to 11.09375).
inline constexpr std::array<float_traits, 4> float_dtypes = {{
    {dtype::float32, 24, -126, 127, 0x1p-23, 0x1p-24, 0x1p-126, 0x1p-149, 0x1.fffffep+127, 0x1.62e43p+6},
    {dtype::float64, 53, -1022, 1023, 0x1p-52, 0x1p-53, 0x1p-1022, 0x1p-1074, 0x1.fffffffffffffp+1023,
     0x1.62e42fefa39efp+9},
    {dtype::bfloat16, 8, -126, 127, 0x1p-7, 0x1p-8, 0x1p-126, 0x1p-133, 0x1.fep+127, 0x1.62p+6},
    {dtype::float16, 11, -14, 15, 0x1p-10, 0x1p-11, 0x1p-14, 0x1p-24, 0x1.ffcp+15, 0x1.63p+3},
}};

/// The constants of float dtype `type`. Throws loss_error for a dtype that is not a float (int64).
constexpr const float_traits& dtype_traits(dtype type) {
  for (const auto& row : float_dtypes)
    if (row.type == type) return row;
  throw loss_error("dtype_traits: " + std::string(to_string(type)) + " is not a float dtype (valid: float32, float64, bfloat16, float16)");
}

}  // namespace losscheck
