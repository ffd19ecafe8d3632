#pragma once
// Helpers shared by the tests: cases from JSON text, evaluation by both implementations, ULP distances, and error
// checks that pin the message (as fmt's test/gtest-extra.h EXPECT_THROW_MSG does).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include "losscheck/case.h"
#include "losscheck/json.h"

namespace losscheck::testing {

/// A case from its JSON text (docs/format.md).
inline loss_case case_from(const std::string& text) { return case_from_json(parse_json(text)); }

/// Distance in units in the last place of `type` between a and b (0 when both are NaN or the same infinity).
inline double ulp_distance(double a, double b, dtype type) {
  if (std::isnan(a) && std::isnan(b)) return 0;
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<double>::infinity();
  if (a == b) return 0;
  if (std::isinf(a) || std::isinf(b)) return std::numeric_limits<double>::infinity();
  if (type == dtype::float32) {
    auto ordered = [](float f) {
      std::int32_t i;
      std::memcpy(&i, &f, sizeof f);
      return i < 0 ? static_cast<std::int64_t>(INT32_MIN) - i : static_cast<std::int64_t>(i);
    };
    return std::abs(static_cast<double>(ordered(static_cast<float>(a)) - ordered(static_cast<float>(b))));
  }
  auto ordered = [](double d) {
    std::int64_t i;
    std::memcpy(&i, &d, sizeof d);
    return i < 0 ? static_cast<long double>(INT64_MIN) - i : static_cast<long double>(i);
  };
  return static_cast<double>(std::fabs(ordered(a) - ordered(b)));
}

/// Expects `t` to hold `expected` (same length) within `max_ulps` of its dtype.
inline void expect_values_near(const tensor& t, const std::vector<double>& expected, double max_ulps,
                               const std::string& what) {
  ASSERT_EQ(t.values.size(), expected.size()) << what;
  for (std::size_t i = 0; i < expected.size(); ++i)
    EXPECT_LE(ulp_distance(t.values[i], expected[i], t.type), max_ulps)
        << what << "[" << i << "]: got " << t.values[i] << ", expected " << expected[i];
}

/// Expects an error result whose message contains `fragment`.
inline void expect_error(const loss_result& r, const std::string& fragment) {
  ASSERT_TRUE(r.error.has_value()) << "expected an error containing \"" << fragment << "\"";
  EXPECT_NE(r.error->find(fragment), std::string::npos) << "message: " << *r.error;
}

}  // namespace losscheck::testing

// ---- Spot tests of the losses against independently computed values (tests/losses/*_test.cpp) ----

#include <map>
#include <vector>

namespace losscheck::testing {

inline constexpr double kInf = std::numeric_limits<double>::infinity();
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// What a case should give: the output's shape and values and, by input name, exactly the gradients expected
/// (each shaped like its input). Values are exact results written to 17 significant digits; for a float32 case
/// expect_values_near rounds them to float32 before comparing.
struct expected_result {
  shape_t output_shape;
  std::vector<double> output;
  std::map<std::string, std::vector<double>> grads;
};

/// One implementation under test: a name for test names, how it evaluates a case, and whether its results are
/// correctly rounded (held to 0 ULP) or held to the bound each check states.
struct implementation_under_test {
  std::string name;
  loss_result (*evaluate)(const loss_case&);
  bool correctly_rounded;
};

/// For INSTANTIATE_TEST_SUITE_P: names the instances after the implementation.
inline std::string implementation_name(const ::testing::TestParamInfo<implementation_under_test>& info) {
  return info.param.name;
}

/// Expects `r` to succeed with the output and exactly the gradients of `e`, each value within `max_ulps`.
inline void expect_result_near(const loss_case& c, const loss_result& r, const expected_result& e, double max_ulps) {
  ASSERT_FALSE(r.error.has_value()) << "error: " << *r.error;
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.output->type, c.type) << "output dtype";
  EXPECT_EQ(r.output->shape, e.output_shape) << "output shape";
  expect_values_near(*r.output, e.output, max_ulps, "output");
  std::vector<std::string> got_names, expected_names;
  for (const auto& [name, g] : r.grads) got_names.push_back(name);
  for (const auto& [name, g] : e.grads) expected_names.push_back(name);
  EXPECT_EQ(got_names, expected_names) << "gradients reported";
  for (const auto& [name, values] : e.grads) {
    auto it = r.grads.find(name);
    if (it == r.grads.end()) continue;
    const auto* in = c.input(name);
    ASSERT_NE(in, nullptr) << name;
    EXPECT_EQ(it->second.shape, in->shape) << "shape of the gradient of " << name;
    EXPECT_EQ(it->second.type, c.type) << "dtype of the gradient of " << name;
    expect_values_near(it->second, values, max_ulps, "grad " + name);
  }
}

/// A value-parameterized fixture over the implementations: check() evaluates a case given as JSON text and
/// compares with `e`, holding a correctly rounded implementation to 0 ULP and the others to `max_ulps`.
class loss_spot_test : public ::testing::TestWithParam<implementation_under_test> {
 protected:
  void check(const std::string& json, const expected_result& e, double max_ulps) const {
    SCOPED_TRACE(json);
    const loss_case c = case_from(json);
    expect_result_near(c, GetParam().evaluate(c), e, GetParam().correctly_rounded ? 0.0 : max_ulps);
  }
  void check_error(const std::string& json, const std::string& fragment) const {
    SCOPED_TRACE(json);
    expect_error(GetParam().evaluate(case_from(json)), fragment);
  }
};

}  // namespace losscheck::testing

namespace losscheck::testing {
/// Prints an implementation under test by its name (instead of its bytes) in failure messages.
inline void PrintTo(const implementation_under_test& i, std::ostream* os) { *os << i.name; }
}  // namespace losscheck::testing
