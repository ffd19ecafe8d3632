// Tests of losscheck/dtype_traits.h. Expected values come from the C++ library, independently of the table's
// hand-written hex constants: std::numeric_limits of float and double, and the logarithm of the largest finite value
// in long double, rounded to nearest in the dtype.

#include "losscheck/dtype_traits.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>

namespace losscheck {
namespace {

// the lookup is usable in constant expressions (cli/fixtures_catalog.cpp relies on it)
static_assert(dtype_traits(dtype::float32).significand_digits == 24);
static_assert(dtype_traits(dtype::float64).significand_digits == 53);

template <class T>
void expect_traits_of(dtype type) {
  using lim = std::numeric_limits<T>;
  const float_traits& t = dtype_traits(type);
  EXPECT_EQ(t.type, type);
  EXPECT_EQ(t.significand_digits, lim::digits);
  EXPECT_EQ(t.min_normal_exponent, lim::min_exponent - 1);  // numeric_limits counts from a significand in [0.5, 1)
  EXPECT_EQ(t.max_exponent, lim::max_exponent - 1);
  EXPECT_EQ(t.epsilon, static_cast<double>(lim::epsilon()));
  EXPECT_EQ(t.unit_roundoff, static_cast<double>(lim::epsilon()) / 2);
  EXPECT_EQ(t.min_normal, static_cast<double>(lim::min()));
  EXPECT_EQ(t.min_subnormal, static_cast<double>(lim::denorm_min()));
  EXPECT_EQ(t.max_finite, static_cast<double>(lim::max()));
  // the exponents agree with the values they describe
  EXPECT_EQ(t.min_normal, std::ldexp(1.0, t.min_normal_exponent));
  EXPECT_EQ(t.min_subnormal, std::ldexp(1.0, t.min_normal_exponent + 1 - t.significand_digits));
  EXPECT_EQ(t.max_finite, std::ldexp(2 - t.epsilon, t.max_exponent));
  // log(max) rounded to nearest in T: a value of T within half a spacing of log(max)
  const long double exact = std::log(static_cast<long double>(lim::max()));
  const T rounded = static_cast<T>(t.log_max_finite);
  EXPECT_EQ(static_cast<double>(rounded), t.log_max_finite) << "not a value of " << to_string(type);
  const long double spacing = static_cast<long double>(std::nextafter(rounded, lim::infinity())) - rounded;
  EXPECT_LE(std::fabs(static_cast<long double>(t.log_max_finite) - exact), spacing / 2);
}

TEST(dtype_traits, float32_agrees_with_numeric_limits_of_float) { expect_traits_of<float>(dtype::float32); }

TEST(dtype_traits, float64_agrees_with_numeric_limits_of_double) { expect_traits_of<double>(dtype::float64); }

TEST(dtype_traits, the_exp_overflow_thresholds_are_the_ones_the_code_uses) {
  // the values properties/ and check/ compare exponents with: 88.72283935546875 (float32), 709.782712893384 (float64)
  EXPECT_EQ(dtype_traits(dtype::float32).log_max_finite, 88.72283935546875);
  EXPECT_EQ(dtype_traits(dtype::float64).log_max_finite, 709.782712893384);
  // float32's lies above log(FLT_MAX): exp overflows there, and not one float below
  const auto x = static_cast<float>(dtype_traits(dtype::float32).log_max_finite);
  EXPECT_TRUE(std::isinf(std::exp(x)));
  EXPECT_TRUE(std::isfinite(std::exp(std::nextafter(x, 0.0f))));
}

TEST(dtype_traits, one_row_per_float_dtype) {
  std::set<dtype> seen;
  for (const auto& row : float_dtypes) {
    EXPECT_TRUE(seen.insert(row.type).second) << "two rows for " << to_string(row.type);
    EXPECT_EQ(&dtype_traits(row.type), &row);
  }
  EXPECT_EQ(seen, (std::set<dtype>{dtype::float32, dtype::float64, dtype::bfloat16, dtype::float16}));
}

TEST(dtype_traits, int64_is_not_a_float_dtype) {
  try {
    (void)dtype_traits(dtype::int64);
    FAIL() << "no error";
  } catch (const loss_error& e) {
    EXPECT_STREQ(e.what(), "dtype_traits: int64 is not a float dtype (valid: float32, float64, bfloat16, float16)");
  }
}

}  // namespace
}  // namespace losscheck
