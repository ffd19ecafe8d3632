// cross_entropy in multiprecision, from the definition (torch.nn.functional.cross_entropy, LibTorch 1.13.1,
// aten/src/ATen/native/LossNLL.cpp: cross_entropy_loss, cross_entropy_loss_label_smoothing,
// cross_entropy_loss_prob_target), for class-index and for probability targets.
#include <cmath>
#include <limits>

#include "class_index.h"
#include "losses.h"
#include "mp.h"

namespace losscheck::reference::detail {

namespace {

/// The softmax of one row of C logits, computed so that nothing cancels: with m = max_c x_c at its first position
/// c*, e_c = e^(x_c - m) (so e_c* = 1), R = Σ_{c != c*} e_c and S = 1 + R,
///   -log p_c = (m - x_c) + log1p(R),   p_c = e_c / S,   1 - p_c = (S - e_c) / S, which is R / S at c = c*.
/// A row whose maximum is not finite (it holds a NaN or +inf, or only -inf) is NaN throughout, as torch's
/// log_softmax makes it (x - max = inf - inf).
class softmax_row {
 public:
  /// Reads row `row` of `input` (class_layout positions) and, when `with_sums`, computes the row's sums (which
  /// finite() does not need).
  void compute(const tensor& input, const class_layout& l, std::int64_t row, bool with_sums = true) {
    const auto classes = static_cast<std::size_t>(l.classes);
    x_.resize(classes);
    double m = -std::numeric_limits<double>::infinity();
    finite_ = classes > 0;
    argmax_ = 0;
    for (std::size_t c = 0; c < classes; ++c) {
      x_[c] = input.values[input_index(l, row, static_cast<std::int64_t>(c))];
      if (std::isnan(x_[c])) finite_ = false;
      if (x_[c] > m) {
        m = x_[c];
        argmax_ = c;
      }
    }
    if (!std::isfinite(m)) finite_ = false;
    if (!finite_ || !with_sums) return;
    max_ = m;
    if (e_.size() < classes) e_.resize(classes);
    r_ = 0;
    for (std::size_t c = 0; c < classes; ++c) {
      e_[c] = exp(x_[c] - max_);
      if (c != argmax_) r_ += e_[c];
    }
    s_ = 1 + r_;
    inv_s_ = 1 / s_;
    log_s_ = log1p(r_);
  }

  bool finite() const { return finite_; }
  std::size_t argmax() const { return argmax_; }
  /// -log p_c.
  mp neg_log_p(std::size_t c) const { return finite_ ? (max_ - x_[c]) + log_s_ : nan_value(); }
  /// p_c.
  mp p(std::size_t c) const { return finite_ ? mp(e_[c] * inv_s_) : nan_value(); }
  /// 1 - p_c.
  mp one_minus_p(std::size_t c) const {
    if (!finite_) return nan_value();
    return c == argmax_ ? mp(r_ * inv_s_) : mp((s_ - e_[c]) * inv_s_);
  }
  /// p_c V - v_c for a vector v with V = Σ_c v_c and v_excl = Σ_{c != c*} v_c, as (e_c V - v_c S) / S, which is
  /// (v_excl - v_c* R) / S at c = c*: no cancellation in 1 - p_c*, and exact zeros where the data are symmetric
  /// (equal logits, v proportional to p).
  mp p_times_minus(std::size_t c, const mp& v_c, const mp& v_total, const mp& v_excl) const {
    if (!finite_) return nan_value();
    return c == argmax_ ? mp((v_excl - v_c * r_) * inv_s_) : mp((e_[c] * v_total - v_c * s_) * inv_s_);
  }

 private:
  std::vector<double> x_;
  mp_vector e_;
  mp max_, r_, s_, inv_s_, log_s_;
  std::size_t argmax_ = 0;
  bool finite_ = false;
};

// log_softmax backward for one row whose G_c = dL/d(log p_c) has the form G_c = -a [c = y] - b v_c
// (class-index targets: a = (1 - ε) w_y ĝ, b = (ε / C) ĝ, v = w; probability targets: a = 0, b = ĝ, v = t' w):
// dL/dx_c = G_c - p_c Σ_c' G_c'
//         = a (p_c - [c = y]) + b (p_c V - v_c),  V = Σ_c v_c,
// with p_y - 1 = -(1 - p_y) and p_c V - v_c from softmax_row::p_times_minus, so that nothing cancels.
// When a, b or V is not finite, torch's own form G_c - p_c Σ G instead, so that infinities meet as they do there:
// with p_c as torch holds it, exp(log_softmax) in the dtype (float32 for the half dtypes, whose kernels compute in
// it), so that a p_c that underflows to 0 meets an infinite Σ G as 0 · inf = NaN (docs/torch-quirks.md).
/// Writes dL/dx of row `row` into `grad` (input positions); `y` is the target class, or -1 for none (a = 0).
void softmax_backward(const softmax_row& s, const mp& a, std::int64_t y, const mp& b, const mp_vector& v,
                      const class_layout& l, std::int64_t row, mp_vector& grad, dtype type) {
  const auto classes = static_cast<std::size_t>(l.classes);
  const auto at = [&](std::size_t c) -> mp& { return grad[input_index(l, row, static_cast<std::int64_t>(c))]; };
  mp v_total = 0, v_excl = 0;
  for (std::size_t c = 0; c < classes; ++c) {
    v_total += v[c];
    if (c != s.argmax()) v_excl += v[c];
  }
  const bool targeted = y >= 0;
  if (is_finite(a) && is_finite(b) && is_finite(v_total)) {
    const bool with_b = b != 0 || !targeted;  // without smoothing b = 0 (a NaN row is NaN through a's term)
    for (std::size_t c = 0; c < classes; ++c) {
      mp d = 0;
      if (with_b) d = b * s.p_times_minus(c, v[c], v_total, v_excl);
      if (targeted) d += static_cast<std::int64_t>(c) == y ? mp(-a * s.one_minus_p(c)) : mp(a * s.p(c));
      at(c) = std::move(d);
    }
    return;
  }
  mp_vector big_g(classes);
  mp total = 0;
  for (std::size_t c = 0; c < classes; ++c) {
    big_g[c] = -(b * v[c]);
    if (targeted && static_cast<std::int64_t>(c) == y) big_g[c] -= a;
    total += big_g[c];
  }
  const dtype held = scalar_dtype(type);
  for (std::size_t c = 0; c < classes; ++c) {
    const mp pc = s.p(c);
    at(c) = big_g[c] - (is_finite(pc) && round_to(pc, held) == 0 ? mp(0) : pc) * total;
  }
}

/// torch treats label_smoothing <= 0 as none (cross_entropy_loss only smooths when label_smoothing > 0).
bool smoothing(const cross_entropy_problem& p) { return p.label_smoothing > 0.0; }

// Class-index targets. For each row i with y_i != ignore_index, w = weight (ones when absent), ε = label_smoothing:
// nll_i = w_y (-log p_iy),  smooth_i = Σ_c w_c (-log p_ic)   (ignored rows: both 0)
// l_i = (1 - ε) nll_i + (ε / C) smooth_i, or l_i = nll_i without smoothing (ε <= 0)
// mean = (1 - ε) Σ nll / Σ w_y + (ε / C) Σ smooth / Σ w_y over non-ignored rows (both terms divided by the weights
//        of the targets, as LossNLL.cpp does; 0/0 = NaN when all are ignored), sum = (1 - ε) Σ nll + (ε / C) Σ smooth
// dL/d(log p_ic) = G_ic = -(1 - ε) w_y ĝ_i [c = y_i] - (ε / C) w_c ĝ_i, ĝ_i = g_i (none), g (sum), g / Σ w_y (mean);
// dL/dx by softmax_backward (a = (1 - ε) w_y ĝ_i, b = (ε / C) ĝ_i, v = w); ignored rows have G = 0, so their
// gradient is 0, or NaN in a NaN row, as torch gives.
/// cross_entropy with class-index targets.
loss_result class_index_targets(const cross_entropy_problem& p, const context& ctx) {
  const class_layout& l = p.layout;
  check_class_targets("cross_entropy", *p.target, l.classes, p.ignore_index);
  return evaluate_rounded(ctx, [&] {
    const auto rows = row_count(l);
    const auto classes = static_cast<std::size_t>(l.classes);
    const auto& y = p.target->ints;
    const bool smooth = smoothing(p);
    const mp eps = smooth ? mp(p.label_smoothing) : mp(0);
    const mp keep = 1 - eps;                                     // 1 - ε
    const mp spread = eps / mp(static_cast<double>(l.classes));  // ε / C (inf for C = 0, as in torch)
    mp_vector w(classes, mp(1));
    if (p.weight) w = to_mp(*p.weight);

    mp total_weight = 0;  // Σ w_y over non-ignored rows
    for (const auto target : y)
      if (target != p.ignore_index) total_weight += w[static_cast<std::size_t>(target)];
    const upstream g(ctx, p.red, p.red == reduction::mean ? total_weight : mp(1));

    softmax_row s;
    mp_vector nll(static_cast<std::size_t>(rows), mp(0)), smooth_loss(static_cast<std::size_t>(rows), mp(0));
    mp_vector grad(p.input->values.size(), mp(0));
    for (std::int64_t i = 0; i < rows; ++i) {
      const auto target = y[static_cast<std::size_t>(i)];
      if (target == p.ignore_index) {
        // Loss 0; G = 0, so the gradient is 0 - p * 0: 0, or NaN in a NaN row.
        s.compute(*p.input, l, i, false);
        if (!s.finite())
          for (std::size_t c = 0; c < classes; ++c) grad[input_index(l, i, static_cast<std::int64_t>(c))] = nan_value();
        continue;
      }
      const auto t = static_cast<std::size_t>(target);
      s.compute(*p.input, l, i);
      nll[static_cast<std::size_t>(i)] = w[t] * s.neg_log_p(t);
      if (smooth) {
        mp acc = 0;
        for (std::size_t c = 0; c < classes; ++c) acc += w[c] * s.neg_log_p(c);
        smooth_loss[static_cast<std::size_t>(i)] = acc;
      }
      const mp a = smooth ? mp(keep * w[t] * g[i]) : mp(w[t] * g[i]);
      const mp b = smooth ? mp(spread * g[i]) : mp(0);
      softmax_backward(s, a, target, b, w, l, i, grad, p.input->type);
    }

    const auto combine = [&](const mp& n, const mp& sm) { return smooth ? mp(keep * n + spread * sm) : n; };
    mp_result r;
    if (p.red == reduction::none) {
      mp_vector none(static_cast<std::size_t>(rows));
      for (std::size_t i = 0; i < none.size(); ++i) none[i] = combine(nll[i], smooth_loss[i]);
      r.output = {l.none_shape, std::move(none)};
    } else if (p.red == reduction::sum) {
      r.output = scalar(combine(sum(nll), sum(smooth_loss)));
    } else {
      r.output = scalar(combine(sum(nll) / total_weight, sum(smooth_loss) / total_weight));
    }
    r.grads["input"] = {p.input->shape, std::move(grad)};
    return r;
  });
}

// Probability targets. With t'_c = t_c (1 - ε) + ε / C when ε > 0 (else t'_c = t_c) and w = weight (ones):
// l_i = -Σ_c log p_ic t'_ic w_c
// mean = Σ l_i / (numel / C) = Σ l_i / (N d1..dk) (not a weighted mean); an empty input gives NaN with zero
//        gradients (LossNLL.cpp fills the sum with NaN), sum = Σ l_i
// dL/d(log p_ic) = G_ic = -ĝ_i t'_ic w_c, dL/dx by softmax_backward (a = 0, b = ĝ_i, v = t' w)
// dL/dt_ic = -ĝ_i log p_ic w_c (1 - ε)     ((1 - ε) only when smoothing)
// dL/dw_c = -Σ_i ĝ_i log p_ic t'_ic
/// cross_entropy with probability targets (the target has the input's shape).
loss_result probability_targets(const cross_entropy_problem& p, const context& ctx) {
  return evaluate_rounded(ctx, [&] {
    const class_layout& l = p.layout;
    const auto rows = row_count(l);
    const auto classes = static_cast<std::size_t>(l.classes);
    const bool smooth = smoothing(p);
    const mp eps = smooth ? mp(p.label_smoothing) : mp(0);
    const mp keep = 1 - eps;
    const mp spread = eps / mp(static_cast<double>(l.classes));
    mp_vector w(classes, mp(1));
    if (p.weight) w = to_mp(*p.weight);
    const auto smoothed_target = [&](std::int64_t row, std::size_t c) {
      const mp t = p.target->values[input_index(l, row, static_cast<std::int64_t>(c))];
      return smooth ? mp(t * keep + spread) : t;
    };
    const bool empty = p.input->values.empty();

    const mp denominator = static_cast<double>(rows);  // numel / C
    const upstream g(ctx, p.red, p.red == reduction::mean ? denominator : mp(1));
    const bool zero_grads = empty && p.red == reduction::mean;  // the NaN is filled in, not computed

    softmax_row s;
    mp_vector row_sums(static_cast<std::size_t>(rows));  // Σ_c log p_ic t'_ic w_c; the loss is its negative
    mp_vector grad_x(p.input->values.size(), mp(0)), grad_t(p.input->values.size(), mp(0)), grad_w(classes, mp(0));
    mp_vector weighted(classes);  // t'_c w_c of the row
    for (std::int64_t i = 0; i < rows; ++i) {
      s.compute(*p.input, l, i);
      mp acc = 0;
      for (std::size_t c = 0; c < classes; ++c) {
        const mp log_p = -s.neg_log_p(c);
        const mp tc = smoothed_target(i, c);
        acc += log_p * tc * w[c];
        if (zero_grads) continue;
        weighted[c] = tc * w[c];
        const mp dt = -g[i] * log_p * w[c];
        grad_t[input_index(l, i, static_cast<std::int64_t>(c))] = smooth ? mp(dt * keep) : dt;
        grad_w[c] += -g[i] * log_p * tc;
      }
      row_sums[static_cast<std::size_t>(i)] = acc;
      if (!zero_grads) softmax_backward(s, mp(0), -1, g[i], weighted, l, i, grad_x, p.input->type);
    }
    mp_result r;
    switch (p.red) {
      case reduction::none:
        for (auto& v : row_sums) v = -v;
        r.output = {l.none_shape, std::move(row_sums)};
        break;
      case reduction::sum: r.output = scalar(-sum(row_sums)); break;
      default: r.output = scalar(empty ? nan_value() : mp(-sum(row_sums) / denominator)); break;
    }
    r.grads["input"] = {p.input->shape, std::move(grad_x)};
    r.grads["target"] = {p.target->shape, std::move(grad_t)};
    if (p.weight) r.grads["weight"] = {p.weight->shape, std::move(grad_w)};
    return r;
  });
}

}  // namespace

/// cross_entropy: class-index or probability targets (chosen by the problem's shape resolution).
loss_result cross_entropy(const cross_entropy_problem& p, const context& ctx) {
  return p.probability_target ? probability_targets(p, ctx) : class_index_targets(p, ctx);
}

}  // namespace losscheck::reference::detail
