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
