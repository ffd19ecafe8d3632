// ctc_loss (torch: aten/src/ATen/native/LossCTC.cpp, ctc_loss_cpu_template and ctc_loss_backward_cpu_template; the
// reduction of at::ctc_loss). Log-space alpha and beta in the working precision T.
#include "losscheck/impl/ctc_loss.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "case_io.h"
#include "losscheck/error.h"
#include "losses.h"
#include "parallel.h"

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

template <class T>
struct sequence_work {
  const ctc_loss_args<T>& a;
  const T* grad_output;
  T* loss;            // N values: the sequences' losses (after zero_infinity)
  T* grad;            // nullptr: forward only
  std::vector<T> gr;  // the gradient reaching each sequence's loss

  /// Sequence b: alpha (and beta and the gradient), with its own buffers.
  void run(std::int64_t b, std::vector<T>& alpha, std::vector<T>& beta, std::vector<T>& acc) const {
    constexpr T neg_inf = -std::numeric_limits<T>::infinity();
    const std::int64_t N = a.batch, C = a.classes;
    const std::int64_t Tb = a.input_lengths[b], L = a.target_lengths[b], S2 = 2 * L + 1;
    const std::int64_t* y = a.labels + a.label_offset[b];
    const auto lab = [&](std::int64_t s) { return s % 2 == 0 ? a.blank : y[s / 2]; };
    const auto u = [&](std::int64_t t, std::int64_t k) { return a.log_probs[(t * N + b) * C + k]; };
    alpha.assign(static_cast<std::size_t>(Tb * S2), neg_inf);
    const auto A = [&](std::int64_t t, std::int64_t s) -> T& { return alpha[static_cast<std::size_t>(t * S2 + s)]; };
    A(0, 0) = u(0, a.blank);
    if (L > 0) A(0, 1) = u(0, lab(1));
    for (std::int64_t t = 1; t < Tb; ++t)
      for (std::int64_t s = 0; s < S2; ++s) {
        const std::int64_t k = lab(s);
        const T l1 = A(t - 1, s);
        const T l2 = s > 0 ? A(t - 1, s - 1) : neg_inf;
        const T l3 = s > 1 && s % 2 == 1 && lab(s - 2) != k ? A(t - 1, s - 2) : neg_inf;
        A(t, s) = log_add3(l1, l2, l3) + u(t, k);
      }
    const T log_p = L == 0 ? A(Tb - 1, 0) : log_add3(A(Tb - 1, S2 - 1), A(Tb - 1, S2 - 2), neg_inf);
    const T nll = -log_p;
    const bool zeroed = a.zero_infinity && nll == std::numeric_limits<T>::infinity();
    loss[b] = zeroed ? T(0) : nll;
    if (!grad) return;
    // gradient rows of this sequence: (t, b, :) for every t; beyond Tb (and for a zeroed sequence) 0
    for (std::int64_t t = 0; t < a.steps; ++t)
      for (std::int64_t k = 0; k < C; ++k) grad[(t * N + b) * C + k] = 0;
    if (zeroed) return;
    beta.assign(static_cast<std::size_t>(Tb * S2), neg_inf);
    const auto B = [&](std::int64_t t, std::int64_t s) -> T& { return beta[static_cast<std::size_t>(t * S2 + s)]; };
    B(Tb - 1, S2 - 1) = u(Tb - 1, a.blank);
    if (L > 0) B(Tb - 1, S2 - 2) = u(Tb - 1, lab(S2 - 2));
    for (std::int64_t t = Tb - 2; t >= 0; --t)
      for (std::int64_t s = 0; s < S2; ++s) {
        const std::int64_t k = lab(s);
        const T l1 = B(t + 1, s);
        const T l2 = s + 1 < S2 ? B(t + 1, s + 1) : neg_inf;
        const T l3 = s + 2 < S2 && s % 2 == 1 && lab(s + 2) != k ? B(t + 1, s + 2) : neg_inf;
        B(t, s) = log_add3(l1, l2, l3) + u(t, k);
      }
    const T g = gr[static_cast<std::size_t>(b)];
    acc.resize(static_cast<std::size_t>(C));
    for (std::int64_t t = 0; t < Tb; ++t) {
      // acc[k] = log Σ_{s: l'_s = k} e^{alpha + beta}, started at -inf (the log of an empty sum)
      std::fill(acc.begin(), acc.end(), neg_inf);
      // the last step sums the two final states only (the others have beta = -inf: left out, as torch does, so a
      // NaN alpha on a path that cannot end stays out of the gradient)
      for (std::int64_t s = t == Tb - 1 ? std::max<std::int64_t>(S2 - 2, 0) : 0; s < S2; ++s) {
        const T ab = A(t, s) + B(t, s);
        T& c = acc[static_cast<std::size_t>(lab(s))];
        if (c == neg_inf) c = ab;
        else c = log_add3(c, ab, neg_inf);
      }
      for (std::int64_t k = 0; k < C; ++k) {
        const T lp = u(t, k);
        // (e^u - e^{log Σ αβ + nll - u}) g: u = -inf or an infinite nll give NaN, as torch's
        grad[(t * N + b) * C + k] = (std::exp(lp) - std::exp(acc[static_cast<std::size_t>(k)] + nll - lp)) * g;
      }
    }
  }
};

}  // namespace

template <class T>
void ctc_loss_forward_backward(const ctc_loss_args<T>& args, const T* grad_output, T* output, T* grad_log_probs) {
  const std::int64_t N = args.batch;
  std::vector<T> loss(static_cast<std::size_t>(N));
  sequence_work<T> w{args, grad_output, loss.data(), grad_log_probs, {}};
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
    std::vector<T> alpha, beta, acc;
    const std::int64_t lo = chunk == 0 ? 0 : N / 2, hi = chunks == 1 || chunk == 1 ? N : N / 2;
    for (std::int64_t b = lo; b < hi; ++b) w.run(b, alpha, beta, acc);
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
