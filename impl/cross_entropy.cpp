// cross_entropy (torch: Loss.cpp cross_entropy_loss, cross_entropy_loss_label_smoothing and
// cross_entropy_loss_prob_target, composed of log_softmax and nll_loss; gradients are autograd's through them).
#include "losscheck/impl/cross_entropy.h"

#include <fmt/format.h>

#include <cmath>
#include <type_traits>
#include <vector>

#include "accumulate.h"
#include "case_io.h"
#include "class_weights.h"
#include "losscheck/error.h"
#include "losses.h"
#include "numerics.h"
#include "parallel.h"
#include "reduction.h"
#include "vector_math.h"
#include "vector_math_float.h"

namespace losscheck::impl {
namespace {

/// Label smoothing as torch applies it: active for epsilon > 0 only (epsilon <= 0 is no smoothing), with its two
/// scalars converted to the input's dtype, (1 - epsilon) and epsilon / C (Loss.cpp: `(1 - label_smoothing) * nllloss
/// + ret * (label_smoothing / n_classes)`, `target * (1 - label_smoothing) + (label_smoothing / n_classes)`).
struct smoothing {
  bool active = false;
  double keep = 1.0;    ///< 1 - epsilon
  double spread = 0.0;  ///< epsilon / C (inf for C = 0, as in torch)
};
template <class T>
smoothing smoothing_of(double epsilon, std::int64_t classes) {
  if (!(epsilon > 0)) return {};
  return {true, static_cast<double>(static_cast<T>(1.0 - epsilon)),
          static_cast<double>(static_cast<T>(epsilon / static_cast<double>(classes)))};
}

/// One row of a class-dimension tensor: the C values of position (n, k), `stride` = inner apart.
template <class T>
struct row_view {
  const T* base;
  std::int64_t stride;
  double operator[](std::int64_t c) const { return static_cast<double>(base[c * stride]); }
};

/// The row's log-sum-exp statistics. A row holding +inf or only -inf is NaN throughout in torch (x - max is NaN in
/// log_softmax); `rest` = NaN makes every quantity derived from these statistics NaN as well.
template <class T>
log_sum_exp_row row_statistics(const T* base, std::int64_t classes, std::int64_t stride) {
  auto stats = log_sum_exp_sweep(base, classes, stride);
  if (std::isinf(stats.max)) stats.rest = NAN;
  return stats;
}

/// The fast path's result for one row: rest = sum_{c != argmax} e^(x_c - max) as in numerics.h, and e^(x_y - max).
struct fast_row_stats {
  double max;
  double rest;
  double e_y;
};

/// Rows of up to this many classes keep their exponentials in a stack buffer between the sum and the gradient
/// (float inputs; float64 keeps them in grad_input itself); longer rows in exp_scratch.
constexpr std::int64_t exp_buffer_size = 2048;

/// A per-thread buffer of at least n doubles for the exponentials of rows longer than exp_buffer_size, kept between
/// calls: it grows to the longest row seen, so repeated calls allocate nothing after the first.
double* exp_scratch(std::int64_t n) {
  thread_local std::vector<double> buffer;
  if (static_cast<std::int64_t>(buffer.size()) < n) buffer.resize(static_cast<std::size_t>(n));
  return buffer.data();
}

// Fast path of one contiguous row of finite logits (inner = 1), no label smoothing (grad may be nullptr; scratch holds
// classes doubles when a float row is longer than exp_buffer_size):
//   m = max_c x_c,  e_c = e^(x_c - m),  rest = sum_{c: x_c < m} e_c + (#{c: x_c = m} - 1)  (= sum_c e_c - 1 exactly)
//   grad_c = scale e_c  (scale = u / (1 + rest); the caller overwrites c = y with -u (1 - p_y) without cancellation)
// For float64 inputs x_c - m is rounded, and e_c is corrected by its rounding error as exp_difference does:
// e^(d + err) = e^d (1 + err). Returns false (nothing written) when the row holds an inf or NaN.
template <class T>
LOSSCHECK_INLINE bool fast_row_body(const T* x, std::int64_t classes, std::int64_t y, double u, T* grad,
                                    double* scratch, fast_row_stats& out) {
  using namespace simd;
  const std::int64_t full = classes / lanes * lanes;
  vd vmax = splat(-__builtin_inf());
  vd finite = splat(0.0);  // sum of x - x: 0 exactly when every logit is finite
  for (std::int64_t c = 0; c < full; c += lanes) {
    const vd v = load(x + c);
    vmax = max(vmax, v);
    finite += v - v;
  }
  double m = std::max(std::max(vmax[0], vmax[1]), std::max(vmax[2], vmax[3]));
  double tail_finite = horizontal_sum(finite);
  for (std::int64_t c = full; c < classes; ++c) {
    const double v = static_cast<double>(x[c]);
    m = std::max(m, v);
    tail_finite += v - v;
  }
  if (tail_finite != 0.0 || !std::isfinite(m)) return false;
  const vd vm = splat(m);
  auto exps = [&](vd v) __attribute__((always_inline)) {
    const vd d = v - vm;
    vd e = exp_nonpositive_lanes(d);
    if constexpr (sizeof(T) == 8) {  // TwoSum error of x - m
      const vd shifted = d - v;
      const vd err = (v - (d - shifted)) + (-vm - shifted);
      e = e + e * err;
    }
    return e;
  };
  double buffer[exp_buffer_size];
  double* keep = !grad                        ? nullptr
                 : sizeof(T) == 8               ? reinterpret_cast<double*>(grad)
                 : classes <= exp_buffer_size ? buffer
                                              : scratch;
  vd below = splat(0.0), ties = splat(0.0);
  for (std::int64_t c = 0; c < classes; c += lanes) {
    // the lanes past the row's end (tail) hold m and are masked out: valid = lane index < classes - c
    const vd v = c < full ? load(x + c) : load_partial(x, c, classes, m);
    const vi valid = vi{0, 1, 2, 3} < splat_int(classes - c);
    const vd e = exps(v);
    const vi at_max = v == vm;
    below += select(at_max | ~valid, splat(0.0), e);
    ties += select(at_max & valid, splat(1.0), splat(0.0));
    if (keep) {
      if (c < full) store(keep + c, e);
      else store_partial(keep, c, classes, e);
    }
  }
  const double rest = horizontal_sum(below) + (horizontal_sum(ties) - 1.0);
  const vd scale = splat(u / (1.0 + rest));
  for (std::int64_t c = 0; grad && c < classes; c += lanes) {
    if (c < full) {
      const vd e = keep ? load(keep + c) : exps(load(x + c));
      store(grad + c, e * scale);
    } else {
      const vd e = keep ? load_partial(keep, c, classes, 0.0) : exps(load_partial(x, c, classes, m));
      store_partial(grad, c, classes, e * scale);
    }
  }
  const double d = static_cast<double>(x[y]) - m;
  double e_y = exp1(d);
  if constexpr (sizeof(T) == 8) {
    const double shifted = d - static_cast<double>(x[y]);
    e_y += e_y * ((static_cast<double>(x[y]) - (d - shifted)) + (-m - shifted));
  }
  out = {m, rest, e_y};
  return true;
}

/// The logit spread (max - min) up to which a float32 row takes the float exps: e^(x - max) >= e^-87 > FLT_MIN, so
/// no exponential of the row is subnormal (whose absolute error, 2^-150, could be scaled up by the gradient's factor or
/// dominate a subnormal loss). Wider rows take the double lanes.
constexpr double float_row_spread = 87.0;

enum class float_row { done, not_finite, wide };

// Float32 fast path of one contiguous row of finite logits with max - min <= 87 (inner = 1, no label smoothing), in
// float lanes:
//   m = max_c x_c (float),  e_c = e^(x_c - m) in float (exp_difference_f: < 0.62 ULP, x_c - m exact by TwoSum),
//   rest = sum_{c: x_c < m} e_c + (#{c: x_c = m} - 1)   (each e_c converted to double, summed in 16 double lanes),
//   grad_c = fl(e_c scale)  (e_c kept in grad between the passes; the product in double, rounded once to float),
//   scale = u / (1 + rest) in double; e_y is the float lanes' e_c of the target (so rest - e_y cancels exactly).
// Errors (float ULPs): rest has the e_c's relative error, < 0.62 2^-23 (plus 2^-50 from the double sum); the loss
// (m - x_y) + log1p(rest) (caller, double) is a sum of two terms >= 0 and log1p's condition number is <= 1, so its
// relative error is < 0.62 2^-23 + 2^-50: < 1.24 + 0.5 (rounding) = 1.74 ULP. grad_c (c != y): e_c's error (< 1.24 ULP
// of the result's spacing), rest's (< 1.24), the final rounding (0.5): < 3 ULP; grad_y = -u (1 + (rest - e_y)) /
// (1 + rest) (caller): < 3 ULP likewise. (Measured: see docs/performance.md's accuracy table.)
//
// The lanes: 16 elements per step, as two 8-lane vectors (AVX2, generic) or one 16-lane vector (`sixteen`: the AVX-512
// build, isa.h's dispatch_wide). The sum of the e_c is kept in four 4-double-lane accumulators, sum[k] taking
// elements 4k .. 4k + 3 of each step (four independent addition chains; one would bound the pass by the latency of
// the double addition); the AVX-512 build keeps sum[0], sum[1] and sum[2], sum[3] as two 8-double vectors, whose
// lanes receive the same additions in the same order. Each element's operations being the same too, the three builds
// give the same bits. The max pass's order does not matter (max and min are exact; the finiteness check ORs the bits
// of x - x, which are 0 exactly for finite x).
template <bool sixteen>
LOSSCHECK_INLINE float_row fast_row_float_body(const float* x, std::int64_t classes, std::int64_t y, double u,
                                               float* grad, fast_row_stats& out) {
  using namespace simd;
  const std::int64_t full = classes / float_lanes * float_lanes;
  vf8 vmax = splat_f(-__builtin_inff()), vmin = splat_f(__builtin_inff());
  vi8 bad = splat_i8(0);  // OR of the bits of x - x: 0 exactly when every logit is finite
  std::int64_t c = 0;
  if constexpr (sixteen) {
    vf16 max16 = splat_f16(-__builtin_inff()), min16 = splat_f16(__builtin_inff());
    vi16 bad16 = {};
    for (; c + 16 <= full; c += 16) {
      const vf16 v = load_f16(x + c);
      max16 = v > max16 ? v : max16;
      min16 = v < min16 ? v : min16;
      bad16 |= reinterpret<vi16>(v - v);
    }
    vmax = max_f(low_eight(max16), high_eight(max16));
    vmin = min_f(low_eight(min16), high_eight(min16));
    bad = low_eight(bad16) | high_eight(bad16);
  } else {
    vf8 max2 = vmax, min2 = vmin;
    for (; c + 16 <= full; c += 16) {
      const vf8 v = load_f(x + c), w = load_f(x + c + 8);
      vmax = max_f(vmax, v);
      vmin = min_f(vmin, v);
      max2 = max_f(max2, w);
      min2 = min_f(min2, w);
      bad |= as_int8(v - v) | as_int8(w - w);
    }
    vmax = max_f(vmax, max2);
    vmin = min_f(vmin, min2);
  }
  for (; c < full; c += float_lanes) {
    const vf8 v = load_f(x + c);
    vmax = max_f(vmax, v);
    vmin = min_f(vmin, v);
    bad |= as_int8(v - v);
  }
  float m = vmax[0], mn = vmin[0];
  for (int j = 1; j < float_lanes; ++j) m = std::max(m, vmax[j]), mn = std::min(mn, vmin[j]);
  std::int32_t any_bad = 0;
  for (int j = 0; j < float_lanes; ++j) any_bad |= bad[j];
  for (c = full; c < classes; ++c) {
    m = std::max(m, x[c]);
    mn = std::min(mn, x[c]);
    if (x[c] - x[c] != 0.0f) any_bad = 1;  // inf - inf and NaN - NaN are NaN
  }
  if (any_bad != 0 || !std::isfinite(m)) return float_row::not_finite;
  if (static_cast<double>(m) - static_cast<double>(mn) > float_row_spread) return float_row::wide;
  const vf8 vm = splat_f(m);
  vd sum[4] = {splat(0.0), splat(0.0), splat(0.0), splat(0.0)};
  vi8 ties = splat_i8(0);  // minus the count of x_c == m per lane (masks are -1)
  // e^(v - m) of 8 lanes (the `valid` ones), its terms below the max added to sum[k] and sum[k + 1]
  auto exps = [&](vf8 v, vi8 valid, int k) __attribute__((always_inline)) {
    const vf8 e = exp_difference_f<true>(v, vm);  // x - m >= -87: normal results
    const vi8 at_max = (v == vm) & valid;
    const vf8 kept = as_float8(as_int8(e) & ~at_max & valid);  // e, but 0 for the maximal terms (counted in ties)
    sum[k] += low_half(kept);
    sum[k + 1] += high_half(kept);
    ties += at_max;
    return e;
  };
  c = 0;
  if constexpr (sixteen) {
    const vf16 vm16 = splat_f16(m);
    vd8 sum01 = splat8(0.0), sum23 = splat8(0.0);  // sum[0] | sum[1], sum[2] | sum[3]
    vi16 ties16 = {};
    for (; c + 16 <= full; c += 16) {
      __builtin_prefetch(x + classes + c);  // the next row (contiguous), for its max pass (no fault past the end)
      const vf16 v = load_f16(x + c);
      const vf16 e = exp_difference_f<true>(v, vm16);
      const vi16 at_max = v == vm16;
      const vf16 kept = reinterpret<vf16>(reinterpret<vi16>(e) & ~at_max);
      sum01 += widen_low(kept);   // elements c .. c + 7
      sum23 += widen_high(kept);  // c + 8 .. c + 15
      ties16 += at_max;
      if (grad) store_f16(grad + c, e);
    }
    sum[0] = __builtin_shufflevector(sum01, sum01, 0, 1, 2, 3);
    sum[1] = __builtin_shufflevector(sum01, sum01, 4, 5, 6, 7);
    sum[2] = __builtin_shufflevector(sum23, sum23, 0, 1, 2, 3);
    sum[3] = __builtin_shufflevector(sum23, sum23, 4, 5, 6, 7);
    ties = low_eight(ties16) + high_eight(ties16);
  } else {
    for (; c + 16 <= full; c += 16) {
      __builtin_prefetch(x + classes + c);
      const vf8 e = exps(load_f(x + c), splat_i8(-1), 0);
      const vf8 f = exps(load_f(x + c + 8), splat_i8(-1), 2);
      if (grad) {
        store_f(grad + c, e);
        store_f(grad + c + 8, f);
      }
    }
  }
  if (c < full) {  // 8 more (sum[0], sum[1])
    const vf8 e = exps(load_f(x + c), splat_i8(-1), 0);
    if (grad) store_f(grad + c, e);
  }
  if (full < classes) {  // the tail: the lanes past the row's end hold m and are masked out (sum[2], sum[3])
    const vi8 valid = vi8{0, 1, 2, 3, 4, 5, 6, 7} < splat_i8(static_cast<std::int32_t>(classes - full));
    const vf8 e = exps(load_partial_f(x, full, classes, m), valid, 2);
    if (grad) store_partial_f(grad, full, classes, e);
  }
  std::int32_t tie_count = 0;
  for (int j = 0; j < float_lanes; ++j) tie_count -= ties[j];
  const double rest = horizontal_sum((sum[0] + sum[2]) + (sum[1] + sum[3])) + static_cast<double>(tie_count - 1);
  if (grad) {
    const vd scale = splat(u / (1.0 + rest));
    c = 0;
    if constexpr (sixteen) {
      const vd8 scale8 = splat8(scale[0]);
      for (; c + 16 <= full; c += 16) {
        const vf16 e = load_f16(grad + c);
        store_f16(grad + c, narrow16(widen_low(e) * scale8, widen_high(e) * scale8));
      }
    }
    for (; c < full; c += float_lanes) {
      const vf8 e = load_f(grad + c);
      store_f(grad + c, narrow(low_half(e) * scale, high_half(e) * scale));
    }
    for (c = full; c < classes; ++c) grad[c] = static_cast<float>(static_cast<double>(grad[c]) * scale[0]);
  }
  const float e_y = exp_difference_f<true>(splat_f(x[y]), vm)[0];
  out = {static_cast<double>(m), rest, static_cast<double>(e_y)};
  return float_row::done;
}

/// The float32 row: the float lanes, or the double lanes for a wide row. False when the row holds an inf or NaN.
template <bool sixteen>
LOSSCHECK_INLINE bool fast_row_float(const float* x, std::int64_t classes, std::int64_t y, double u, float* grad,
                                     double* scratch, fast_row_stats& out) {
  const float_row r = fast_row_float_body<sixteen>(x, classes, y, u, grad, out);
  if (r == float_row::done) return true;
  if (r == float_row::not_finite) return false;
  return fast_row_body(x, classes, y, u, grad, scratch, out);
}

/// The fast path of one contiguous row, a kernel body for dispatch (isa.h): float32, the float lanes (or the double
/// lanes for a wide row); float64, the double lanes. False when the row holds an inf or NaN.
template <class T>
struct fast_row {
  template <class Build>
  LOSSCHECK_INLINE bool operator()(Build, const T* x, std::int64_t classes, std::int64_t y, double u, T* grad,
                                   double* scratch, fast_row_stats* out) const {
    if constexpr (sizeof(T) == 4)
      return fast_row_float<std::is_same_v<Build, simd::avx512_build>>(x, classes, y, u, grad, scratch, *out);
    else return fast_row_body(x, classes, y, u, grad, scratch, *out);
  }
};

/// fast_row in the build the CPU allows: float32 rows may take the AVX-512 build (16 float lanes; bit-identical);
/// float64 rows, whose kernels are 4 double lanes, AVX2 or generic.
template <class T>
bool fast_row_dispatch(const T* x, std::int64_t classes, std::int64_t y, double u, T* grad, double* scratch,
                       fast_row_stats* out) {
  if constexpr (sizeof(T) == 4) return simd::dispatch_wide(fast_row<T>{}, x, classes, y, u, grad, scratch, out);
  else return simd::dispatch(fast_row<T>{}, x, classes, y, u, grad, scratch, out);
}

}  // namespace

// L_i = (1 - e) w[y] (-log p_y) + (e / C) sum_c w_c (-log p_c), p = softmax(x_i)   (e = 0: no second term)
template <class T>
void cross_entropy_forward(const cross_entropy_args<T>& args, T* output) {
  cross_entropy_forward_backward<T>(args, nullptr, output, nullptr);
}

// With p = softmax(x), lse = max + log1p(rest) (numerics.h) and -log p_c = (max - x_c) + log1p(rest) >= 0:
//   L_i     = (1 - e) w[y] (-log p_y) + (e / C) sum_c w_c (-log p_c)
//   dL/dx_c = s [(1 - e) w[y] (p_c - [c = y]) + (e / C) (p_c sum_j w_j - w_c)],   s = g (g / W for mean)
// 1 - p_c is computed as the sum of the other probabilities (numerics.h), so a confident class keeps its digits.
template <class T>
void cross_entropy_forward_backward(const cross_entropy_args<T>& args, const T* grad_output, T* output, T* grad_input) {
  const auto& d = args.dims;
  const std::int64_t classes = d.classes;
  const smoothing smooth = smoothing_of<T>(args.label_smoothing, classes);
  const bool none = args.red == reduction::none;
  const double total_weight = args.red == reduction::mean
                                  ? total_class_weight(args.target, d.positions(), args.weight, args.ignore_index)
                                  : 1.0;
  const upstream_gradient<T> upstream(args.red, grad_output, total_weight);
  compensated_sum class_weight_sum;  // sum_j w_j, needed by the smoothing gradient (also without its term c)
  for (std::int64_t c = 0; c < classes; ++c)
    class_weight_sum.add(args.weight ? static_cast<double>(args.weight[c]) : 1.0);
  const double weight_sum = class_weight_sum.value();
  const bool weights_finite = std::isfinite(weight_sum) || !args.weight;  // an inf or NaN weight makes the sum so
  auto weight_of = [&](std::int64_t c) { return args.weight ? static_cast<double>(args.weight[c]) : 1.0; };

  // The smoothing term (e / C) sum_c w_c (-log p_c) is accumulated with e / C inside the sum, so that it does not
  // overflow where the term is finite (huge logits); C = 0 keeps torch's 0 * (e / 0) = NaN.
  auto smoothing_term = [&](double scaled_sum) { return classes == 0 ? smooth.spread * 0.0 : scaled_sum; };
  // one cache line per chunk's sums (the two chunks are run by two threads: no line shared between them)
  struct alignas(64) chunk_sums {
    sum_accumulator<T> nll, smooth;
  } sums[2];
  // The fast path (contiguous rows, no smoothing; finite rows and coefficients, checked per row).
  const bool fast = d.inner == 1 && !smooth.active;
  // With the fast path, large inputs are cut into two chunks of rows (parallel.h), whose sums are added in order.
  const bool parallel = fast && d.batch >= 2 && d.batch * classes >= parallel_threshold;
  const std::int64_t split = parallel ? d.batch / 2 : d.batch;
  auto rows = [&](int chunk) {
    sum_accumulator<T>& nll_sum = sums[chunk].nll;
    sum_accumulator<T>& smooth_sum = sums[chunk].smooth;
    double* scratch = fast && grad_input && sizeof(T) == 4 && classes > exp_buffer_size ? exp_scratch(classes) : nullptr;
    for (std::int64_t n = chunk == 0 ? 0 : split; n < (chunk == 0 ? split : d.batch); ++n) {
      for (std::int64_t k = 0; k < d.inner; ++k) {
        const std::int64_t i = n * d.inner + k;
        const std::int64_t offset = n * classes * d.inner + k;
        const row_view<T> x{args.input + offset, d.inner};
        T* grad_row = grad_input ? grad_input + offset : nullptr;
        const std::int64_t y = args.target[i];
        if (y == args.ignore_index) {
          // Ignored rows: zero loss (torch: nll skips them, the smoothing term is masked to 0). Their gradient is
          // log_softmax's backward of a zero gradient, 0 - p_c * 0: NaN where the row's softmax is NaN (a NaN, +inf or
          // only -inf in the row), and NaN throughout when smoothing multiplies the masked zero by an inf/NaN weight.
          if (output && none) output[i] = static_cast<T>(smooth.active ? smooth.keep * 0.0 + smooth.spread * 0.0 : 0.0);
          if (grad_row) {
            const auto stats = row_statistics(args.input + offset, classes, d.inner);
            const bool nan_row = (smooth.active && !weights_finite) || std::isnan(stats.rest) || std::isnan(stats.max);
            for (std::int64_t c = 0; c < classes; ++c) grad_row[c * d.inner] = nan_row ? T(NAN) : T(0);
          }
          continue;
        }
        if (fast) {
          const double w_y = weight_of(y);
          const double u = grad_row ? upstream.at(i) * w_y * smooth.keep : 0.0;
          fast_row_stats f;
          if (std::isfinite(u) &&
              fast_row_dispatch<T>(args.input + offset, classes, y, u, grad_row, scratch, &f)) {
            const log_sum_exp_row stats{f.max, f.rest};
            // p_y - 1 = -(1 - p_y), the complement without cancellation (numerics.h)
            if (grad_row) grad_row[y] = static_cast<T>(-u * stats.complement(static_cast<double>(x[y]), f.e_y));
            const double nll = w_y * ((f.max - x[y]) + stats.log_sum());
            if (!output) continue;
            if (none)
              output[i] = static_cast<T>(nll);
            else
              nll_sum.add(nll);
            continue;
          }
        }
        const auto stats = row_statistics(args.input + offset, classes, d.inner);
        const double lse = stats.log_sum();
        const double w_y = weight_of(y);
        const double x_y = x[y];
        const double nll = w_y * ((stats.max - x_y) + lse);
        sum_accumulator<T> smooth_row;
        if (grad_row) {
          const double s = upstream.at(i);
          const double u = s * w_y * smooth.keep;                    // coefficient of p_c - [c = y]
          const double v = smooth.active ? s * smooth.spread : 0.0;  // coefficient of p_c sum_j w_j - w_c
          // A non-finite coefficient (W = 0 in a mean, an infinite grad_output or weight) follows torch's own
          // evaluation, dx_c = gl_c - p_c sum_j gl_j with gl_c = -u [c = y] - v w_c, for its NaN/inf pattern.
          const bool literal = !std::isfinite(u) || !std::isfinite(v) || (smooth.active && !weights_finite);
          const double gl_sum = -u - v * weight_sum;
          const double inverse_sum = 1.0 / (1.0 + stats.rest);
          for (std::int64_t c = 0; c < classes; ++c) {
            const double x_c = x[c];
            const double w_c = weight_of(c);
            const double e = exp_difference(x_c, stats.max);
            const double p = e * inverse_sum;
            if (smooth.active && output) smooth_row.add(smooth.spread * (w_c * ((stats.max - x_c) + lse)));
            double g;
            if (literal) {
              g = ((c == y ? -u : 0.0) - v * w_c) - p * gl_sum;
            } else if (!smooth.active) {
              g = c != y ? u * p : -u * stats.complement(x_c, e);  // p_c - [c = y], 1 - p_y without cancellation
            } else {
              // p_c sum_j w_j - w_c = p_c sum_{j != c} w_j - w_c (1 - p_c): no 1 - p cancellation.
              const double complement = stats.complement(x_c, e);
              g = u * (c != y ? p : -complement) + v * (p * class_weight_sum.minus(w_c) - w_c * complement);
            }
            grad_row[c * d.inner] = static_cast<T>(g);
          }
        } else if (smooth.active && output) {
          for (std::int64_t c = 0; c < classes; ++c)
            smooth_row.add(smooth.spread * (weight_of(c) * ((stats.max - x[c]) + lse)));
        }
        if (!output) continue;
        if (none) {
          output[i] = static_cast<T>(smooth.active ? smooth.keep * nll + smoothing_term(smooth_row.value()) : nll);
        } else {
          nll_sum.add(nll);
          if (smooth.active) smooth_sum.add(smooth_row.value());
        }
      }
    }
  };
  auto& nll_sum = sums[0].nll;
  auto& smooth_sum = sums[0].smooth;
  run_chunks(parallel ? 2 : 1, rows);
  if (parallel) nll_sum.add(sums[1].nll.value());
  if (output && !none) {
    // mean: both terms divided by W (torch divides the smoothing term by the same gathered weight sum or count).
    const double nll_total = nll_sum.value() / total_weight;
    output[0] = static_cast<T>(
        smooth.active ? smooth.keep * nll_total + smoothing_term(smooth_sum.value()) / total_weight : nll_total);
  }
}

// L_i = -sum_c w_c t'_c log p_c,  t' = t (1 - e) + e / C  (t' = t without smoothing)
template <class T>
void cross_entropy_probability_forward(const cross_entropy_probability_args<T>& args, T* output) {
  cross_entropy_probability_forward_backward<T>(args, nullptr, output, nullptr, nullptr, nullptr, nullptr);
}

// With p = softmax(x), -log p_c = (max - x_c) + log1p(rest) >= 0 and A = sum_j w_j t'_j:
//   L_i     = sum_c w_c t'_c (-log p_c);  mean: sum_i L_i / (batch * inner)
//   dL/dx_c = s (p_c A - w_c t'_c)
//   dL/dt_c = -s w_c log p_c (1 - e)
//   dL/dw_c = -sum_i s t'_c log p_c
template <class T>
void cross_entropy_probability_forward_backward(const cross_entropy_probability_args<T>& args, const T* grad_output,
                                                T* output, T* grad_input, T* grad_target, T* grad_weight,
                                                double* workspace) {
  const auto& d = args.dims;
  const std::int64_t classes = d.classes;
  const smoothing smooth = smoothing_of<T>(args.label_smoothing, classes);
  const bool none = args.red == reduction::none;
  const std::int64_t numel = d.batch * classes * d.inner;
  const upstream_gradient<T> upstream(args.red, grad_output, reduction_divisor(args.red, d.positions()));
  auto weight_of = [&](std::int64_t c) { return args.weight ? static_cast<double>(args.weight[c]) : 1.0; };
  double* weight_sums = workspace;  // Neumaier pairs: sums in [0, C), compensations in [C, 2C)
  if (grad_weight)
    for (std::int64_t c = 0; c < 2 * classes; ++c) weight_sums[c] = 0.0;
  const bool backward = grad_input || grad_target || grad_weight;

  sum_accumulator<T> total;
  for (std::int64_t n = 0; n < d.batch; ++n) {
    for (std::int64_t k = 0; k < d.inner; ++k) {
      const std::int64_t i = n * d.inner + k;
      const std::int64_t offset = n * classes * d.inner + k;
      const row_view<T> x{args.input + offset, d.inner};
      const row_view<T> t{args.target + offset, d.inner};
      auto smoothed = [&](std::int64_t c) { return smooth.active ? t[c] * smooth.keep + smooth.spread : t[c]; };
      const auto stats = row_statistics(args.input + offset, classes, d.inner);
      const double lse = stats.log_sum();
      // First sweep after the statistics: the loss and A = sum_j w_j t'_j (compensated: A without one of its terms
      // is needed below).
      sum_accumulator<T> loss;
      compensated_sum mass;
      for (std::int64_t c = 0; c < classes; ++c) {
        const double wt = weight_of(c) * smoothed(c);
        loss.add(wt * ((stats.max - x[c]) + lse));
        mass.add(wt);
      }
      // torch negates a sum: an empty class dimension gives -0.
      const double row_loss = classes == 0 ? -0.0 : loss.value();
      if (output) {
        if (none)
          output[i] = static_cast<T>(row_loss);
        else
          total.add(row_loss);
      }
      if (!backward) continue;
      const double s = upstream.at(i);
      const double a = mass.value();
      // A non-finite s or A follows torch's evaluation, dx_c = gl_c - p_c sum gl with gl_c = (-s w_c) t'_c, for its
      // NaN/inf pattern (e.g. an infinite grad_output with a zero target: inf * 0).
      const bool literal = !std::isfinite(s) || !std::isfinite(a);
      const double inverse_sum = 1.0 / (1.0 + stats.rest);
      double gl_sum = 0.0;
      if (literal && grad_input)
        for (std::int64_t c = 0; c < classes; ++c) gl_sum += (-s * weight_of(c)) * smoothed(c);
      for (std::int64_t c = 0; c < classes; ++c) {
        const std::int64_t at = offset + c * d.inner;
        const double x_c = x[c];
        const double w_c = weight_of(c);
        const double t_c = smoothed(c);
        const double log_p = (x_c - stats.max) - lse;
        if (grad_input) {
          const double e = exp_difference(x_c, stats.max);
          const double p = e * inverse_sum;
          const double wt = w_c * t_c;
          // p_c A - w_c t'_c = p_c (A - w_c t'_c) - w_c t'_c (1 - p_c): neither 1 - p_c nor A - w_c t'_c cancels.
          grad_input[at] = static_cast<T>(literal ? (-s * w_c) * t_c - p * gl_sum
                                                  : s * (p * mass.minus(wt) - wt * stats.complement(x_c, e)));
        }
        if (grad_target) grad_target[at] = static_cast<T>(-s * w_c * log_p * smooth.keep);
        if (grad_weight) neumaier_add(weight_sums[c], weight_sums[classes + c], -s * t_c * log_p);
      }
    }
  }
  if (output && !none) {
    double value = total.value();
    if (args.red == reduction::mean)  // numel / C positions; torch fills an empty mean with NaN
      value = numel == 0 ? NAN : value / static_cast<double>(d.positions());
    output[0] = static_cast<T>(value);
  }
  if (grad_weight)
    for (std::int64_t c = 0; c < classes; ++c)
      grad_weight[c] = static_cast<T>(neumaier_value(weight_sums[c], weight_sums[classes + c]));
}

template void cross_entropy_forward(const cross_entropy_args<float>&, float*);
template void cross_entropy_forward(const cross_entropy_args<double>&, double*);
template void cross_entropy_forward_backward(const cross_entropy_args<float>&, const float*, float*, float*);
template void cross_entropy_forward_backward(const cross_entropy_args<double>&, const double*, double*, double*);
template void cross_entropy_probability_forward(const cross_entropy_probability_args<float>&, float*);
template void cross_entropy_probability_forward(const cross_entropy_probability_args<double>&, double*);
template void cross_entropy_probability_forward_backward(const cross_entropy_probability_args<float>&, const float*,
                                                         float*, float*, float*, float*, double*);
template void cross_entropy_probability_forward_backward(const cross_entropy_probability_args<double>&, const double*,
                                                         double*, double*, double*, double*, double*);

namespace detail {

loss_result cross_entropy(const cross_entropy_problem& p, const context& ctx) {
  const class_dims dims{p.layout.batch, p.layout.classes, p.layout.inner};
  if (!p.probability_target) {
    const auto& target = p.target->ints;
    if (const auto bad = find_invalid_class_target(target.data(), dims.positions(), dims.classes, p.ignore_index);
        bad >= 0)
      throw loss_error(fmt::format("cross_entropy: target {} is out of bounds for {} classes",
                                   target[static_cast<std::size_t>(bad)], dims.classes));
  }
  return with_case_type(ctx.type, [&]<class T>() {
    const auto input = typed_values<T>(*p.input);
    const auto weight = p.weight ? typed_values<T>(*p.weight) : std::vector<T>{};
    const auto grad_output = grad_output_values<T>(ctx);
    const auto out_shape = output_shape(problem{p});
    std::vector<T> output(static_cast<std::size_t>(checked_numel(out_shape)));
    std::vector<T> grad_input(input.size());
    loss_result r;
    if (!p.probability_target) {
      const cross_entropy_args<T> args{input.data(), p.target->ints.data(), data_or_null(weight), dims,
                                       p.red,        p.ignore_index,        p.label_smoothing};
      cross_entropy_forward_backward(args, data_or_null(grad_output), output.data(), grad_input.data());
    } else {
      const auto target = typed_values<T>(*p.target);
      const cross_entropy_probability_args<T> args{input.data(), target.data(), data_or_null(weight),
                                                   dims,         p.red,         p.label_smoothing};
      std::vector<T> grad_target(target.size()), grad_weight(weight.size());
      std::vector<double> workspace(p.weight ? static_cast<std::size_t>(cross_entropy_probability_workspace_size(dims))
                                             : 0);
      cross_entropy_probability_forward_backward(args, data_or_null(grad_output), output.data(), grad_input.data(),
                                                 grad_target.data(), p.weight ? grad_weight.data() : nullptr,
                                                 workspace.data());
      r.grads["target"] = result_tensor(ctx.type, p.target->shape, grad_target);
      if (p.weight) r.grads["weight"] = result_tensor(ctx.type, p.weight->shape, grad_weight);
    }
    r.output = result_tensor(ctx.type, out_shape, output);
    r.grads["input"] = result_tensor(ctx.type, p.input->shape, grad_input);
    return r;
  });
}

}  // namespace detail
}  // namespace losscheck::impl
