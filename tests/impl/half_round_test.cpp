// impl's rounding of float32 results to the half dtypes (impl/half_round.h) against core's round_to, which
// tests/core/half_dtype_test.cpp checks against decoders of the two formats over every encoding: on every half value,
// every midpoint between neighbours and the float32 values one and two ULPs either side of it (where a wrong tie or a
// carry shows), float32's specials, the overflow boundary, and every 65 537th float32 bit pattern (65 537 of them). Run
// twice by ctest: in the AVX2 build (float16 through F16C where the CPU has it) and with LOSSCHECK_IMPL_ISA=generic
// (float16 element by element).

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "half_round.h"
#include "losscheck/dtype_traits.h"
#include "losscheck/tensor.h"

namespace losscheck::impl {
namespace {

std::vector<double> probes(dtype type) {
  std::vector<double> v;
  auto add_float = [&](float f) { v.push_back(static_cast<double>(f)); };
  auto around = [&](double x) {  // x (a float32 value) and 1, 2 float32 ULPs either side
    float f = static_cast<float>(x), up = f, down = f;
    add_float(f);
    for (int k = 0; k < 2; ++k) {
      up = std::nextafter(up, std::numeric_limits<float>::infinity());
      down = std::nextafter(down, -std::numeric_limits<float>::infinity());
      add_float(up);
      add_float(down);
    }
  };
  // every finite non-negative value of the dtype and the midpoint above it, both signs
  const float_traits& t = dtype_traits(type);
  for (double h = 0; h <= t.max_finite;) {
    const int e = std::max(h > 0 ? std::ilogb(h) : t.min_normal_exponent, t.min_normal_exponent);
    const double spacing = std::ldexp(1.0, e - t.significand_digits + 1);
    for (double s : {1.0, -1.0}) {
      around(s * h);
      around(s * (h + spacing / 2));  // the midpoint (above max: the overflow threshold)
    }
    h += spacing;
    if (type == dtype::bfloat16 && h > 0x1p-120 && h < 0x1p120 && (std::ilogb(h) % 8) != 0) {
      h = std::ldexp(1.0, std::ilogb(h) + 1);  // bfloat16: every eighth binade in full (the rest sampled below)
    }
  }
  for (double s : {1.0, -1.0}) {  // the largest value and the overflow threshold half a spacing above it
    around(s * t.max_finite);
    around(s * (t.max_finite + std::ldexp(1.0, t.max_exponent - t.significand_digits)));
  }
  for (std::uint64_t bits = 0; bits < (std::uint64_t{1} << 32); bits += 65537)
    add_float(std::bit_cast<float>(static_cast<std::uint32_t>(bits)));
  for (float f : {0.0f, -0.0f, std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                  std::numeric_limits<float>::max(), -std::numeric_limits<float>::max(),
                  std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::min()})
    add_float(f);
  return v;
}

void expect_same_as_round_to(dtype type) {
  std::vector<double> values = probes(type);
  values.push_back(std::numeric_limits<double>::quiet_NaN());
  std::vector<double> rounded = values;
  round_float32_values_to_half(rounded, type);
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double want = round_to(type, values[i]);
    const bool same = std::isnan(want) ? std::isnan(rounded[i])
                                       : rounded[i] == want && std::signbit(rounded[i]) == std::signbit(want);
    if (!same && ++wrong <= 5)
      ADD_FAILURE() << to_string(type) << ": " << values[i] << " (float32 bits 0x" << std::hex
                    << std::bit_cast<std::uint32_t>(static_cast<float>(values[i])) << std::dec << ") rounds to "
                    << rounded[i] << ", round_to gives " << want;
  }
  EXPECT_EQ(wrong, 0u) << "of " << values.size() << " values";
  EXPECT_GT(values.size(), 100000u);
}

TEST(half_round, bfloat16_agrees_with_round_to) { expect_same_as_round_to(dtype::bfloat16); }
TEST(half_round, float16_agrees_with_round_to) { expect_same_as_round_to(dtype::float16); }

}  // namespace
}  // namespace losscheck::impl
