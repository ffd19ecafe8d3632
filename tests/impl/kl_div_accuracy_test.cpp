// kl_div's float64 log t - x in double-double lanes (impl/double_double_math.h) and the float64 kernel built on it,
// against __float128 (libquadmath's logq: 113-bit significand, its error about 2^-112 relative, far below the bounds
// checked). The bounds asserted are the ones the header derives: |error of log t - x| < 2^-102 max(|log t|, |x|);
// for the kernel, each element's loss t (log t - x) within 1 ULP plus t 2^-102 max(|log t|, |x|) (below 0.01 ULP
// where the condition |log t| / |log t - x| < 2^42), dL/dt = g (log t + 1 - x) within 1 ULP of the __float128
// value, and the sum within 2 ULPs plus the sum of the per-term bounds. The AVX2 and generic builds of the lanes
// must agree bit for bit, and the kernel's float64 results with the generic lanes'. Cases: random t over the whole
// double range (subnormals too), t near 1 and next to the table's interval ends, x = log t rounded and moved by a
// few ULPs or by a relative 1e-9 (the accuracy harness's nearly identical distributions), and random x.
// The float32 kernel's log t - x (vector_math_float.h, log_minus_float_lanes_of: hi + lo within 2^-54.3 +
// 2^-105 (|s| + |hi|) absolute) and its elements and sum, likewise on float arguments.
#include <gtest/gtest.h>
#include <quadmath.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "double_double_math.h"
#include "losscheck/impl/kl_div.h"
#include "vector_math_float.h"

namespace {

namespace simd = losscheck::impl::simd;
using quad = __float128;

LOSSCHECK_AVX2 void run_avx2(const double* t, const double* x, double* hi, double* lo, std::size_t n) {
  for (std::size_t i = 0; i + 4 <= n; i += 4) {
    const simd::vdd d = simd::log_minus_lanes(simd::load(t + i), simd::load(x + i));
    simd::store(hi + i, d.hi);
    simd::store(lo + i, d.lo);
  }
}
void run_generic(const double* t, const double* x, double* hi, double* lo, std::size_t n) {
  for (std::size_t i = 0; i + 4 <= n; i += 4) {
    const simd::vdd d = simd::log_minus_lanes(simd::load(t + i), simd::load(x + i));
    simd::store(hi + i, d.hi);
    simd::store(lo + i, d.lo);
  }
}

/// kl_div.cpp's float64 lane forms, in the generic build: loss = t d as hi + lo (TwoProduct), rounded to hi; dL/dt for
/// g = 1: d + 1 by TwoSum, the remainder added before the one rounding.
void forms_generic(const double* t, const double* x, double* loss, double* grad, std::size_t n) {
  for (std::size_t i = 0; i + 4 <= n; i += 4) {
    const simd::vd tv = simd::load(t + i);
    const simd::vdd d = simd::log_minus_lanes(tv, simd::load(x + i));
    const simd::vdd p = losscheck::impl::two_product(tv, d.hi);
    simd::store(loss + i, losscheck::impl::quick_two_sum(p.hi, p.lo + tv * d.lo).hi);
    const simd::vdd s = losscheck::impl::two_sum(d.hi, simd::splat(1.0));
    simd::store(grad + i, s.hi + (s.lo + d.lo));
  }
}

std::uint64_t bits(double v) {
  std::uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

double ulp_of(double v) {
  const double a = std::fabs(v);
  return a < 2.2250738585072014e-308 ? 4.9406564584124654e-324 : std::nextafter(a, INFINITY) - a;
}

/// Arguments: (t, x) pairs of every kind described above.
void make_cases(std::vector<double>& t, std::vector<double>& x, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> normal;
  auto add = [&](double tv) {
    const double l = std::log(tv);
    const int kind = static_cast<int>(rng() % 4);
    double xv = l;
    if (kind == 1) {
      const int steps = static_cast<int>(rng() % 9) - 4;
      for (int s = 0; s < std::abs(steps); ++s) xv = std::nextafter(xv, steps > 0 ? INFINITY : -INFINITY);
    } else if (kind == 2) {
      xv = l + 1e-9 * normal(rng) * std::fabs(l);
    } else if (kind == 3) {
      xv = normal(rng) * 10;
    }
    t.push_back(tv);
    x.push_back(xv);
  };
  for (int i = 0; i < 20000; ++i)  // the whole range, subnormals too
    add(std::fmax(std::exp2(-1074.0 + 2097.0 * unit(rng)) * (1 + unit(rng)) / 2, 4.9406564584124654e-324));
  for (int i = 0; i < 20000; ++i) add(std::exp(-12 * unit(rng)));  // probabilities
  for (int i = 0; i < 10000; ++i)                                   // near 1
    add(std::fmax(1 + std::ldexp(normal(rng), -static_cast<int>(2 + rng() % 50)), 0.01));
  for (int i = 0; i < 10000; ++i) {  // next to the table's interval ends: (0.6875 + j 2^-9) or (1 + j 2^-8), +- ULPs
    const int j = static_cast<int>(rng() % 256);
    const double edge = j < 160 ? 0.6875 + j * 0x1p-9 : 1 + (j - 160) * 0x1p-8;
    double v = std::ldexp(edge, static_cast<int>(rng() % 20) - 10);
    const int steps = static_cast<int>(rng() % 7) - 3;
    for (int s = 0; s < std::abs(steps); ++s) v = std::nextafter(v, steps > 0 ? INFINITY : -INFINITY);
    add(v);
  }
  add(1.0);
  add(0.5);
  add(4.9406564584124654e-324);
  add(1.7976931348623157e308);
  while (t.size() % 4 != 0) add(0.25);
}

TEST(KlDivAccuracy, LogMinusWithinBoundAndIsaIdentical) {
  std::vector<double> t, x;
  make_cases(t, x, 20261128);
  const std::size_t n = t.size();
  std::vector<double> hi(n), lo(n), hi_g(n), lo_g(n);
  if (__builtin_cpu_supports("avx2")) run_avx2(t.data(), x.data(), hi.data(), lo.data(), n);
  else run_generic(t.data(), x.data(), hi.data(), lo.data(), n);
  run_generic(t.data(), x.data(), hi_g.data(), lo_g.data(), n);
  double worst = 0;
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_EQ(bits(hi[i]), bits(hi_g[i])) << "AVX2 and generic differ at t = " << t[i] << ", x = " << x[i];
    ASSERT_EQ(bits(lo[i]), bits(lo_g[i])) << "AVX2 and generic differ at t = " << t[i] << ", x = " << x[i];
    const quad exact = logq(static_cast<quad>(t[i])) - static_cast<quad>(x[i]);
    const quad got = static_cast<quad>(hi[i]) + static_cast<quad>(lo[i]);
    const double scale = std::fmax(std::fabs(std::log(t[i])), std::fabs(x[i]));
    const quad error = fabsq(got - exact);
    const double relative = error == 0 ? 0.0 : static_cast<double>(error / static_cast<quad>(scale));
    worst = std::fmax(worst, relative);
    ASSERT_LT(relative, 0x1p-102) << std::hexfloat << "t = " << t[i] << ", x = " << x[i] << ": got " << hi[i] << " + "
                                  << lo[i] << ", error " << relative << " of max(|log t|, |x|)";
  }
  std::printf("log t - x: max error %.3g x 2^-102 of max(|log t|, |x|) over %zu cases\n", worst * 0x1p102, n);
}

/// kl_div float64 (reduction none and sum, with grad_target) against __float128 on the cases above with t <= 1
/// (probabilities) and the nearly-identical x = log t (1 + 1e-9 N(0, 1)).
TEST(KlDivAccuracy, KernelElementsAndSumWithinBounds) {
  std::vector<double> t_all, x_all;
  make_cases(t_all, x_all, 7);
  std::vector<double> t, x;
  for (std::size_t i = 0; i < t_all.size(); ++i)
    if (t_all[i] <= 1 && t_all[i] > 1e-300 && std::fabs(x_all[i]) < 1e3) {
      t.push_back(t_all[i]);
      x.push_back(x_all[i]);
    }
  t.push_back(0.3);  // a tail of 3 elements (the per-element code) beyond the blocks
  x.push_back(std::log(0.3) * (1 + 1e-9));
  const auto n = static_cast<std::int64_t>(t.size());
  using losscheck::reduction;
  std::vector<double> out(n), grad_input(n), grad_target(n);
  losscheck::impl::kl_div_args<double> args{x.data(), t.data(), n, reduction::none, false, 1, false};
  losscheck::impl::kl_div_forward_backward<double, double>(args, nullptr, out.data(), grad_input.data(),
                                                           grad_target.data());
  // the kernel (AVX2 where the CPU has it, unless LOSSCHECK_IMPL_ISA=generic) and the generic lanes: the same bits
  std::vector<double> loss_g(n), grad_g(n);
  forms_generic(t.data(), x.data(), loss_g.data(), grad_g.data(), t.size());
  for (std::int64_t i = 0; i < n / 4 * 4; ++i) {
    ASSERT_EQ(bits(out[i]), bits(loss_g[i])) << std::hexfloat << "loss at t = " << t[i] << ", x = " << x[i];
    ASSERT_EQ(bits(grad_target[i]), bits(grad_g[i])) << std::hexfloat << "grad at t = " << t[i] << ", x = " << x[i];
  }
  quad exact_sum = 0;
  double bound = 0, worst_conditioned_ok = 0, worst_any = 0, worst_grad = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const quad d = logq(static_cast<quad>(t[i])) - static_cast<quad>(x[i]);
    const quad loss = static_cast<quad>(t[i]) * d;
    exact_sum += loss;
    bound += t[i] * std::fmax(std::fabs(std::log(t[i])), std::fabs(x[i])) * 0x1p-102;
    // 1 ULP (two roundings) plus the error of log t - x, t 2^-102 max(|log t|, |x|): below 0.01 ULP where the
    // condition |log t| / |log t - x| < 2^42, more where x is log t rounded (its error is then most of the result)
    const double loss_ulp = ulp_of(static_cast<double>(loss));
    const double loss_error = static_cast<double>(fabsq(static_cast<quad>(out[i]) - loss)) / loss_ulp;
    const double term_bound = t[i] * std::fmax(std::fabs(std::log(t[i])), std::fabs(x[i])) * 0x1p-102;
    EXPECT_LE(loss_error, 1.0 + term_bound / loss_ulp)
        << std::hexfloat << "loss at t = " << t[i] << ", x = " << x[i] << ": " << out[i];
    if (term_bound < 0.01 * loss_ulp) worst_conditioned_ok = std::fmax(worst_conditioned_ok, loss_error);
    worst_any = std::fmax(worst_any, loss_error);
    const quad grad = d + 1;
    const double grad_error = static_cast<double>(fabsq(static_cast<quad>(grad_target[i]) - grad)) /
                              ulp_of(static_cast<double>(grad));
    worst_grad = std::fmax(worst_grad, grad_error);
    EXPECT_LE(grad_error, 1.0) << std::hexfloat << "grad_target at t = " << t[i] << ", x = " << x[i] << ": "
                               << grad_target[i];
  }
  std::printf("loss: max %.3g ULP where the bound of log t - x is < 0.01 ULP, %.3g overall; grad_target max %.3g ULP\n",
              worst_conditioned_ok, worst_any, worst_grad);
  double sum = 0;
  args.red = reduction::sum;
  losscheck::impl::kl_div_forward(args, &sum);
  const double sum_error = static_cast<double>(fabsq(static_cast<quad>(sum) - exact_sum));
  const double allowed = 2 * ulp_of(static_cast<double>(exact_sum)) + bound;
  EXPECT_LE(sum_error, allowed) << std::hexfloat << "sum " << sum << ", exact " << static_cast<double>(exact_sum);
  std::printf("sum of %lld terms: error %.3g ULPs (allowed %.3g)\n", static_cast<long long>(n),
              sum_error / ulp_of(static_cast<double>(exact_sum)), allowed / ulp_of(static_cast<double>(exact_sum)));
}

// ---- float32: log_minus_float_lanes_of and the float32 kernel ----

LOSSCHECK_AVX2 void run_float_avx2(const double* t, const double* x, double* hi, double* lo, std::size_t n) {
  for (std::size_t i = 0; i + 4 <= n; i += 4) {
    simd::vd h, l;
    simd::log_minus_float_lanes_of(simd::load(t + i), simd::load(x + i), h, l);
    simd::store(hi + i, h);
    simd::store(lo + i, l);
  }
}
void run_float_generic(const double* t, const double* x, double* hi, double* lo, std::size_t n) {
  for (std::size_t i = 0; i + 4 <= n; i += 4) {
    simd::vd h, l;
    simd::log_minus_float_lanes_of(simd::load(t + i), simd::load(x + i), h, l);
    simd::store(hi + i, h);
    simd::store(lo + i, l);
  }
}

/// The bound of log_minus_float_lanes_of (vector_math_float.h) in terms of the arguments: |s| <= |log t| + 0.04 and
/// |hi| <= |s| + |x|, so 2^-105 (|s| + |hi|) <= 2^-105 (2 |log t| + |x| + 0.08).
double float_log_minus_bound(double t, double x) {
  return std::exp2(-54.3) + 0x1p-105 * (2 * std::fabs(std::log(t)) + std::fabs(x) + 0.08);
}

/// Float arguments (t > 0, x finite): the kinds of make_cases, each value a float.
void make_float_cases(std::vector<float>& t, std::vector<float>& x, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> normal;
  auto add = [&](double tv_double) {
    const float tv = std::fmax(static_cast<float>(tv_double), 1.4e-45f);
    const double l = std::log(static_cast<double>(tv));
    const int kind = static_cast<int>(rng() % 5);
    float xv = static_cast<float>(l);
    if (kind == 1) {
      const int steps = static_cast<int>(rng() % 9) - 4;
      for (int s = 0; s < std::abs(steps); ++s) xv = std::nextafter(xv, steps > 0 ? INFINITY : -INFINITY);
    } else if (kind == 2) {
      xv = static_cast<float>(l + 1e-4 * normal(rng) * std::fabs(l));
    } else if (kind == 3) {
      xv = static_cast<float>(l + 1e-9 * normal(rng) * std::fabs(l));
    } else if (kind == 4) {
      xv = static_cast<float>(normal(rng) * 10);
    }
    t.push_back(tv);
    x.push_back(xv);
  };
  for (int i = 0; i < 20000; ++i) add(std::exp2(-149.0 + 277.0 * unit(rng)));  // every float binade
  for (int i = 0; i < 20000; ++i) add(std::exp(-12 * unit(rng)));              // probabilities
  for (int i = 0; i < 10000; ++i)                                              // near 1
    add(std::fmax(1 + std::ldexp(normal(rng), -static_cast<int>(2 + rng() % 22)), 0.01));
  for (int i = 0; i < 10000; ++i) {  // next to the table's sub-interval ends (vector_math_float.h), +- float ULPs
    std::uint64_t edge_bits = 0x3fe6a09e00000000u + ((rng() % 16) << 48);
    double edge;
    std::memcpy(&edge, &edge_bits, sizeof edge);
    float v = static_cast<float>(std::ldexp(edge, static_cast<int>(rng() % 40) - 20));
    const int steps = static_cast<int>(rng() % 7) - 3;
    for (int s = 0; s < std::abs(steps); ++s) v = std::nextafter(v, steps > 0 ? INFINITY : -INFINITY);
    add(v);
  }
  for (const double v : {1.0, 0.5, 2.0, 1.4e-45, 3.4028234663852886e38}) add(v);
  while (t.size() % 8 != 0) add(0.25);
}

TEST(KlDivAccuracy, FloatLogMinusWithinBoundAndIsaIdentical) {
  std::vector<float> tf, xf;
  make_float_cases(tf, xf, 20261203);
  const std::vector<double> t(tf.begin(), tf.end()), x(xf.begin(), xf.end());
  const std::size_t n = t.size();
  std::vector<double> hi(n), lo(n), hi_g(n), lo_g(n);
  if (__builtin_cpu_supports("avx2")) run_float_avx2(t.data(), x.data(), hi.data(), lo.data(), n);
  else run_float_generic(t.data(), x.data(), hi.data(), lo.data(), n);
  run_float_generic(t.data(), x.data(), hi_g.data(), lo_g.data(), n);
  double worst = 0;
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_EQ(bits(hi[i]), bits(hi_g[i])) << "AVX2 and generic differ at t = " << t[i] << ", x = " << x[i];
    ASSERT_EQ(bits(lo[i]), bits(lo_g[i])) << "AVX2 and generic differ at t = " << t[i] << ", x = " << x[i];
    const quad exact = logq(static_cast<quad>(t[i])) - static_cast<quad>(x[i]);
    const double error = static_cast<double>(fabsq(static_cast<quad>(hi[i]) + static_cast<quad>(lo[i]) - exact));
    const double bound = float_log_minus_bound(t[i], x[i]);
    worst = std::fmax(worst, error / bound);
    ASSERT_LT(error, bound) << std::hexfloat << "t = " << t[i] << ", x = " << x[i] << ": got " << hi[i] << " + "
                            << lo[i] << ", error " << error << " (bound " << bound << ")";
  }
  std::printf("float log t - x: max error %.3g of the bound over %zu cases\n", worst, n);
}

/// kl_div float32 (reduction none with grad_target, and sum) against __float128 on the float cases with t <= 1: the
/// kernel (AVX-512, AVX2 or generic, whichever the CPU and LOSSCHECK_IMPL_ISA select) gives the generic 4-lane forms'
/// bits; each element is the double value rounded to float, so within 0.5 ULP plus the double computation's error:
/// loss t fl(hi + lo) rounded, t (bound + 2^-52 |log t - x|) (1 + 2^-52); dL/dt (g = 1) = (hi + 1) + lo with hi + 1's
/// error added back, bound + 2^-52 |log t + 1 - x|.
TEST(KlDivAccuracy, Float32KernelElementsAndSumWithinBounds) {
  std::vector<float> t_all, x_all;
  make_float_cases(t_all, x_all, 11);
  std::vector<float> t, x;
  for (std::size_t i = 0; i < t_all.size(); ++i)
    if (t_all[i] <= 1) {
      t.push_back(t_all[i]);
      x.push_back(x_all[i]);
    }
  while (t.size() % 8 != 0) {  // every element in the lanes (a tail goes element by element, through std::log)
    t.push_back(0.25f);
    x.push_back(static_cast<float>(std::log(0.25)));
  }
  const auto n = static_cast<std::int64_t>(t.size());
  using losscheck::reduction;
  std::vector<float> out(n), grad_input(n), grad_target(n);
  losscheck::impl::kl_div_args<float> args{x.data(), t.data(), n, reduction::none, false, 1, false};
  losscheck::impl::kl_div_forward_backward<float, float>(args, nullptr, out.data(), grad_input.data(),
                                                         grad_target.data());
  const std::vector<double> td(t.begin(), t.end()), xd(x.begin(), x.end());
  std::vector<double> hi(n), lo(n);
  run_float_generic(td.data(), xd.data(), hi.data(), lo.data(), td.size());
  quad exact_sum = 0;
  double bound_sum = 0, abs_sum = 0, worst_loss = 0, worst_loss_tight = 0, worst_grad = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    // the generic lanes' forms (kl_div.cpp): the same bits
    const auto g1 = losscheck::impl::two_sum(hi[i], 1.0);
    const float loss_g = static_cast<float>(td[i] * (hi[i] + lo[i]));
    const float grad_g = static_cast<float>(g1.hi + (g1.lo + lo[i]));
    ASSERT_EQ(std::memcmp(&out[i], &loss_g, 4), 0) << std::hexfloat << "loss at t = " << t[i] << ", x = " << x[i];
    ASSERT_EQ(std::memcmp(&grad_target[i], &grad_g, 4), 0)
        << std::hexfloat << "grad_target at t = " << t[i] << ", x = " << x[i];
    const quad d = logq(static_cast<quad>(td[i])) - static_cast<quad>(xd[i]);
    const quad loss = static_cast<quad>(td[i]) * d;
    exact_sum += loss;
    const double lmb = float_log_minus_bound(td[i], xd[i]);
    const double loss_double_error = td[i] * (lmb + 0x1p-52 * std::fabs(static_cast<double>(d))) * (1 + 0x1p-52);
    bound_sum += loss_double_error;
    abs_sum += std::fabs(static_cast<double>(loss));
    const double loss_ulp = std::fmax(std::fabs(std::nextafter(static_cast<float>(loss), INFINITY) -
                                                static_cast<float>(loss)),
                                      1.4e-45f);  // ulp of the float value (at least the subnormal spacing)
    const double loss_error = static_cast<double>(fabsq(static_cast<quad>(out[i]) - loss)) / loss_ulp;
    EXPECT_LE(loss_error, 0.5 * 1.0000001 + loss_double_error / loss_ulp)
        << std::hexfloat << "loss at t = " << t[i] << ", x = " << x[i] << ": " << out[i];
    worst_loss = std::fmax(worst_loss, loss_error);
    if (loss_double_error < 0.01 * loss_ulp) worst_loss_tight = std::fmax(worst_loss_tight, loss_error);
    const quad grad = d + 1;
    const double grad_ulp = std::fmax(std::fabs(std::nextafter(static_cast<float>(grad), INFINITY) -
                                                static_cast<float>(grad)),
                                      1.4e-45f);
    const double grad_error = static_cast<double>(fabsq(static_cast<quad>(grad_target[i]) - grad)) / grad_ulp;
    const double grad_bound = 0.5 * 1.0000001 + (lmb + 0x1p-52 * std::fabs(static_cast<double>(grad))) / grad_ulp;
    EXPECT_LE(grad_error, grad_bound) << std::hexfloat << "grad_target at t = " << t[i] << ", x = " << x[i] << ": "
                                      << grad_target[i];
    worst_grad = std::fmax(worst_grad, grad_error);
  }
  std::printf("float32 loss: max %.3g ULP (%.3g where the double computation's bound is < 0.01 ULP); grad_target max "
              "%.3g ULP\n",
              worst_loss, worst_loss_tight, worst_grad);
  // the sum: the terms' errors, the compensated double sum's (2^-52 |S| + n 2^-104 sum |L|), then rounded to float
  float sum = 0;
  args.red = reduction::sum;
  losscheck::impl::kl_div_forward(args, &sum);
  const double exact = static_cast<double>(exact_sum);
  const double sum_ulp = std::fabs(std::nextafter(static_cast<float>(exact), INFINITY) - static_cast<float>(exact));
  const double allowed =
      0.5 * sum_ulp + bound_sum + 0x1p-52 * std::fabs(exact) + static_cast<double>(n) * 0x1p-104 * abs_sum;
  const double sum_error = static_cast<double>(fabsq(static_cast<quad>(sum) - exact_sum));
  EXPECT_LE(sum_error, allowed) << std::hexfloat << "sum " << sum << ", exact " << exact;
  std::printf("float32 sum of %lld terms: error %.3g ULPs (allowed %.3g)\n", static_cast<long long>(n),
              sum_error / sum_ulp, allowed / sum_ulp);
}

}  // namespace
