// The vector exp, log and log1p of impl's fast paths (impl/vector_math.h) against glibc's long double expl, logl
// and log1pl (64-bit significands: their own error, about 2^-63 relative, is 1/1000 ULP of a double), over random
// and edge-case arguments; both the AVX2 and the generic build, which must agree bit for bit. The bounds asserted are
// the ones vector_math.h states: exp and log < 1 ULP, log1p < 2 ULP. The float32 kernels of vector_math_float.h (exp in
// 8 float lanes, the division-free log of float arguments in double lanes) likewise, against expl and logl, with the
// bounds vector_math_float.h derives: exp < 0.62 ULP of float (subnormal results: < 0.82 ULP of their spacing), log
// < 2^-47 relative (< 2^-46 for double arguments), its short form < 2^-30.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "vector_math.h"
#include "vector_math_float.h"

namespace {

namespace simd = losscheck::impl::simd;

enum class fn { exp, log, log1p };

template <fn F>
LOSSCHECK_INLINE simd::vd apply(simd::vd x) {
  if constexpr (F == fn::exp) return simd::exp_lanes(x);
  if constexpr (F == fn::log) return simd::log_lanes(x);
  return simd::log1p_lanes(x);
}
template <fn F>
LOSSCHECK_AVX2 void run_avx2(const double* x, double* y, std::size_t n) {
  for (std::size_t i = 0; i + 4 <= n; i += 4) simd::store(y + i, apply<F>(simd::load(x + i)));
}
template <fn F>
void run_generic(const double* x, double* y, std::size_t n) {
  for (std::size_t i = 0; i + 4 <= n; i += 4) simd::store(y + i, apply<F>(simd::load(x + i)));
}

long double reference(fn f, double x) {
  const long double v = x;
  return f == fn::exp ? expl(v) : f == fn::log ? logl(v) : log1pl(v);
}

/// |got - exact| in ULPs of the double nearest the exact value (ulp of the smallest subnormal at least).
double ulp_error(double got, long double exact) {
  const double rounded = static_cast<double>(exact);
  if (std::isnan(rounded) || std::isinf(rounded))
    return got == rounded || (std::isnan(got) && std::isnan(rounded)) ? 0 : INFINITY;
  const double a = std::fabs(rounded);
  const double ulp = a < std::numeric_limits<double>::min() ? std::numeric_limits<double>::denorm_min()
                                                            : std::nextafter(a, INFINITY) - a;
  return static_cast<double>(std::fabs(static_cast<long double>(got) - exact) / ulp);
}

std::uint64_t bits(double v) {
  std::uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

template <fn F>
void check(const char* name, const std::vector<double>& x, double bound, std::uint64_t seed) {
  std::vector<double> fast(x.size()), generic(x.size());
  if (simd::use_avx2()) run_avx2<F>(x.data(), fast.data(), x.size());
  else run_generic<F>(x.data(), fast.data(), x.size());
  run_generic<F>(x.data(), generic.data(), x.size());
  double worst = 0;
  std::size_t worst_i = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(bits(fast[i]), bits(generic[i]))
        << name << ": AVX2 and generic builds differ at x = " << x[i] << " (seed " << seed
        << "); replay: build/tests/impl_numerics_test --gtest_filter='*" << name << "*'";
    const double e = ulp_error(fast[i], reference(F, x[i]));
    if (e > worst) worst = e, worst_i = i;
  }
  std::printf("%s: %zu arguments, max error %.3f ULP at x = %.17g\n", name, x.size(), worst, x[worst_i]);
  EXPECT_LT(worst, bound) << name << "(" << x[worst_i] << ") = " << fast[worst_i] << ", exact "
                          << static_cast<double>(reference(F, x[worst_i])) << " (seed " << seed
                          << "); replay: build/tests/impl_numerics_test --gtest_filter='*" << name << "*'";
}

constexpr std::uint64_t seed = 20261128;
constexpr std::size_t count = 1 << 20;

std::vector<double> uniform(double lo, double hi, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<double> v(count);
  for (auto& x : v) x = d(rng);
  return v;
}

/// Positive doubles with uniformly random bit patterns (every binade equally, subnormals included).
std::vector<double> positive_bit_patterns(std::mt19937_64& rng) {
  std::uniform_int_distribution<std::uint64_t> d(1, 0x7fefffffffffffff);
  std::vector<double> v(count);
  for (auto& x : v) {
    const std::uint64_t b = d(rng);
    std::memcpy(&x, &b, sizeof x);
  }
  return v;
}

TEST(VectorMath, ExpBelowOneUlp) {
  std::mt19937_64 rng(seed);
  check<fn::exp>("exp_wide", uniform(-745.0, 709.78, rng), 1.0, seed);
  check<fn::exp>("exp_unit", uniform(-1.0, 1.0, rng), 1.0, seed);
  check<fn::exp>("exp_negative", uniform(-60.0, 0.0, rng), 1.0, seed);
  check<fn::exp>("exp_tiny", uniform(-1e-6, 1e-6, rng), 1.0, seed);
  check<fn::exp>("exp_subnormal_results", uniform(-745.1, -708.0, rng), 1.0, seed);
}

LOSSCHECK_AVX2 void nonpositive_avx2(const double* x, double* y, std::size_t n) {
  for (std::size_t i = 0; i + 4 <= n; i += 4) simd::store(y + i, simd::exp_nonpositive_lanes(simd::load(x + i)));
}

/// The softmax exp (finite arguments <= 0, one scaling) gives exp_lanes' values exactly, subnormal range included.
TEST(VectorMath, NonpositiveExpIsExpLanes) {
  std::mt19937_64 rng(seed + 3);
  auto x = uniform(-750.0, 0.0, rng);
  const auto tiny = uniform(-1.0, 0.0, rng);
  x.insert(x.end(), tiny.begin(), tiny.end());
  std::vector<double> got(x.size()), want(x.size());
  if (simd::use_avx2()) nonpositive_avx2(x.data(), got.data(), x.size());
  else
    for (std::size_t i = 0; i + 4 <= x.size(); i += 4)
      simd::store(got.data() + i, simd::exp_nonpositive_lanes(simd::load(x.data() + i)));
  run_generic<fn::exp>(x.data(), want.data(), x.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    ASSERT_EQ(bits(got[i]), bits(want[i])) << "exp_nonpositive_lanes(" << x[i] << ") = " << got[i] << ", exp_lanes "
                                           << want[i] << " (seed " << seed + 3 << ")";
}

TEST(VectorMath, LogBelowOneUlp) {
  std::mt19937_64 rng(seed + 1);
  check<fn::log>("log_all_binades", positive_bit_patterns(rng), 1.0, seed + 1);
  check<fn::log>("log_near_one", uniform(0.7, 1.5, rng), 1.0, seed + 1);
  check<fn::log>("log_unit_interval", uniform(0.0, 1.0, rng), 1.0, seed + 1);
}

TEST(VectorMath, Log1pBelowTwoUlp) {
  std::mt19937_64 rng(seed + 2);
  check<fn::log1p>("log1p_unit", uniform(-1.0, 1.0, rng), 2.0, seed + 2);
  check<fn::log1p>("log1p_small", uniform(-1e-3, 1e-3, rng), 2.0, seed + 2);
  check<fn::log1p>("log1p_wide", uniform(-1.0, 1e6, rng), 2.0, seed + 2);
  auto tiny = positive_bit_patterns(rng);
  for (auto& x : tiny) x = std::fmod(x, 1.0);  // (0, 1): every binade below 1
  check<fn::log1p>("log1p_positive_binades", tiny, 2.0, seed + 2);
  for (auto& x : tiny) x = -x;
  check<fn::log1p>("log1p_negative_binades", tiny, 2.0, seed + 2);
}

TEST(VectorMath, SpecialValues) {
  const double inf = INFINITY, nan = NAN;
  auto lane = [](simd::vd v) { return v[0]; };
  EXPECT_EQ(lane(simd::exp_lanes(simd::splat(-inf))), 0.0);
  EXPECT_EQ(lane(simd::exp_lanes(simd::splat(inf))), inf);
  EXPECT_EQ(lane(simd::exp_lanes(simd::splat(0.0))), 1.0);
  EXPECT_EQ(lane(simd::exp_lanes(simd::splat(710.0))), inf);
  EXPECT_EQ(lane(simd::exp_lanes(simd::splat(-746.0))), 0.0);
  EXPECT_TRUE(std::isnan(lane(simd::exp_lanes(simd::splat(nan)))));
  EXPECT_EQ(lane(simd::log_lanes(simd::splat(0.0))), -inf);
  EXPECT_EQ(lane(simd::log_lanes(simd::splat(1.0))), 0.0);
  EXPECT_EQ(lane(simd::log_lanes(simd::splat(inf))), inf);
  EXPECT_TRUE(std::isnan(lane(simd::log_lanes(simd::splat(-1.0)))));
  EXPECT_TRUE(std::isnan(lane(simd::log_lanes(simd::splat(nan)))));
  EXPECT_EQ(lane(simd::log_lanes(simd::splat(4.9406564584124654e-324))), std::log(4.9406564584124654e-324));
  EXPECT_EQ(lane(simd::log1p_lanes(simd::splat(-1.0))), -inf);
  EXPECT_EQ(lane(simd::log1p_lanes(simd::splat(0.0))), 0.0);
  EXPECT_EQ(lane(simd::log1p_lanes(simd::splat(1e-300))), 1e-300);
  EXPECT_EQ(lane(simd::log1p_lanes(simd::splat(inf))), inf);
  EXPECT_TRUE(std::isnan(lane(simd::log1p_lanes(simd::splat(-2.0)))));
}

// ---- float32 kernels (vector_math_float.h) ----

/// e^(x - m) for float lanes through exp_difference_f, AVX2 or generic build.
LOSSCHECK_AVX2 void exp_f_avx2(const float* x, const float* m, float* y, std::size_t n) {
  for (std::size_t i = 0; i + 8 <= n; i += 8)
    simd::store_f(y + i, simd::exp_difference_f(simd::load_f(x + i), simd::load_f(m + i)));
}
void exp_f_generic(const float* x, const float* m, float* y, std::size_t n) {
  for (std::size_t i = 0; i + 8 <= n; i += 8)
    simd::store_f(y + i, simd::exp_difference_f(simd::load_f(x + i), simd::load_f(m + i)));
}

/// |got - exact| in ULPs of the float nearest the exact value (the subnormal spacing at least).
double float_ulp_error(float got, long double exact) {
  const float rounded = static_cast<float>(exact);
  const float a = std::fabs(rounded);
  const float ulp = a < std::numeric_limits<float>::min() ? std::numeric_limits<float>::denorm_min()
                                                          : std::nextafter(a, INFINITY) - a;
  return static_cast<double>(std::fabs(static_cast<long double>(got) - exact) / ulp);
}

/// x = m + d with d uniform in [lo, hi] (rounded to float, then d recomputed exactly in long double) and m uniform in
/// [-m_range, m_range]; asserts AVX2 == generic and the ULP bound.
void check_exp_f(const char* name, float lo, float hi, float m_range, double bound, std::uint64_t s) {
  std::mt19937_64 rng(s);
  std::uniform_real_distribution<float> d(lo, hi), shift(-m_range, m_range);
  std::vector<float> x(count), m(count), fast(count), generic(count);
  for (std::size_t i = 0; i < count; ++i) {
    m[i] = m_range == 0 ? 0.0f : shift(rng);
    x[i] = m[i] + d(rng);
    if (x[i] > m[i]) x[i] = m[i];
    if (static_cast<double>(x[i]) - m[i] < -104.0) x[i] = m[i];
  }
  if (simd::use_avx2()) exp_f_avx2(x.data(), m.data(), fast.data(), count);
  else exp_f_generic(x.data(), m.data(), fast.data(), count);
  exp_f_generic(x.data(), m.data(), generic.data(), count);
  double worst = 0;
  std::size_t worst_i = 0;
  for (std::size_t i = 0; i < count; ++i) {
    std::uint32_t a, b;
    std::memcpy(&a, &fast[i], 4);
    std::memcpy(&b, &generic[i], 4);
    ASSERT_EQ(a, b) << name << ": AVX2 and generic builds differ at x = " << x[i] << ", m = " << m[i] << " (seed "
                    << s << "); replay: build/tests/impl_numerics_test --gtest_filter='*FloatExp*'";
    const double e = float_ulp_error(fast[i], expl(static_cast<long double>(x[i]) - static_cast<long double>(m[i])));
    if (e > worst) worst = e, worst_i = i;
  }
  std::printf("%s: %zu arguments, max error %.3f ULP at x = %.9g, m = %.9g\n", name, count, worst, x[worst_i],
              m[worst_i]);
  EXPECT_LT(worst, bound) << name << ": exp(" << x[worst_i] << " - " << m[worst_i] << ") = " << fast[worst_i]
                          << " (seed " << s << "); replay: build/tests/impl_numerics_test --gtest_filter='*FloatExp*'";
}

LOSSCHECK_AVX2 void exp_f_normal_avx2(const float* x, const float* m, float* y, std::size_t n) {
  for (std::size_t i = 0; i + 8 <= n; i += 8)
    simd::store_f(y + i, simd::exp_difference_f<true>(simd::load_f(x + i), simd::load_f(m + i)));
}

/// The normal-results form (exponent addition instead of the two scalings) gives the same values for x - m >= -87.
TEST(VectorMath, FloatExpNormalFormIsTheSame) {
  std::mt19937_64 rng(seed + 16);
  std::uniform_real_distribution<float> d(-87.0f, 0.0f), shift(-100.0f, 100.0f);
  std::vector<float> x(count), m(count), want(count), got(count);
  for (std::size_t i = 0; i < count; ++i) {
    m[i] = shift(rng);
    x[i] = std::min(m[i], m[i] + d(rng));
    if (static_cast<double>(x[i]) - m[i] < -87.0) x[i] = m[i];
  }
  exp_f_generic(x.data(), m.data(), want.data(), count);
  if (simd::use_avx2()) exp_f_normal_avx2(x.data(), m.data(), got.data(), count);
  else
    for (std::size_t i = 0; i + 8 <= count; i += 8)
      simd::store_f(got.data() + i, simd::exp_difference_f<true>(simd::load_f(x.data() + i), simd::load_f(m.data() + i)));
  for (std::size_t i = 0; i < count; ++i)
    ASSERT_EQ(got[i], want[i]) << "exp_difference_f<true>(" << x[i] << ", " << m[i] << ") (seed " << seed + 16
                               << "); replay: build/tests/impl_numerics_test --gtest_filter='*FloatExpNormal*'";
}

LOSSCHECK_AVX2 void exp_parts_avx2(const float* x, float* head, float* tail, std::size_t n) {
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    simd::vf8 h, t;
    simd::exp_difference_parts_f(simd::load_f(x + i), simd::splat_f(0.0f), h, t);
    simd::store_f(head + i, h);
    simd::store_f(tail + i, t);
  }
}
void exp_parts_generic(const float* x, float* head, float* tail, std::size_t n) {
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    simd::vf8 h, t;
    simd::exp_difference_parts_f(simd::load_f(x + i), simd::splat_f(0.0f), h, t);
    simd::store_f(head + i, h);
    simd::store_f(tail + i, t);
  }
}

/// e^x as head + tail (added in double): < 2^-26 relative for results >= 2^-100; below, where the tail or the head
/// is subnormal, < 2^-26 relative + 1 subnormal spacing (two roundings of at most half of it).
TEST(VectorMath, FloatExpPartsBelow2ToMinus26) {
  std::mt19937_64 rng(seed + 17);
  std::uniform_real_distribution<float> d(-104.0f, 0.0f), unit(-1.0f, 0.0f);
  std::vector<float> x(count), head(count), tail(count), head_g(count), tail_g(count);
  for (std::size_t i = 0; i < count; ++i) x[i] = i % 2 ? d(rng) : unit(rng);
  if (simd::use_avx2()) exp_parts_avx2(x.data(), head.data(), tail.data(), count);
  else exp_parts_generic(x.data(), head.data(), tail.data(), count);
  exp_parts_generic(x.data(), head_g.data(), tail_g.data(), count);
  double worst_rel = 0, worst_sub = 0;
  std::size_t at_rel = 0, at_sub = 0;
  for (std::size_t i = 0; i < count; ++i) {
    ASSERT_TRUE(head[i] == head_g[i] && tail[i] == tail_g[i])
        << "exp_difference_parts_f: AVX2 and generic builds differ at x = " << x[i] << " (seed " << seed + 17 << ")";
    const long double exact = expl(static_cast<long double>(x[i]));
    const long double got = static_cast<long double>(static_cast<double>(head[i]) + static_cast<double>(tail[i]));
    if (exact >= 0x1p-100L) {
      const double rel = static_cast<double>(std::fabs((got - exact) / exact));
      if (rel > worst_rel) worst_rel = rel, at_rel = i;
    } else {  // the tail (or the head) may be subnormal: beyond 2^-26 relative, < 1 subnormal spacing
      const double sub = static_cast<double>((std::fabs(got - exact) - 0x1p-26L * exact) /
                                             std::numeric_limits<float>::denorm_min());
      if (sub > worst_sub) worst_sub = sub, at_sub = i;
    }
  }
  std::printf("exp_f parts: max relative error 2^%.2f at x = %.9g; below 2^-100 %.3f spacings more at x = %.9g\n",
              std::log2(worst_rel), x[at_rel], worst_sub, x[at_sub]);
  EXPECT_LT(worst_rel, 0x1p-26) << "exp_difference_parts_f(" << x[at_rel] << ") (seed " << seed + 17
                                << "); replay: build/tests/impl_numerics_test --gtest_filter='*FloatExpParts*'";
  EXPECT_LE(worst_sub, 1.0) << "exp_difference_parts_f(" << x[at_sub] << ") (seed " << seed + 17
                            << "); replay: build/tests/impl_numerics_test --gtest_filter='*FloatExpParts*'";
}

TEST(VectorMath, FloatExpBelow062Ulp) {
  check_exp_f("exp_f_normal_results", -87.0f, 0.0f, 0.0f, 0.62, seed + 10);
  check_exp_f("exp_f_unit", -1.0f, 0.0f, 0.0f, 0.62, seed + 11);
  check_exp_f("exp_f_tiny", -1e-5f, 0.0f, 0.0f, 0.62, seed + 12);
  check_exp_f("exp_f_shifted", -20.0f, 0.0f, 50.0f, 0.62, seed + 13);  // x - m not exact in float: TwoSum
  check_exp_f("exp_f_shifted_far", -87.0f, 0.0f, 1e4f, 0.62, seed + 14);
  check_exp_f("exp_f_subnormal_results", -104.0f, -87.0f, 0.0f, 0.82, seed + 15);
}

template <bool short_form>
LOSSCHECK_AVX2 void log_f_avx2(const double* x, double* y, std::size_t n) {
  for (std::size_t i = 0; i + 4 <= n; i += 4)
    simd::store(y + i, simd::log_float_lanes<short_form>(simd::load(x + i)));
}
template <bool short_form>
void log_f_generic(const double* x, double* y, std::size_t n) {
  for (std::size_t i = 0; i + 4 <= n; i += 4)
    simd::store(y + i, simd::log_float_lanes<short_form>(simd::load(x + i)));
}

/// The largest |got - exact| / |exact| of log_float_lanes over x (and AVX2 == generic); x = 1 (exact 0) must give 0.
template <bool short_form = false>
void check_log_f(const char* name, const std::vector<double>& x, double bound, std::uint64_t s) {
  std::vector<double> fast(x.size()), generic(x.size());
  if (simd::use_avx2()) log_f_avx2<short_form>(x.data(), fast.data(), x.size());
  else log_f_generic<short_form>(x.data(), fast.data(), x.size());
  log_f_generic<short_form>(x.data(), generic.data(), x.size());
  double worst = 0;
  std::size_t worst_i = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(bits(fast[i]), bits(generic[i])) << name << ": AVX2 and generic builds differ at x = " << x[i]
                                               << " (seed " << s << ")";
    const long double exact = logl(static_cast<long double>(x[i]));
    const double e = exact == 0 ? (fast[i] == 0 ? 0.0 : INFINITY)
                                : static_cast<double>(std::fabs((fast[i] - exact) / exact));
    if (e > worst) worst = e, worst_i = i;
  }
  std::printf("%s: %zu arguments, max relative error 2^%.2f at x = %.17g\n", name, x.size(), std::log2(worst),
              x[worst_i]);
  EXPECT_LT(worst, bound) << name << ": log(" << x[worst_i] << ") = " << fast[worst_i] << " (seed " << s
                          << "); replay: build/tests/impl_numerics_test --gtest_filter='*FloatLog*'";
}

TEST(VectorMath, FloatLogRelativeErrorBelow2ToMinus47) {
  std::mt19937_64 rng(seed + 20);
  std::uniform_int_distribution<std::uint32_t> pattern(0x00800000u, 0x7f7fffffu);  // positive normal floats
  std::vector<double> x(count);
  for (auto& v : x) {
    const std::uint32_t b = pattern(rng);
    float f;
    std::memcpy(&f, &b, 4);
    v = f;
  }
  check_log_f("log_f_float_binades", x, 0x1p-47, seed + 20);
  check_log_f<true>("log_f_short_float_binades", x, 0x1p-30, seed + 20);
  for (auto& v : x) {  // floats near 1, both sides: where log x is small
    const std::uint32_t b = 0x3f800000u + static_cast<std::uint32_t>(pattern(rng) % 0x200000u) - 0x100000u;
    float f;
    std::memcpy(&f, &b, 4);
    v = f;
  }
  check_log_f("log_f_float_near_one", x, 0x1p-47, seed + 20);
  check_log_f<true>("log_f_short_float_near_one", x, 0x1p-30, seed + 20);
  std::uniform_int_distribution<std::uint32_t> subnormal(1, 0x007fffffu);  // float subnormals: normal doubles
  for (auto& v : x) {
    const std::uint32_t b = subnormal(rng);
    float f;
    std::memcpy(&f, &b, 4);
    v = f;
  }
  check_log_f("log_f_float_subnormals", x, 0x1p-47, seed + 20);
  std::uniform_real_distribution<double> unit(0.0, 1e-3);  // doubles 1 - z (binary_cross_entropy's 1 - x)
  for (auto& v : x) v = 1.0 - unit(rng);
  check_log_f("log_f_double_below_one", x, 0x1p-46, seed + 20);
  check_log_f<true>("log_f_short_double_below_one", x, 0x1p-30, seed + 20);
  std::uniform_real_distribution<double> one_to_two(1.0, 2.0);  // 1 + e (binary_cross_entropy_with_logits)
  for (auto& v : x) v = one_to_two(rng);
  check_log_f<true>("log_f_short_one_to_two", x, 0x1p-30, seed + 20);
  std::uniform_real_distribution<double> wide(1e-300, 1e300);
  for (auto& v : x) v = wide(rng) * unit(rng);
  check_log_f("log_f_double_wide", x, 0x1p-46, seed + 20);
}

}  // namespace
