// impl's fast paths on inputs large enough to be cut into chunks (parallel.h) and to fill many blocks
// (fast_elementwise.h): (1) the results do not depend on the thread count (bit for bit); (2) they agree with an
// independent long double evaluation of each formula (glibc's expl/logl/log1pl, about 2^-63 relative) within the
// bounds below, derived from the roundings of the double computation; (3) blocks holding an inf or NaN, handled by
// the per-element code, and the blocks around them keep those bounds.
//
// Bounds: float results of a double computation rounded once (its error, a few 2^-53 or vector_math_float.h's
// division-free log, 2^-46, is far below float's 2^-24): |got - exact| <= 1 ULP of the float. The float32 kernels that
// compute in float lanes state their own bounds (exp_difference_f < 0.62 ULP): cross_entropy loss < 1.74 ULP and
// gradient < 3 ULP elementwise; bce_with_logits (e^-|x| as head + tail, < 2^-26 relative) loss < 0.77 ULP, input
// gradient < 1 ULP normwise (two terms, each with e's 2^-26 relative error, 2^-26 2^24 = 1/4 ULP of their sum, which
// is <= 2 max|gradient| here, plus the rounding). Double results: every formula here is a handful of roundings (each
// <= 1/2 ULP) plus the vector exp/log (< 1 ULP, vector_math_test) of terms that do not cancel in these ranges, so
// <= 4 ULPs of the element for losses; gradients where two terms cancel (x - y in bce, p - 1 in cross_entropy) are
// compared normwise: <= 4 ULPs of the tensor's largest |value|.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

#include "losscheck/impl/binary_cross_entropy.h"
#include "losscheck/impl/binary_cross_entropy_with_logits.h"
#include "losscheck/impl/cosine_embedding_loss.h"
#include "losscheck/impl/cross_entropy.h"
#include "losscheck/impl/kl_div.h"
#include "losscheck/impl/huber_loss.h"
#include "losscheck/impl/l1_loss.h"
#include "losscheck/impl/mse_loss.h"
#include "losscheck/impl/smooth_l1_loss.h"
#include "losscheck/impl/nll_loss.h"
#include "losscheck/impl/threads.h"

namespace {

namespace li = losscheck::impl;
using losscheck::reduction;
using ld = long double;

constexpr std::uint64_t seed = 20261128;
constexpr std::int64_t n = 100003;  // not a multiple of the lanes or blocks; above parallel_threshold

template <class T>
std::vector<T> uniform(std::int64_t count, double lo, double hi, std::uint64_t s) {
  std::mt19937_64 rng(s);
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<T> v(static_cast<std::size_t>(count));
  for (auto& x : v) x = static_cast<T>(d(rng));
  return v;
}

template <class T>
double ulp_of(ld v) {
  const T a = static_cast<T>(std::fabs(static_cast<double>(v)));
  if (a < std::numeric_limits<T>::min()) return std::numeric_limits<T>::denorm_min();
  return static_cast<double>(std::nextafter(a, std::numeric_limits<T>::infinity()) - a);
}

/// Checks got against exact: elementwise (scale = each |exact|) or normwise (scale = max |exact|).
template <class T>
void expect_close(const char* what, const std::vector<T>& got, const std::vector<ld>& exact, bool normwise,
                  const std::vector<bool>* skip = nullptr, double float_bound = 1.0) {
  const double bound = std::is_same_v<T, float> ? float_bound : 4.0;
  ld scale = 0;
  for (auto e : exact) scale = std::max(scale, std::fabs(e));
  double worst = 0;
  std::size_t at = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (skip && (*skip)[i]) continue;
    const double ulp = ulp_of<T>(normwise ? scale : exact[i]);
    const double err = static_cast<double>(std::fabs(static_cast<ld>(got[i]) - exact[i])) / ulp;
    if (err > worst) worst = err, at = i;
  }
  std::printf("%s: max error %.3f ULP%s at %zu\n", what, worst, normwise ? " (normwise)" : "", at);
  EXPECT_LE(worst, bound) << what << "[" << at << "] = " << got[at] << ", exact " << static_cast<double>(exact[at])
                          << " (seed " << seed
                          << "); replay: build/tests/impl_numerics_test --gtest_filter='FastPaths*'";
}

template <class T>
void expect_identical(const char* what, const std::vector<T>& a, const std::vector<T>& b) {
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i]))) || std::signbit(a[i]) != std::signbit(b[i])) {
      ADD_FAILURE() << what << "[" << i << "]: " << a[i] << " with 1 thread, " << b[i] << " with 2 (seed " << seed
                    << "); replay: build/tests/impl_numerics_test --gtest_filter='FastPaths*'";
      return;
    }
}

/// Runs f (which fills its outputs) with 1 and 2 threads; the outputs must be identical. Returns the 1-thread ones.
template <class R, class F>
R with_both_thread_counts(const char* what, F f) {
  li::set_num_threads(1);
  R one = f();
  li::set_num_threads(2);
  R two = f();
  li::set_num_threads(1);
  for (std::size_t k = 0; k < one.size(); ++k) expect_identical(what, one[k], two[k]);
  return one;
}

template <class T>
void mse_case() {
  auto x = uniform<T>(n, -3, 3, seed), t = uniform<T>(n, -3, 3, seed + 1);
  using R = std::vector<std::vector<T>>;
  const auto r = with_both_thread_counts<R>("mse_loss", [&] {
    R out{std::vector<T>(1), std::vector<T>(x.size()), std::vector<T>(static_cast<std::size_t>(n))};
    li::mse_loss_forward_backward<T, T>({x.data(), t.data(), n, reduction::mean}, nullptr, out[0].data(),
                                        out[1].data(), nullptr);
    li::mse_loss_forward<T>({x.data(), t.data(), n, reduction::none}, out[2].data());
    return out;
  });
  std::vector<ld> loss(x.size()), grad(x.size());
  ld total = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const ld d = static_cast<ld>(x[i]) - static_cast<ld>(t[i]);
    loss[i] = d * d;
    total += d * d;
    grad[i] = 2 * d / n;
  }
  expect_close<T>("mse_loss none", r[2], loss, false);
  expect_close<T>("mse_loss mean", r[0], {total / n}, false);
  expect_close<T>("mse_loss grad_input", r[1], grad, false);
}

/// l1_loss, smooth_l1_loss (beta = 0.75) and huber_loss (delta = 0.75): differences on both sides of the kink, some
/// exact ties (every 7th element); the same results with 1 and 2 threads, within the bounds of the exact values.
template <class T>
void l1_family_case() {
  auto x = uniform<T>(n, -3, 3, seed + 20), t = uniform<T>(n, -3, 3, seed + 21);
  for (std::size_t i = 0; i < x.size(); i += 7) t[i] = x[i];
  const ld b = 0.75L;
  using R = std::vector<std::vector<T>>;
  const auto run = [&](const char* what, auto forward_backward, auto forward) {
    return with_both_thread_counts<R>(what, [&] {
      R out{std::vector<T>(1), std::vector<T>(x.size()), std::vector<T>(x.size()), std::vector<T>(x.size())};
      forward_backward(reduction::mean, out[0].data(), out[1].data(), out[2].data());
      forward(reduction::none, out[3].data());
      return out;
    });
  };
  const auto l1 = run(
      "l1_loss",
      [&](reduction r, T* o, T* gx, T* gt) { li::l1_loss_forward_backward<T, T>({x.data(), t.data(), n, r}, nullptr, o, gx, gt); },
      [&](reduction r, T* o) { li::l1_loss_forward<T>({x.data(), t.data(), n, r}, o); });
  const auto sl1 = run(
      "smooth_l1_loss",
      [&](reduction r, T* o, T* gx, T* gt) {
        li::smooth_l1_loss_forward_backward<T, T>({x.data(), t.data(), n, 0.75, r}, nullptr, o, gx, gt);
      },
      [&](reduction r, T* o) { li::smooth_l1_loss_forward<T>({x.data(), t.data(), n, 0.75, r}, o); });
  const auto hub = run(
      "huber_loss",
      [&](reduction r, T* o, T* gx, T* gt) {
        li::huber_loss_forward_backward<T, T>({x.data(), t.data(), n, 0.75, r}, nullptr, o, gx, gt);
      },
      [&](reduction r, T* o) { li::huber_loss_forward<T>({x.data(), t.data(), n, 0.75, r}, o); });
  std::vector<ld> l[3], gx[3], gt[3];
  ld total[3] = {0, 0, 0};
  for (int k = 0; k < 3; ++k) l[k].resize(x.size()), gx[k].resize(x.size()), gt[k].resize(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const ld d = static_cast<ld>(x[i]) - static_cast<ld>(t[i]), z = std::fabs(d);
    const ld s = d > 0 ? 1 : d < 0 ? -1 : 0;
    l[0][i] = z, gx[0][i] = s / n, gt[0][i] = -s / n;
    l[1][i] = z < b ? 0.5L * z * z / b : z - 0.5L * b;
    gx[1][i] = (d <= -b ? -1 : d >= b ? 1 : d / b) / n, gt[1][i] = -gx[1][i];
    l[2][i] = z < b ? 0.5L * z * z : b * (z - 0.5L * b);
    gx[2][i] = (d <= -b ? -b : d >= b ? b : d) / n, gt[2][i] = -gx[2][i];
    for (int k = 0; k < 3; ++k) total[k] += l[k][i];
  }
  const R* r[3] = {&l1, &sl1, &hub};
  const char* names[3][4] = {{"l1_loss none", "l1_loss mean", "l1_loss grad_input", "l1_loss grad_target"},
                             {"smooth_l1_loss none", "smooth_l1_loss mean", "smooth_l1_loss grad_input",
                              "smooth_l1_loss grad_target"},
                             {"huber_loss none", "huber_loss mean", "huber_loss grad_input", "huber_loss grad_target"}};
  for (int k = 0; k < 3; ++k) {
    expect_close<T>(names[k][0], (*r[k])[3], l[k], false);
    expect_close<T>(names[k][1], (*r[k])[0], {total[k] / n}, false);
    expect_close<T>(names[k][2], (*r[k])[1], gx[k], false);
    expect_close<T>(names[k][3], (*r[k])[2], gt[k], false);
  }
}

template <class T>
void bce_case() {
  auto x = uniform<T>(n, 0.001, 0.999, seed + 2), y = uniform<T>(n, 0, 1, seed + 3);
  using R = std::vector<std::vector<T>>;
  const auto r = with_both_thread_counts<R>("binary_cross_entropy", [&] {
    R out{std::vector<T>(x.size()), std::vector<T>(x.size()), std::vector<T>(x.size())};
    li::binary_cross_entropy_args<T> a{x.data(), y.data(), nullptr, n, reduction::none};
    li::binary_cross_entropy_forward_backward<T>(a, nullptr, out[0].data(), out[1].data(), out[2].data());
    return out;
  });
  std::vector<ld> loss(x.size()), gx(x.size()), gy(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const ld xi = x[i], yi = y[i];
    loss[i] = -(yi * logl(xi) + (1 - yi) * log1pl(-xi));
    gx[i] = (xi - yi) / (xi * (1 - xi));
    gy[i] = log1pl(-xi) - logl(xi);
  }
  expect_close<T>("binary_cross_entropy", r[0], loss, false);
  expect_close<T>("binary_cross_entropy grad_input", r[1], gx, true);
  expect_close<T>("binary_cross_entropy grad_target", r[2], gy, true);
}

template <class T>
void bce_with_logits_case() {
  auto x = uniform<T>(n, -30, 30, seed + 4), y = uniform<T>(n, 0, 1, seed + 5);
  using R = std::vector<std::vector<T>>;
  const auto r = with_both_thread_counts<R>("binary_cross_entropy_with_logits", [&] {
    R out{std::vector<T>(x.size()), std::vector<T>(x.size())};
    li::binary_cross_entropy_with_logits_args<T> a{x.data(), y.data(), nullptr, nullptr, n, reduction::none};
    li::binary_cross_entropy_with_logits_forward_backward<T>(a, nullptr, out[0].data(), out[1].data(), nullptr);
    return out;
  });
  std::vector<ld> loss(x.size()), gx(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const ld xi = x[i], yi = y[i];
    // (1 - y) x + softplus(-x) as a sum of two nonnegative terms (no cancellation in the reference either)
    loss[i] = xi >= 0 ? (1 - yi) * xi + log1pl(expl(-xi)) : log1pl(expl(xi)) - yi * xi;
    gx[i] = 1 / (1 + expl(-xi)) - yi;
  }
  expect_close<T>("binary_cross_entropy_with_logits", r[0], loss, false, nullptr, 0.77);
  expect_close<T>("binary_cross_entropy_with_logits grad_input", r[1], gx, true, nullptr, 1.0);
}

template <class T>
void kl_div_case() {
  auto x = uniform<T>(n, -10, 0, seed + 6), t = uniform<T>(n, 0, 0.01, seed + 7);
  using R = std::vector<std::vector<T>>;
  const auto r = with_both_thread_counts<R>("kl_div", [&] {
    R out{std::vector<T>(x.size()), std::vector<T>(x.size()), std::vector<T>(x.size()), std::vector<T>(1)};
    li::kl_div_args<T> a{x.data(), t.data(), n, reduction::none};
    li::kl_div_forward_backward<T, T>(a, nullptr, out[0].data(), out[1].data(), out[2].data());
    a.red = reduction::batchmean;
    a.batch_size = 7;
    li::kl_div_forward<T>(a, out[3].data());
    return out;
  });
  std::vector<ld> loss(x.size()), gx(x.size()), gt(x.size());
  ld total = 0;
  std::vector<bool> cancels(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const ld xi = x[i], ti = t[i];
    loss[i] = ti * (logl(ti) - xi);
    total += loss[i];
    gx[i] = -ti;
    gt[i] = logl(ti) + 1 - xi;
    // log t - x cancels where log t is close to x (condition |x| / |log t - x|): compared normwise below
    cancels[i] = std::fabs(logl(ti) - xi) < 0.5L * std::fabs(xi);
  }
  expect_close<T>("kl_div", r[0], loss, false, &cancels);
  expect_close<T>("kl_div (all, normwise)", r[0], loss, true);
  expect_close<T>("kl_div grad_input", r[1], gx, false);
  expect_close<T>("kl_div grad_target", r[2], gt, true);
  expect_close<T>("kl_div batchmean", r[3], {total / 7}, false);
}

template <class T>
void cross_entropy_case(std::int64_t rows, std::int64_t classes) {
  auto x = uniform<T>(rows * classes, -8, 8, seed + 8);
  std::mt19937_64 rng(seed + 9);
  std::vector<std::int64_t> y(static_cast<std::size_t>(rows));
  for (auto& v : y) v = std::uniform_int_distribution<std::int64_t>(0, classes - 1)(rng);
  // one confidently correct row and one row with an inf (per-element code) among the others
  x[static_cast<std::size_t>(3 * classes + y[3])] = 60;
  const std::int64_t inf_row = rows > 5 ? 5 : 1;  // (4 rows: row 5 would be past the end -- found by ASan)
  x[static_cast<std::size_t>(inf_row * classes + 1)] = -std::numeric_limits<T>::infinity();
  // a row whose logits span more than 87 (float32: the double lanes instead of the float ones)
  x[static_cast<std::size_t>(2 * classes + (y[2] + 1) % classes)] = -100;
  using R = std::vector<std::vector<T>>;
  const auto r = with_both_thread_counts<R>("cross_entropy", [&] {
    R out{std::vector<T>(static_cast<std::size_t>(rows)), std::vector<T>(x.size())};
    li::cross_entropy_args<T> a{x.data(), y.data(), nullptr, {rows, classes, 1}, reduction::none};
    li::cross_entropy_forward_backward<T>(a, nullptr, out[0].data(), out[1].data());
    return out;
  });
  std::vector<ld> loss(static_cast<std::size_t>(rows)), grad(x.size());
  for (std::int64_t i = 0; i < rows; ++i) {
    const T* row = x.data() + i * classes;
    ld m = -INFINITY;
    for (std::int64_t c = 0; c < classes; ++c) m = std::max(m, static_cast<ld>(row[c]));
    // rest = the sum without the (first) maximal term, so that log1p keeps the digits of a confident row
    ld rest = 0;
    std::int64_t argmax = -1;
    for (std::int64_t c = 0; c < classes; ++c) {
      if (argmax < 0 && row[c] == m) argmax = c;
      else rest += expl(row[c] - m);
    }
    const auto yi = y[static_cast<std::size_t>(i)];
    loss[static_cast<std::size_t>(i)] = (m - row[yi]) + log1pl(rest);
    for (std::int64_t c = 0; c < classes; ++c)
      grad[static_cast<std::size_t>(i * classes + c)] =
          c == yi ? -(yi == argmax ? rest : 1 + rest - expl(row[c] - m)) / (1 + rest) : expl(row[c] - m) / (1 + rest);
  }
  expect_close<T>("cross_entropy", r[0], loss, false, nullptr, 1.74);
  // the confidently correct row: its loss e^-52-ish and gradient keep their digits (elementwise)
  expect_close<T>("cross_entropy confident row", {r[0][3]}, {loss[3]}, false, nullptr, 1.74);
  // float32: elementwise (the float lanes' bound); float64: normwise (p_c - 1 cancels for the target)
  expect_close<T>("cross_entropy grad_input", r[1], grad, std::is_same_v<T, double>, nullptr, 3.0);
  std::vector<T> confident(r[1].begin() + 3 * classes, r[1].begin() + 4 * classes);
  std::vector<ld> confident_exact(grad.begin() + 3 * classes, grad.begin() + 4 * classes);
  expect_close<T>("cross_entropy confident row grad_input", confident, confident_exact, false, nullptr, 3.0);
}

TEST(FastPaths, MseLoss) {
  mse_case<float>();
  mse_case<double>();
}
TEST(FastPaths, L1SmoothL1AndHuberLoss) {
  l1_family_case<float>();
  l1_family_case<double>();
}
TEST(FastPaths, BinaryCrossEntropy) {
  bce_case<float>();
  bce_case<double>();
}
TEST(FastPaths, BinaryCrossEntropyWithLogits) {
  bce_with_logits_case<float>();
  bce_with_logits_case<double>();
}
TEST(FastPaths, KlDiv) {
  kl_div_case<float>();
  kl_div_case<double>();
}
TEST(FastPaths, CrossEntropy) {
  cross_entropy_case<float>(300, 1000);
  cross_entropy_case<double>(300, 1000);
  cross_entropy_case<float>(4, 40000);  // rows longer than the exponential buffer
  cross_entropy_case<double>(4, 40000);
}

/// cosine_embedding_loss and nll_loss cut their rows / zeros into chunks as well: same results with 1 and 2 threads.
template <class T>
void cosine_and_nll_case() {
  const std::int64_t rows = 300, dim = 512;
  auto x1 = uniform<T>(rows * dim, -1, 1, seed + 12), x2 = uniform<T>(rows * dim, -1, 1, seed + 13);
  std::vector<T> y(static_cast<std::size_t>(rows));
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = i % 3 ? T(1) : T(-1);
  std::vector<std::int64_t> classes(static_cast<std::size_t>(rows));
  for (std::size_t i = 0; i < classes.size(); ++i) classes[i] = static_cast<std::int64_t>(i * 7 % dim);
  using R = std::vector<std::vector<T>>;
  with_both_thread_counts<R>("cosine_embedding_loss and nll_loss", [&] {
    R out{std::vector<T>(1), std::vector<T>(x1.size()), std::vector<T>(x2.size()), std::vector<T>(1),
          std::vector<T>(x1.size(), T(7))};
    li::cosine_embedding_loss_args<T> a{x1.data(), dim, x2.data(), dim, rows, y.data(), rows, 0.1, reduction::mean};
    li::cosine_embedding_loss_forward_backward<T, T>(a, nullptr, out[0].data(), out[1].data(), out[2].data());
    li::nll_loss_args<T> n{x1.data(), classes.data(), nullptr, {rows, dim, 1}, reduction::mean};
    li::nll_loss_forward_backward<T>(n, nullptr, out[3].data(), out[4].data());
    for (std::size_t i = 0; i < out[4].size(); ++i)
      if (out[4][i] != 0 && i % static_cast<std::size_t>(dim) != static_cast<std::size_t>(classes[i / dim])) {
        ADD_FAILURE() << "nll_loss grad_input[" << i << "] = " << out[4][i] << ", want 0 (not a target)";
        break;
      }
    return out;
  });
}

TEST(FastPaths, CosineAndNllChunks) {
  cosine_and_nll_case<float>();
  cosine_and_nll_case<double>();
}

/// Gradients larger than 16 MB are written with non-temporal stores (mse_loss): the values are the same as the
/// lanes' formula 2 g (x - t) with g = 1 / numel, for both thread counts.
TEST(FastPaths, StreamedGradients) {
  const std::int64_t big = (std::int64_t{1} << 22) + 3;
  auto x = uniform<float>(big, -2, 2, seed + 14), t = uniform<float>(big, -2, 2, seed + 15);
  using R = std::vector<std::vector<float>>;
  const auto r = with_both_thread_counts<R>("mse_loss streamed", [&] {
    R out{std::vector<float>(1), std::vector<float>(x.size())};
    li::mse_loss_forward_backward<float, float>({x.data(), t.data(), big, reduction::mean}, nullptr, out[0].data(),
                                                out[1].data(), nullptr);
    return out;
  });
  const double g = 1.0 / static_cast<double>(big);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const auto want = static_cast<float>((2.0 * g) * (static_cast<double>(x[i]) - static_cast<double>(t[i])));
    if (r[1][i] != want) {
      ADD_FAILURE() << "mse_loss grad_input[" << i << "] = " << r[1][i] << ", want " << want << " (seed " << seed
                    << "); replay: build/tests/impl_numerics_test --gtest_filter='FastPaths.StreamedGradients'";
      break;
    }
  }
}

/// Blocks holding an inf or NaN take the per-element code; the others keep the fast lanes, and everything keeps
/// torch's special values: mse_loss with an inf target gives inf loss there, finite elsewhere.
TEST(FastPaths, NonFiniteBlocksFallBack) {
  auto x = uniform<float>(n, -1, 1, seed + 10), t = uniform<float>(n, -1, 1, seed + 11);
  t[1000] = INFINITY;
  t[70000] = NAN;
  std::vector<float> loss(x.size());
  li::mse_loss_forward<float>({x.data(), t.data(), n, reduction::none}, loss.data());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double d = static_cast<double>(x[i]) - static_cast<double>(t[i]);
    const float want = static_cast<float>(d * d);
    if (!(loss[i] == want || (std::isnan(loss[i]) && std::isnan(want)))) {
      ADD_FAILURE() << "mse_loss none [" << i << "] = " << loss[i] << ", want " << want << " (seed " << seed << ")";
      break;
    }
  }
}

}  // namespace
