// ctc_loss (torch: aten/src/ATen/native/LossCTC.cpp, ctc_loss_cpu_template and ctc_loss_backward_cpu_template; the
// reduction of at::ctc_loss). Log-space alpha and beta in the working precision T.
#include "losscheck/impl/ctc_loss.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "case_io.h"
#include "isa.h"
#include "losscheck/error.h"
#include "losses.h"
#include "parallel.h"
#include "vector_math.h"
#include "vector_math_float.h"

namespace losscheck::impl {
namespace {

/// log(e^a + e^b + e^c), shifted by the largest term m: log(1 + Σ e^{x - m} over the other terms) + m. The largest
/// term's own e^0 = 1 and the e^{-inf} = 0 of absent terms are not computed (both exact: the result is the one of
/// evaluating every exponential, up to the order of the additions). All -inf gives -inf (log of an empty sum); a NaN
/// term, or m = +inf (inf - inf), gives NaN, as torch's max-shifted log-add does.
template <class T>
T log_add3(T a, T b, T c) {
  constexpr T neg_inf = -std::numeric_limits<T>::infinity();
  if (a != a || b != b || c != c) return std::numeric_limits<T>::quiet_NaN();
  T m = a;
  if (b > m) m = b;
  if (c > m) m = c;
  if (m == neg_inf) return neg_inf;
  if (m == std::numeric_limits<T>::infinity()) return std::numeric_limits<T>::quiet_NaN();
  T s = 1;
  bool max_taken = false;
  for (const T x : {a, b, c}) {
    if (!max_taken && x == m) {
      max_taken = true;
      continue;
    }
    if (x != neg_inf) s += std::exp(x - m);
  }
  return std::log(s) + m;
}

// Rows of alpha, beta and the emissions u_t(l'_s) hold `stride` values: row_pad values before the S2 states and at
// least float_lanes + row_pad after them (-inf in alpha and beta), so that the recursion's s - 1, s - 2 (alpha) and
// s + 1, s + 2 (beta) are plain loads, with no test at either end, and whole 8-lane vectors never leave the row.
constexpr std::int64_t row_pad = 2;
inline std::int64_t row_stride(std::int64_t states) {
  return (row_pad + states + simd::float_lanes + row_pad + simd::float_lanes - 1) / simd::float_lanes *
         simd::float_lanes;
}

/// A chunk's working memory, reused from one sequence to the next.
template <class T>
struct sequence_buffers {
  std::vector<T> alpha, beta, emit;                 // Tb rows of `stride`
  std::vector<std::int32_t> skip_alpha, skip_beta;  // one row: -1 where the skip transition exists, 0 elsewhere
  std::vector<std::int64_t> label;                  // l'_s, the extended label sequence
  std::vector<double> gamma, acc;                   // float32 gradient rows: γ_s and Σ γ per class
  std::vector<T> log_acc;                           // log_add3's gradient rows: log Σ e^{αβ} per class
};

// ---- float32: the recursion in 8 float lanes (simd::dispatch: AVX2, or two SSE2 halves; bit-identical) ----

LOSSCHECK_INLINE simd::vi8 load_mask(const std::int32_t* p) {
  simd::vi8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// log(e^l1 + e^l2 + e^l3) + e, lane-wise, with log_add3's special values:
//   m = max(l1, l2, l3), the other two terms sorted as mid >= lo (the median and the minimum),
//   s = (1 + e^{mid - m}) + e^{lo - m}  (the max's own e^0 = 1 is not computed, as in log_add3; exp_difference_f,
//   < 0.62 ULP each; a term with l_i - m < -104 is below 2^-150 and counts as 0 — beside 1 it is far below the sum's
//   rounding),  result = fl((log s + m) + e)  with log s in double (log_float_lanes: 2^-47 relative; s in [1, 3]) and
//   the two additions in double: one rounding to float in place of log_add3's four (log, + m, + u, and e^x's own).
//   A NaN term or m = +inf: NaN; m = -inf (every term -inf): -inf; then + e in float, as log_add3(...) + e.
LOSSCHECK_INLINE simd::vf8 log_add3_plus_f(simd::vf8 l1, simd::vf8 l2, simd::vf8 l3, simd::vf8 e) {
  using namespace simd;
  const vf8 inf = splat_f(__builtin_inff()), floor = splat_f(-104.0f), one = splat_f(1.0f), zero = splat_f(0.0f);
  const vi8 nan = (l1 != l1) | (l2 != l2) | (l3 != l3);
  const vf8 m = max_f(l1, max_f(l2, l3));
  const vf8 lo = min_f(l1, min_f(l2, l3));
  const vf8 mid = max_f(min_f(l1, l2), min_f(max_f(l1, l2), l3));  // the median of three (ordinary lanes)
  const vi8 ordinary = (m > -inf) & (m < inf) & ~nan;
  const vi8 keep_mid = (mid - m) >= floor, keep_lo = (lo - m) >= floor;
  // lanes left out feed e^0 (exact, unused): exp_difference_f's argument range is kept in every lane
  const vf8 e_mid = exp_difference_f(select(keep_mid, mid, m), m), e_lo = exp_difference_f(select(keep_lo, lo, m), m);
  const vf8 s = select(ordinary, (one + select(keep_mid, e_mid, zero)) + select(keep_lo, e_lo, zero), one);
  const vd low = (log_float_lanes(low_half(s)) + low_half(m)) + low_half(e);
  const vd high = (log_float_lanes(high_half(s)) + high_half(m)) + high_half(e);
  const vf8 special = select((m == -inf) & ~nan, -inf, splat_f(__builtin_nanf(""))) + e;
  return select(ordinary, narrow(low, high), special);
}

/// The recursion's rows 1 .. Tb - 1 (direction -1: alpha, forward in t from row 0) or Tb - 2 .. 0 (+1: beta, from row
/// Tb - 1): row_t(s) = log_add3(prev(s), prev(s + d), skip(s) ? prev(s + 2d) : -inf) + emit_t(s), d = the direction.
/// The lanes past the S2 states are computed and not stored (the padding stays -inf).
template <int d>
LOSSCHECK_INLINE void recursion_rows_f(float* rows, const float* emit, const std::int32_t* skip, std::int64_t Tb,
                                       std::int64_t S2, std::int64_t stride) {
  using namespace simd;
  const vf8 neg_inf = splat_f(-__builtin_inff());
  const std::int64_t full = S2 / float_lanes * float_lanes;
  for (std::int64_t i = 1; i < Tb; ++i) {
    const std::int64_t t = d < 0 ? i : Tb - 1 - i;
    const float* prev = rows + (t + d) * stride + row_pad;  // the row of t - 1 (alpha) or t + 1 (beta)
    float* out = rows + t * stride + row_pad;
    const float* em = emit + t * stride + row_pad;
    for (std::int64_t s = 0; s < S2; s += float_lanes) {
      const vf8 l3 = select(load_mask(skip + row_pad + s), load_f(prev + s + 2 * d), neg_inf);
      const vf8 r = log_add3_plus_f(load_f(prev + s), load_f(prev + s + d), l3, load_f(em + s));
      if (s < full) store_f(out + s, r);
      else store_partial_f(out, s, S2, r);
    }
  }
}

/// One step's gradient row, float32, where the step's log_probs and the loss are finite:
///   γ_s = e^{α_t(s) + β_t(s) - u_t(l'_s) + nll}  (double lanes: exp_lanes; α + β counts u_t twice),
///   acc_k = Σ_{s >= s0, l'_s = k} γ_s,  grad_k = (e^{u_t(k)} - acc_k) ĝ  in double, rounded once to float.
/// This is torch's e^u - e^{log Σ e^{αβ} + nll - u} with the log-sum taken apart: the same value, fewer roundings
/// (γ_s <= 1 up to the error of its exponent, so no shift is needed). Returns false, having written nothing, when a γ_s
/// is NaN (a NaN alpha on a path that cannot end); the caller then takes log_add3's row.
LOSSCHECK_INLINE bool gradient_row_f(const float* alpha, const float* beta, const float* emit,
                                     const std::int64_t* label, std::int64_t s0, std::int64_t S2, const float* lp,
                                     std::int64_t C, double nll, double g, double* gamma, double* acc, float* grad) {
  using namespace simd;
  for (std::int64_t s = 0; s < S2; s += lanes)
    store(gamma + s, exp_lanes((load(alpha + s) + load(beta + s)) - load(emit + s) + splat(nll)));
  for (std::int64_t k = 0; k < C; ++k) acc[k] = 0.0;
  for (std::int64_t s = s0; s < S2; ++s) {
    if (gamma[s] != gamma[s]) return false;
    acc[label[s]] += gamma[s];
  }
  const vd vg = splat(g);
  const std::int64_t full = C / lanes * lanes;
  for (std::int64_t k = 0; k < full; k += lanes) store(grad + k, (exp_lanes(load(lp + k)) - load(acc + k)) * vg);
  if (full < C) store_partial(grad, full, C, (exp_lanes(load_partial(lp, full, C, 0.0)) - load_partial(acc, full, C, 0.0)) * vg);
  return true;
}

template <class T>
struct sequence_work {
  const ctc_loss_args<T>& a;
  const T* grad_output;
  T* loss;             // N values: the sequences' losses (after zero_infinity)
  T* grad;             // nullptr: forward only
  std::vector<T>& gr;  // the gradient reaching each sequence's loss (the caller's per-thread vector)

  /// Sequence b: alpha (and beta and the gradient), in `buf`.
  void run(std::int64_t b, sequence_buffers<T>& buf) const {
    constexpr T neg_inf = -std::numeric_limits<T>::infinity();
    constexpr bool lanes = std::is_same_v<T, float>;  // float32: the vector rows; float64: log_add3 state by state
    const std::int64_t N = a.batch, C = a.classes;
    const std::int64_t Tb = a.input_lengths[b], L = a.target_lengths[b], S2 = 2 * L + 1;
    const std::int64_t stride = row_stride(S2);
    const std::int64_t* y = a.labels + a.label_offset[b];
    const auto u = [&](std::int64_t t, std::int64_t k) { return a.log_probs[(t * N + b) * C + k]; };
    buf.label.resize(static_cast<std::size_t>(stride));
    std::int64_t* lab = buf.label.data();
    for (std::int64_t s = 0; s < S2; ++s) lab[s] = s % 2 == 0 ? a.blank : y[s / 2];
    buf.skip_alpha.assign(static_cast<std::size_t>(stride), 0);
    buf.skip_beta.assign(static_cast<std::size_t>(stride), 0);
    for (std::int64_t s = 1; s < S2; s += 2) {
      if (s > 1 && lab[s - 2] != lab[s]) buf.skip_alpha[static_cast<std::size_t>(row_pad + s)] = -1;
      if (s + 2 < S2 && lab[s + 2] != lab[s]) buf.skip_beta[static_cast<std::size_t>(row_pad + s)] = -1;
    }
    // emit_t(s) = u_t(l'_s); 0 in the padding (its lanes are never stored, and γ's padding lanes stay finite)
    buf.emit.assign(static_cast<std::size_t>(Tb * stride), T(0));
    for (std::int64_t t = 0; t < Tb; ++t)
      for (std::int64_t s = 0; s < S2; ++s) buf.emit[static_cast<std::size_t>(t * stride + row_pad + s)] = u(t, lab[s]);
    const auto E = [&](std::int64_t t, std::int64_t s) { return buf.emit[static_cast<std::size_t>(t * stride + row_pad + s)]; };
    buf.alpha.assign(static_cast<std::size_t>(Tb * stride), neg_inf);
    const auto A = [&](std::int64_t t, std::int64_t s) -> T& {
      return buf.alpha[static_cast<std::size_t>(t * stride + row_pad + s)];
    };
    A(0, 0) = E(0, 0);
    if (L > 0) A(0, 1) = E(0, 1);
    if constexpr (lanes) {
      simd::dispatch([&](auto, std::int64_t tb, std::int64_t s2) __attribute__((always_inline)) {
        recursion_rows_f<-1>(buf.alpha.data(), buf.emit.data(), buf.skip_alpha.data(), tb, s2, stride);
      }, Tb, S2);
    } else {
      for (std::int64_t t = 1; t < Tb; ++t)
        for (std::int64_t s = 0; s < S2; ++s) {
          const T l3 = buf.skip_alpha[static_cast<std::size_t>(row_pad + s)] ? A(t - 1, s - 2) : neg_inf;
          A(t, s) = log_add3(A(t - 1, s), A(t - 1, s - 1), l3) + E(t, s);
        }
    }
    const T log_p = L == 0 ? A(Tb - 1, 0) : log_add3(A(Tb - 1, S2 - 1), A(Tb - 1, S2 - 2), neg_inf);
    const T nll = -log_p;
    const bool zeroed = a.zero_infinity && nll == std::numeric_limits<T>::infinity();
    loss[b] = zeroed ? T(0) : nll;
    if (!grad) return;
    // gradient rows of this sequence: (t, b, :) for every t; beyond Tb (and for a zeroed sequence) 0
    for (std::int64_t t = Tb; t < a.steps; ++t)
      for (std::int64_t k = 0; k < C; ++k) grad[(t * N + b) * C + k] = 0;
    if (zeroed) {
      for (std::int64_t t = 0; t < Tb; ++t)
        for (std::int64_t k = 0; k < C; ++k) grad[(t * N + b) * C + k] = 0;
      return;
    }
    buf.beta.assign(static_cast<std::size_t>(Tb * stride), neg_inf);
    const auto B = [&](std::int64_t t, std::int64_t s) -> T& {
      return buf.beta[static_cast<std::size_t>(t * stride + row_pad + s)];
    };
    B(Tb - 1, S2 - 1) = E(Tb - 1, S2 - 1);
    if (L > 0) B(Tb - 1, S2 - 2) = E(Tb - 1, S2 - 2);
    if constexpr (lanes) {
      simd::dispatch([&](auto, std::int64_t tb, std::int64_t s2) __attribute__((always_inline)) {
        recursion_rows_f<1>(buf.beta.data(), buf.emit.data(), buf.skip_beta.data(), tb, s2, stride);
      }, Tb, S2);
    } else {
      for (std::int64_t t = Tb - 2; t >= 0; --t)
        for (std::int64_t s = 0; s < S2; ++s) {
          const T l3 = buf.skip_beta[static_cast<std::size_t>(row_pad + s)] ? B(t + 1, s + 2) : neg_inf;
          B(t, s) = log_add3(B(t + 1, s), B(t + 1, s + 1), l3) + E(t, s);
        }
    }
    const T g = gr[static_cast<std::size_t>(b)];
    // the last step sums the two final states only (the others have beta = -inf: left out, as torch does, so a
    // NaN alpha on a path that cannot end stays out of the gradient)
    const auto first_state = [&](std::int64_t t) { return t == Tb - 1 ? std::max<std::int64_t>(S2 - 2, 0) : 0; };
    if constexpr (lanes) {
      buf.gamma.resize(static_cast<std::size_t>(stride));
      buf.acc.resize(static_cast<std::size_t>(C));
    }
    std::vector<T>& log_acc = buf.log_acc;
    log_acc.resize(static_cast<std::size_t>(C));
    for (std::int64_t t = 0; t < Tb; ++t) {
      T* grad_row = grad + (t * N + b) * C;
      const T* lp = a.log_probs + (t * N + b) * C;
      if constexpr (lanes) {
        bool finite = std::isfinite(nll);
        for (std::int64_t k = 0; k < C && finite; ++k) finite = std::isfinite(lp[k]);
        if (finite &&
            simd::dispatch([&](auto, std::int64_t tt) __attribute__((always_inline)) {
              const std::int64_t row = tt * stride + row_pad;
              return gradient_row_f(buf.alpha.data() + row, buf.beta.data() + row, buf.emit.data() + row, lab,
                                    first_state(tt), S2, lp, C, static_cast<double>(nll), static_cast<double>(g),
                                    buf.gamma.data(), buf.acc.data(), grad_row);
            }, t))
          continue;
      }
      // log_acc[k] = log Σ e^{alpha + beta} over the states s with l'_s = k, -inf (the log of an empty sum) if none
      std::fill(log_acc.begin(), log_acc.end(), neg_inf);
      for (std::int64_t s = first_state(t); s < S2; ++s) {
        const T ab = A(t, s) + B(t, s);
        T& c = log_acc[static_cast<std::size_t>(lab[s])];
        if (c == neg_inf) c = ab;
        else c = log_add3(c, ab, neg_inf);
      }
      for (std::int64_t k = 0; k < C; ++k)
        // (e^u - e^{log Σ αβ + nll - u}) g: u = -inf or an infinite nll give NaN, as torch's
        grad_row[k] = (std::exp(lp[k]) - std::exp(log_acc[static_cast<std::size_t>(k)] + nll - lp[k])) * g;
    }
  }
};

}  // namespace

template <class T>
void ctc_loss_forward_backward(const ctc_loss_args<T>& args, const T* grad_output, T* output, T* grad_log_probs) {
  const std::int64_t N = args.batch;
  thread_local std::vector<T> loss, gr;  // per sequence: the losses and the gradients reaching them (kept, as above)
  loss.assign(static_cast<std::size_t>(N), T(0));
  sequence_work<T> w{args, grad_output, loss.data(), grad_log_probs, gr};
  if (grad_log_probs) {
    w.gr.resize(static_cast<std::size_t>(N));
    for (std::int64_t b = 0; b < N; ++b) {
      T g = args.red == reduction::none ? (grad_output ? grad_output[b] : T(1)) : (grad_output ? grad_output[0] : T(1));
      // at::ctc_loss's mean: (res / max(target_lengths, 1)).mean(): autograd gives g / N, then / max(L_b, 1)
      if (args.red == reduction::mean)
        g = g / static_cast<T>(N) / static_cast<T>(std::max<std::int64_t>(args.target_lengths[b], 1));
      w.gr[static_cast<std::size_t>(b)] = g;
    }
  }
  // the sequences in two halves on the impl's threads when the batch is large enough to pay for it
  std::int64_t work = 0;
  for (std::int64_t b = 0; b < N; ++b) work += args.input_lengths[b] * (2 * args.target_lengths[b] + 1);
  const int chunks = N >= 2 && work * 8 >= parallel_threshold ? 2 : 1;
  auto run = [&](int chunk) {
    // reused by the chunk's sequences, and kept by its thread between calls (they grow to the longest sequence seen,
    // as cross_entropy's exp_scratch): a call allocates nothing once the buffers are large enough
    thread_local sequence_buffers<T> buffers;
    const std::int64_t lo = chunk == 0 ? 0 : N / 2, hi = chunks == 1 || chunk == 1 ? N : N / 2;
    for (std::int64_t b = lo; b < hi; ++b) w.run(b, buffers);
  };
  run_chunks(chunks, run);
  if (!output) return;
  if (args.red == reduction::none) {
    std::copy(loss.begin(), loss.end(), output);
    return;
  }
  double total = 0;
  for (std::int64_t b = 0; b < N; ++b) {
    const T l = loss[static_cast<std::size_t>(b)];
    total += args.red == reduction::mean
                 ? static_cast<double>(l / static_cast<T>(std::max<std::int64_t>(args.target_lengths[b], 1)))
                 : static_cast<double>(l);
  }
  output[0] = static_cast<T>(args.red == reduction::mean ? total / static_cast<double>(N) : total);
}

template void ctc_loss_forward_backward(const ctc_loss_args<float>&, const float*, float*, float*);
template void ctc_loss_forward_backward(const ctc_loss_args<double>&, const double*, double*, double*);

namespace detail {

namespace {
/// The value checks (written apart from the reference's, so that rejection parity means something): lengths in
/// range, padded targets long enough, concatenated targets of size Σ target_lengths, labels in [0, C) and not blank.
/// Returns the offset of each sequence's labels.
std::vector<std::int64_t> checked_offsets(const ctc_loss_problem& p) {
  std::vector<std::int64_t> offsets(static_cast<std::size_t>(p.N));
  std::int64_t total = 0;
  for (std::int64_t b = 0; b < p.N; ++b) {
    const std::int64_t il = p.input_lengths->ints[static_cast<std::size_t>(b)];
    const std::int64_t tl = p.target_lengths->ints[static_cast<std::size_t>(b)];
    if (il > p.T || il < 1)
      throw loss_error(fmt::format("ctc_loss: input_lengths must be in [1, T] = [1, {}], got {} for sequence {}", p.T,
                                   il, b));
    if (tl < 0) throw loss_error(fmt::format("ctc_loss: target_lengths must be >= 0, got {} for sequence {}", tl, b));
    if (!p.concatenated && tl > p.S)
      throw loss_error(fmt::format("ctc_loss: target_lengths must be at most the padded targets' size S = {}, got {} "
                                   "for sequence {}", p.S, tl, b));
    offsets[static_cast<std::size_t>(b)] = p.concatenated ? total : b * p.S;
    total += tl;
  }
  if (p.concatenated && total != p.targets->numel())
    throw loss_error(fmt::format("ctc_loss: concatenated targets must have sum(target_lengths) = {} elements, got {}",
                                 total, p.targets->numel()));
  for (std::int64_t b = 0; b < p.N; ++b)
    for (std::int64_t j = 0; j < p.target_lengths->ints[static_cast<std::size_t>(b)]; ++j) {
      const std::int64_t k = p.targets->ints[static_cast<std::size_t>(offsets[static_cast<std::size_t>(b)] + j)];
      if (k == p.blank || k < 0 || k >= p.C)
        throw loss_error(fmt::format("ctc_loss: target labels must be in [0, C) = [0, {}) and not the blank {}, got "
                                     "{} in sequence {}", p.C, p.blank, k, b));
    }
  return offsets;
}
}  // namespace

loss_result ctc_loss(const ctc_loss_problem& p, const context& ctx) {
  const auto offsets = checked_offsets(p);
  return with_case_type(ctx.type, [&]<class T>() {
    const auto lp = typed_values<T>(*p.log_probs);
    const auto grad_output = grad_output_values<T>(ctx);
    ctc_loss_args<T> args;
    args.log_probs = lp.data();
    args.steps = p.T;
    args.batch = p.N;
    args.classes = p.C;
    args.labels = p.targets->ints.data();
    args.label_offset = offsets.data();
    args.input_lengths = p.input_lengths->ints.data();
    args.target_lengths = p.target_lengths->ints.data();
    args.blank = p.blank;
    args.red = p.red;
    args.zero_infinity = p.zero_infinity;
    const shape_t out_shape = p.red == reduction::none ? none_shape_of(p) : shape_t{};
    std::vector<T> out(static_cast<std::size_t>(p.red == reduction::none ? p.N : 1));
    std::vector<T> grad(lp.size());
    ctc_loss_forward_backward(args, data_or_null(grad_output), out.data(), grad.data());
    loss_result r;
    r.output = result_tensor(ctx.type, out_shape, out);
    r.grads["log_probs"] = result_tensor(ctx.type, p.log_probs->shape, grad);
    return r;
  });
}

}  // namespace detail
}  // namespace losscheck::impl
