// The half dtypes in the data model: losscheck::round_to (core/src/tensor.cpp) against decoders of the two formats
// written here from their bit layouts, over every one of the 2^16 encodings of each; their dtype_traits rows; the JSON
// rule for half values (a value of the dtype, exactly or as the shortest decimal that rounds to it; nothing else) and
// the shortest form written back.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "losscheck/dtype_traits.h"
#include "losscheck/error.h"
#include "losscheck/json.h"
#include "losscheck/tensor.h"

namespace losscheck {
namespace {

/// IEEE binary16: sign, 5 exponent bits (bias 15), 10 fraction bits.
double decode_float16(std::uint16_t bits) {
  const int sign = bits >> 15, exponent = (bits >> 10) & 0x1f, fraction = bits & 0x3ff;
  double v;
  if (exponent == 0x1f) v = fraction ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  else if (exponent == 0) v = std::ldexp(fraction, -24);  // subnormal: fraction · 2^-24
  else v = std::ldexp(1024 + fraction, exponent - 25);   // (1 + fraction / 2^10) · 2^(exponent - 15)
  return sign ? -v : v;
}

/// bfloat16: the upper 16 bits of a float32.
double decode_bfloat16(std::uint16_t bits) {
  const std::uint32_t wide = static_cast<std::uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &wide, sizeof f);
  return f;
}

/// The finite non-negative values of a half format in increasing order.
std::vector<double> ladder(double (*decode)(std::uint16_t)) {
  std::vector<double> out;
  for (std::uint32_t b = 0; b < 0x8000; ++b) {
    const double v = decode(static_cast<std::uint16_t>(b));
    if (std::isfinite(v)) out.push_back(v);
  }
  return out;
}

void expect_rounding(dtype type, double (*decode)(std::uint16_t)) {
  // every encoding is its own rounding
  for (std::uint32_t b = 0; b < 0x10000; ++b) {
    const double v = decode(static_cast<std::uint16_t>(b));
    const double r = round_to(type, v);
    if (std::isnan(v)) {
      EXPECT_TRUE(std::isnan(r));
    } else {
      ASSERT_EQ(r, v) << to_string(type) << " bits " << b;
      EXPECT_EQ(std::signbit(r), std::signbit(v));
    }
  }
  // between neighbours: below the midpoint rounds down, above up, at it to the even one (the even fraction)
  const auto values = ladder(decode);
  for (std::size_t i = 0; i + 1 < values.size(); ++i) {
    const double lo = values[i], hi = values[i + 1], mid = (lo + hi) / 2;  // exact in double
    ASSERT_EQ(round_to(type, std::nextafter(mid, lo)), lo) << lo;
    ASSERT_EQ(round_to(type, std::nextafter(mid, hi)), hi) << hi;
    ASSERT_EQ(round_to(type, -std::nextafter(mid, hi)), -hi) << hi;
    const bool lo_even = (i % 2) == 0;  // the ladder's index is the encoding: even encodings have an even fraction
    EXPECT_EQ(round_to(type, mid), lo_even ? lo : hi) << "tie between " << lo << " and " << hi;
  }
  // overflow: up to the midpoint above the largest finite value stays finite (below it) or goes to infinity
  const double largest = values.back(), next = 2 * largest - values[values.size() - 2];  // the spacing continued
  const double threshold = (largest + next) / 2;
  EXPECT_EQ(round_to(type, std::nextafter(threshold, 0.0)), largest);
  EXPECT_EQ(round_to(type, threshold), std::numeric_limits<double>::infinity());  // the tie goes to the even 2^(emax+1)
  EXPECT_EQ(round_to(type, -threshold), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(round_to(type, 1e300), std::numeric_limits<double>::infinity());
  // below half the smallest subnormal: zero with the sign; above it, the smallest subnormal
  const double tiny = values[1];
  EXPECT_EQ(round_to(type, tiny / 2), 0.0);
  EXPECT_TRUE(std::signbit(round_to(type, -tiny / 4)));
  EXPECT_EQ(round_to(type, std::nextafter(tiny / 2, 1.0)), tiny);
}

TEST(half_dtypes, float16_rounding_matches_the_binary16_layout) { expect_rounding(dtype::float16, decode_float16); }

TEST(half_dtypes, bfloat16_rounding_matches_the_upper_half_of_float32) {
  expect_rounding(dtype::bfloat16, decode_bfloat16);
}

TEST(half_dtypes, their_traits_agree_with_the_decoded_formats) {
  for (auto [type, decode] : {std::pair{dtype::float16, &decode_float16}, std::pair{dtype::bfloat16, &decode_bfloat16}}) {
    const auto values = ladder(decode);
    const float_traits& t = dtype_traits(type);
    EXPECT_EQ(t.max_finite, values.back()) << to_string(type);
    EXPECT_EQ(t.min_subnormal, values[1]);
    EXPECT_EQ(t.epsilon, decode(type == dtype::float16 ? 0x3c01 : 0x3f81) - 1.0);  // the value after 1, less 1
    EXPECT_EQ(t.unit_roundoff, t.epsilon / 2);
    EXPECT_EQ(t.min_normal, std::ldexp(1.0, t.min_normal_exponent));
    EXPECT_EQ(t.min_subnormal, std::ldexp(1.0, t.min_normal_exponent + 1 - t.significand_digits));
    // the smallest normal is the first value whose successor is one spacing of the normal range away
    EXPECT_EQ(std::count_if(values.begin(), values.end(), [&](double v) { return v > 0 && v < t.min_normal; }),
              (1 << (t.significand_digits - 1)) - 1);
    // log(max) rounded to nearest in the dtype
    const double exact = std::log(t.max_finite);
    EXPECT_EQ(round_to(type, exact), t.log_max_finite);
    EXPECT_TRUE(is_half(type));
    EXPECT_EQ(parse_dtype(to_string(type)), type);
  }
  EXPECT_FALSE(is_half(dtype::float32));
}

tensor read(const std::string& text, dtype type) { return tensor_from_json(parse_json(text), type, "inputs.input"); }

TEST(half_dtypes, json_takes_values_of_the_dtype_and_refuses_values_to_round) {
  // exact values and the shortest decimals of values
  EXPECT_EQ(read(R"({"shape":[4],"data":[0.5,65504,"inf",-0.0]})", dtype::float16).values,
            (std::vector<double>{0.5, 65504, std::numeric_limits<double>::infinity(), -0.0}));
  EXPECT_EQ(read(R"({"shape":[1],"data":[0.1]})", dtype::float16).values[0], 0.0999755859375);
  EXPECT_EQ(read(R"({"shape":[1],"data":[0.1]})", dtype::bfloat16).values[0], 0.10009765625);
  EXPECT_EQ(read(R"({"shape":[1],"data":[6e-08]})", dtype::float16).values[0], std::ldexp(1.0, -24));
  EXPECT_EQ(read(R"({"shape":[1],"data":[3.39e38]})", dtype::bfloat16).values[0], 0x1.fep+127);
  // a decimal that is neither: refused, naming the nearest value
  try {
    read(R"({"shape":[2],"data":[1,0.10001]})", dtype::float16);
    FAIL() << "0.10001 accepted as a float16 value";
  } catch (const format_error& e) {
    EXPECT_STREQ(e.what(), "inputs.input: data[1] = 0.10001 is not a float16 value: the nearest is 0.10003662109375 "
                           "(written 0.10004); give float16's values, not values to round");
  }
  EXPECT_THROW(read(R"({"shape":[1],"data":[1.001]})", dtype::bfloat16), format_error);
  EXPECT_THROW(read(R"({"shape":[1],"data":[65505]})", dtype::float16), format_error);  // not 65504's shortest form
  try {
    read(R"({"shape":[1],"data":[70000]})", dtype::float16);
    FAIL() << "70000 accepted as float16";
  } catch (const format_error& e) {
    EXPECT_STREQ(e.what(), "inputs.input: data[0] = 70000 is beyond float16's range (largest finite 65504); write "
                           "\"inf\" for infinity");
  }
  // a tensor's dtype must be the case's
  EXPECT_THROW(read(R"({"shape":[1],"dtype":"float32","data":[1]})", dtype::bfloat16), format_error);
}

TEST(half_dtypes, every_value_is_written_in_its_shortest_form_and_reads_back) {
  for (auto [type, decode] : {std::pair{dtype::float16, &decode_float16}, std::pair{dtype::bfloat16, &decode_bfloat16}}) {
    for (std::uint32_t b = 0; b < 0x10000; ++b) {
      const double v = decode(static_cast<std::uint16_t>(b));
      const std::string text = format_float(v, type);
      const tensor back = read(R"({"shape":[1],"data":[)" + text + "]}", type);
      if (std::isnan(v)) {
        ASSERT_TRUE(std::isnan(back.values[0]));
        continue;
      }
      ASSERT_EQ(back.values[0], v) << text;
      ASSERT_EQ(std::signbit(back.values[0]), std::signbit(v)) << text;
      if (!std::isfinite(v) || v == 0) continue;
      // no shorter decimal rounds to v: the written digits (without sign, exponent, point, leading and trailing
      // zeros) are no more than the fewest with which v's correctly rounded decimal reads back
      int fewest = 1;
      while (round_to(type, std::strtod(fmt::format("{:.{}e}", v, fewest - 1).c_str(), nullptr)) != v) ++fewest;
      std::string digits;
      for (char ch : text.substr(0, text.find_first_of("eE")))
        if (ch >= '0' && ch <= '9') digits += ch;
      digits.erase(0, digits.find_first_not_of('0'));
      digits.erase(digits.find_last_not_of('0') + 1);
      ASSERT_LE(static_cast<int>(digits.size()), fewest) << to_string(type) << ": " << text << " is not the shortest";
    }
  }
}

}  // namespace
}  // namespace losscheck
