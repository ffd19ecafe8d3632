// ctc_loss in multiprecision, from the definition: Graves, Fernández, Gomez, Schmidhuber, "Connectionist Temporal
// Classification", ICML 2006, §4.1 (the forward-backward algorithm) and §4.2 (the gradient), in the log domain;
// torch 1.13's conventions (torch.nn.functional.ctc_loss, aten/src/ATen/native/LossCTC.cpp) where they differ.
#include <fmt/format.h>

#include "losscheck/error.h"
#include "losses.h"
#include "mp.h"

namespace losscheck::reference::detail {

namespace {

// Sequence b has log_probs u[t][k] for t < T_b = input_lengths[b] (y^t_k = e^u in Graves' notation; u need not be
// normalized) and labels l_1..l_L. The extended sequence l' (eq. 5's ℓ') puts a blank before, between and after them:
// l'_s = blank for even s, l_{(s+1)/2} for odd s, s = 0..2L. In the log domain (a = log α, b = log β, Graves eqs. 6-7
// and 10-11, β including y^t as Graves defines it):
//   a_0(0) = u[0][blank], a_0(1) = u[0][l_1], a_0(s) = -inf otherwise
//   a_t(s) = u[t][l'_s] + log(e^{a_{t-1}(s)} + e^{a_{t-1}(s-1)} + [l'_s != blank and l'_s != l'_{s-2}] e^{a_{t-1}(s-2)})
//   b_{T_b-1}(2L) = u[T_b-1][blank], b_{T_b-1}(2L-1) = u[T_b-1][l_L], -inf otherwise
//   b_t(s) = u[t][l'_s] + log(e^{b_{t+1}(s)} + e^{b_{t+1}(s+1)} + [l'_s != blank and l'_s != l'_{s+2}] e^{b_{t+1}(s+2)})
//   log p = log(e^{a_{T_b-1}(2L)} + e^{a_{T_b-1}(2L-1)})   (eq. 8; L = 0: a_{T_b-1}(0))
//   loss_b = -log p   (+inf where no alignment exists: p = 0)
// Terms of out-of-range s are absent (e^{-inf} = 0). The log-add is evaluated as the plain log of the sum of
// exponentials: MPFR's exponent range holds e^a for any a a float64 computation can produce, so no shift is needed.
// The gradient torch 1.13 returns (LossCTC.cpp's ctc_loss_backward_cpu_template, Graves eq. 16 in terms of log_probs):
//   grad[t][b][k] = (e^{u[t][k]} - γ_t(k)) ĝ_b            t < T_b
//   γ_t(k) = e^{-log p} Σ_{s: l'_s = k} e^{a_t(s) + b_t(s) - u[t][k]}   (eq. 15: Σ αβ / (y p), the occupancy of k)
//   where at t = T_b - 1 the sum runs over the final states s = 2L, 2L - 1 only (the others have β = 0; torch leaves
//   them out, which matters only where their α is NaN)
//   grad[t][b][k] = 0                                      t >= T_b
// with ĝ_b the gradient reaching loss_b (g_b for none, g for sum, g / N / max(L_b, 1) for mean). The plain derivative
// of loss_b with respect to u[t][k] is -γ_t(k): torch adds e^u, the term that the backward of a log_softmax feeding
// log_probs cancels (docs/torch-quirks.md). As the formula stands, u[t][k] = -inf makes γ_t(k) = e^{-inf + inf} = NaN
// (torch: NaN there), and an impossible alignment (log p = -inf) makes every γ NaN: both are torch's values.
// zero_infinity: an infinite loss_b becomes 0 and its gradient 0 (LossCTC.cpp: where(res == inf, 0, res), and the
// backward zeroes the sequence).
// Reductions: none (N), or () unbatched; sum = Σ loss_b; mean = (1/N) Σ loss_b / max(L_b, 1) (N = 0: 0/0 = NaN).

mp log_add(const mp_vector& terms) {
  mp s = 0;
  for (const auto& x : terms) s += exp(x);
  return log(s);
}

mp neg_inf() { return mp(-std::numeric_limits<double>::infinity()); }

/// The value checks ctc_loss_cpu makes (or, where torch 1.13 reads out of bounds or accepts a blank label, the ones
/// losscheck makes: docs/torch-quirks.md), with what each sequence reads.
struct sequence {
  std::int64_t input_length;
  std::vector<std::int64_t> labels;
};

std::vector<sequence> checked_sequences(const ctc_loss_problem& p) {
  const auto& il = p.input_lengths->ints;
  const auto& tl = p.target_lengths->ints;
  const auto& y = p.targets->ints;
  std::vector<sequence> out(static_cast<std::size_t>(p.N));
  std::int64_t offset = 0;
  for (std::int64_t b = 0; b < p.N; ++b) {
    const auto i = static_cast<std::size_t>(b);
    if (il[i] < 1 || il[i] > p.T)
      throw loss_error(fmt::format("ctc_loss: input_lengths must be in [1, T] = [1, {}], got {} for sequence {}", p.T,
                                   il[i], b));
    if (tl[i] < 0)
      throw loss_error(fmt::format("ctc_loss: target_lengths must be >= 0, got {} for sequence {}", tl[i], b));
    if (!p.concatenated && tl[i] > p.S)
      throw loss_error(fmt::format("ctc_loss: target_lengths must be at most the padded targets' size S = {}, got {} "
                                   "for sequence {}", p.S, tl[i], b));
    out[i].input_length = il[i];
    const std::int64_t start = p.concatenated ? offset : b * p.S;
    if (p.concatenated) offset += tl[i];
    if (p.concatenated && offset > static_cast<std::int64_t>(y.size())) continue;  // reported below
    for (std::int64_t j = 0; j < tl[i]; ++j) out[i].labels.push_back(y[static_cast<std::size_t>(start + j)]);
  }
  if (p.concatenated && offset != static_cast<std::int64_t>(y.size()))
    throw loss_error(fmt::format("ctc_loss: concatenated targets must have sum(target_lengths) = {} elements, got {}",
                                 offset, y.size()));
  for (std::int64_t b = 0; b < p.N; ++b)
    for (auto k : out[static_cast<std::size_t>(b)].labels)
      if (k < 0 || k >= p.C || k == p.blank)
        throw loss_error(fmt::format("ctc_loss: target labels must be in [0, C) = [0, {}) and not the blank {}, got "
                                     "{} in sequence {}", p.C, p.blank, k, b));
  return out;
}

}  // namespace

loss_result ctc_loss(const ctc_loss_problem& p, const context& ctx) {
  const auto seqs = checked_sequences(p);
  return evaluate_rounded(ctx, [&] {
    const std::int64_t N = p.N, C = p.C;
    // u[t][b][k] at the row-major offset (t N + b) C + k of log_probs (T, N, C); unbatched (T, C) is N = 1
    const auto u = [&](std::int64_t t, std::int64_t b, std::int64_t k) {
      return mp(p.log_probs->values[static_cast<std::size_t>((t * N + b) * C + k)]);
    };
    const auto& tl = p.target_lengths->ints;
    mp_vector loss(static_cast<std::size_t>(N));
    mp_vector grad(p.log_probs->values.size(), mp(0));
    std::vector<mp_vector> a_all(static_cast<std::size_t>(N)), b_all(static_cast<std::size_t>(N));
    std::vector<mp> logp(static_cast<std::size_t>(N));
    for (std::int64_t b = 0; b < N; ++b) {
      const auto& sq = seqs[static_cast<std::size_t>(b)];
      const std::int64_t Tb = sq.input_length, L = static_cast<std::int64_t>(sq.labels.size()), S2 = 2 * L + 1;
      const auto lab = [&](std::int64_t s) { return s % 2 == 0 ? p.blank : sq.labels[static_cast<std::size_t>(s / 2)]; };
      const auto skip_allowed = [&](std::int64_t s, std::int64_t s2) { return s % 2 == 1 && lab(s) != lab(s2); };
      mp_vector a(static_cast<std::size_t>(Tb * S2), neg_inf()), be(static_cast<std::size_t>(Tb * S2), neg_inf());
      const auto at = [&](mp_vector& v, std::int64_t t, std::int64_t s) -> mp& { return v[static_cast<std::size_t>(t * S2 + s)]; };
      at(a, 0, 0) = u(0, b, p.blank);
      if (L > 0) at(a, 0, 1) = u(0, b, lab(1));
      for (std::int64_t t = 1; t < Tb; ++t)
        for (std::int64_t s = 0; s < S2; ++s) {
          mp_vector terms{at(a, t - 1, s)};
          if (s >= 1) terms.push_back(at(a, t - 1, s - 1));
          if (s >= 2 && skip_allowed(s, s - 2)) terms.push_back(at(a, t - 1, s - 2));
          at(a, t, s) = u(t, b, lab(s)) + log_add(terms);
        }
      at(be, Tb - 1, S2 - 1) = u(Tb - 1, b, p.blank);
      if (L > 0) at(be, Tb - 1, S2 - 2) = u(Tb - 1, b, lab(S2 - 2));
      for (std::int64_t t = Tb - 2; t >= 0; --t)
        for (std::int64_t s = 0; s < S2; ++s) {
          mp_vector terms{at(be, t + 1, s)};
          if (s + 1 < S2) terms.push_back(at(be, t + 1, s + 1));
          if (s + 2 < S2 && skip_allowed(s, s + 2)) terms.push_back(at(be, t + 1, s + 2));
          at(be, t, s) = u(t, b, lab(s)) + log_add(terms);
        }
      mp_vector last{at(a, Tb - 1, S2 - 1)};
      if (L > 0) last.push_back(at(a, Tb - 1, S2 - 2));
      logp[static_cast<std::size_t>(b)] = log_add(last);
      mp l = -logp[static_cast<std::size_t>(b)];
      if (p.zero_infinity && !is_finite(l) && !is_nan(l) && l > 0) l = 0;
      loss[static_cast<std::size_t>(b)] = l;
      a_all[static_cast<std::size_t>(b)] = std::move(a);
      b_all[static_cast<std::size_t>(b)] = std::move(be);
    }

    mp_result r;
    const auto clamp1 = [&](std::int64_t b) { return mp(static_cast<double>(std::max<std::int64_t>(tl[static_cast<std::size_t>(b)], 1))); };
    switch (p.red) {
      case reduction::none: r.output = {none_shape_of(p), loss}; break;
      case reduction::sum: r.output = scalar(sum(loss)); break;
      default: {
        mp_vector per(loss.size());
        for (std::int64_t b = 0; b < N; ++b) per[static_cast<std::size_t>(b)] = loss[static_cast<std::size_t>(b)] / clamp1(b);
        r.output = scalar(mean(per));
      }
    }

    const upstream g(ctx, p.red, mp(1));
    for (std::int64_t b = 0; b < N; ++b) {
      const auto& sq = seqs[static_cast<std::size_t>(b)];
      const mp lb = -logp[static_cast<std::size_t>(b)];
      if (p.zero_infinity && !is_finite(lb) && !is_nan(lb) && lb > 0) continue;  // the sequence's gradient is 0
      mp gb = g[b];
      if (p.red == reduction::mean) gb = gb / mp(static_cast<double>(N)) / clamp1(b);
      const std::int64_t Tb = sq.input_length, L = static_cast<std::int64_t>(sq.labels.size()), S2 = 2 * L + 1;
      const auto lab = [&](std::int64_t s) { return s % 2 == 0 ? p.blank : sq.labels[static_cast<std::size_t>(s / 2)]; };
      const auto& a = a_all[static_cast<std::size_t>(b)];
      const auto& be = b_all[static_cast<std::size_t>(b)];
      for (std::int64_t t = 0; t < Tb; ++t)
        for (std::int64_t k = 0; k < C; ++k) {
          const mp ut = u(t, b, k);
          mp occupancy = 0;  // Σ_{s: l'_s = k} e^{a + b - u - log p}; an empty sum is 0 (then 0 · e^{...})
          mp_vector terms;
          // at the last step t = T_b - 1 only the two states that end an alignment (s = 2L, 2L - 1) are summed: the
          // others have β = 0 by definition (Graves, before eq. 10) and torch leaves them out of the sum, so that a
          // NaN α there (a NaN log-probability earlier on a path that cannot end) does not reach the gradient
          for (std::int64_t s = t == Tb - 1 ? std::max<std::int64_t>(S2 - 2, 0) : 0; s < S2; ++s)
            if (lab(s) == k) terms.push_back(a[static_cast<std::size_t>(t * S2 + s)] + be[static_cast<std::size_t>(t * S2 + s)]);
          // e^{log Σ − u − log p}: an empty Σ is e^{-inf} = 0, and -inf − u − log p is NaN where u = -inf or log p = -inf
          const mp expo = (terms.empty() ? neg_inf() : log_add(terms)) - ut - logp[static_cast<std::size_t>(b)];
          occupancy = exp(expo);
          grad[static_cast<std::size_t>((t * N + b) * C + k)] = (exp(ut) - occupancy) * gb;
        }
    }
    r.grads["log_probs"] = {p.log_probs->shape, std::move(grad)};
    return r;
  });
}

}  // namespace losscheck::reference::detail
