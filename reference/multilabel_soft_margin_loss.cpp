// multilabel_soft_margin_loss in multiprecision, from the definition (torch.nn.functional.multilabel_soft_margin_loss,
// LibTorch 1.13.1: a composite of logsigmoid, products and sums in functional.py, differentiated by autograd).
#include "losses.h"
#include "mp.h"

namespace losscheck::reference::detail {

namespace {

/// One term's value and derivatives, before the incoming gradient.
struct term {
  mp loss;        ///< w l
  mp dx, dy, dw;  ///< d(w l)/dx, d(w l)/dy, d(w l)/dw
};

// With l = -[y log σ(x) + (1 - y) log σ(-x)] = y sp(-x) + (1 - y) sp(x) (sp = softplus):
//   d(w l)/dx = w (σ(x) - y), written without cancellation at any working precision:
//               |x| < 1: tanh(x/2)/2 + (1/2 - y)  (σ(x) - 1/2 = tanh(x/2)/2, however tiny x is)
//               else:    (1 - y) σ(x) - y σ(-x)   (one term alone for y = 0 or 1, however far out x is)
//   d(w l)/dy = -w (log σ(x) - log σ(-x)) = -w x
//   d(w l)/dw = l
// One exponential serves both: with b = e^-|x|, sp(-|x|) = log1p(b) and sp(|x|) = |x| + log1p(b); σ(|x|) = 1/(1 + b),
// σ(-|x|) = b/(1 + b) (the same terms as the formulas above, so the same absence of cancellation).
term finite_term(const mp& x, const mp& y, const mp& w) {
  const mp b = exp(-abs(x));
  const mp sp_small = log1p(b);             // sp(-|x|)
  const mp sp_large = abs(x) + sp_small;    // sp(|x|)
  const bool positive = x >= 0;
  const mp l = y * (positive ? sp_small : sp_large) + (1 - y) * (positive ? sp_large : sp_small);
  const mp half = mp(1) / 2;
  mp sigma_minus_y;
  if (abs(x) < 1) {
    sigma_minus_y = tanh(x / 2) / 2 + (half - y);
  } else {
    const mp sigma_large = 1 / (1 + b), sigma_small = b / (1 + b);  // σ(|x|), σ(-|x|)
    sigma_minus_y = (1 - y) * (positive ? sigma_large : sigma_small) - y * (positive ? sigma_small : sigma_large);
  }
  return {w * l, w * sigma_minus_y, -w * x, l};
}

/// log σ(z) as ATen's log_sigmoid: -(max(-z, 0) + log1p(exp(-|z|))), so log σ(+inf) = -0, log σ(-inf) = -inf.
mp log_sigmoid(const mp& z) { return -(max_of(-z, mp(0)) + log1p(exp(-abs(z)))); }

/// ATen's log_sigmoid_backward for input z and incoming gradient c: (m - s b / (1 + b)) c with b = exp(-|z|),
/// m = [z < 0], s = z < 0 ? 1 : -1 (σ(-z) for finite z; 0 · c at z = +inf, c at z = -inf, NaN for a NaN z).
mp log_sigmoid_backward(const mp& z, const mp& c) {
  const mp b = exp(-abs(z));
  const mp m = z < 0 ? mp(1) : mp(0);
  const mp s = z < 0 ? mp(1) : mp(-1);
  return (m - s * (b / (1 + b))) * c;
}

/// A non-finite x, y or w, or incoming gradient: the composite's operations literally, so that infinities meet as in
/// torch (x = +inf, y = 1: (1 - y) log σ(-x) = 0 · (-inf) = NaN). With G the incoming gradient of the term:
///   T = y A + (1 - y) B,  A = log σ(x), B = log σ(-x),  loss = -T w
///   gT = -(G w);  dx = lsb(x, gT y) - lsb(-x, gT (1 - y));  dy = gT A - gT B;  dw = G (-T)
term literal_term(const mp& x, const mp& y, const mp& w, const mp& g) {
  const mp a = log_sigmoid(x), b = log_sigmoid(-x);
  const mp t = y * a + (1 - y) * b;
  const mp gt = -(g * w);
  return {-t * w, log_sigmoid_backward(x, gt * y) - log_sigmoid_backward(-x, gt * (1 - y)), gt * a - gt * b, g * -t};
}

}  // namespace

// Over the broadcast shape S of input, target and weight (w = 1 when absent), per element f of S and its element e of
// S_xy = broadcast(input, target) (torch forms the unweighted terms on S_xy, then multiplies by w, which may enlarge
// the shape):
//   ℓ_e = -[y log σ(x) + (1 - y) log σ(-x)],   l_f = w_f ℓ_e
// row r (S without class_dim = input.dim() - 1): out_r = Σ_{f in r} l_f / C, C = input.size(-1); then the
// reduction over rows. Each element's incoming gradient is G_f = g_r / C (g_r / (R C) for mean over R rows); ℓ_e's is
// U_e = Σ_{f over e} G_f w_f, reduced over w's broadcast before it meets ℓ's derivative, as torch's autograd does (a
// term with an infinite derivative then gives ±inf where per-copy products would meet as inf − inf):
//   dL/dx_e = U_e (σ(x) - y),  dL/dy_e = -U_e x,  dL/dw_f = G_f ℓ_e   (summed back to each input's shape)
/// multilabel_soft_margin_loss: forward and the gradients with respect to input, target and weight.
loss_result multilabel_soft_margin_loss(const multilabel_soft_margin_loss_problem& p, const context& ctx) {
  return evaluate_rounded(ctx, [&] {
    const shape_t xy_shape = broadcast_shapes(p.input->shape, p.target->shape).value_or(p.shape);
    const mp_vector x = expand_to(*p.input, xy_shape);
    const mp_vector y = expand_to(*p.target, xy_shape);
    const mp_vector w = p.weight ? expand_to(*p.weight, p.shape) : mp_vector(static_cast<std::size_t>(checked_numel(p.shape)), mp(1));
    const auto rows = checked_numel(p.none_shape);
    const upstream g(ctx, p.red, mp(1));
    const mp classes = mp(static_cast<double>(p.classes));
    const mp row_divisor = p.red == reduction::mean ? classes * mp(static_cast<double>(rows)) : classes;
    // element f of S lies in row (f / (inner K)) inner + f % inner, K = S[class_dim]
    std::int64_t inner = 1;
    for (std::size_t d = static_cast<std::size_t>(p.class_dim) + 1; d < p.shape.size(); ++d) inner *= p.shape[d];
    const std::int64_t k = p.shape[static_cast<std::size_t>(p.class_dim)];

    // the unweighted terms, once per element of S_xy: finite ones in closed form, the others as the composite
    mp_vector ell(x.size());
    std::vector<term> finite(x.size());  // kept for the gradients (each term's transcendentals evaluated once)
    std::vector<bool> literal(x.size());
    for (std::size_t e = 0; e < x.size(); ++e) {
      literal[e] = !is_finite(x[e]) || !is_finite(y[e]);
      if (!literal[e]) finite[e] = finite_term(x[e], y[e], mp(1));
      ell[e] = literal[e] ? mp(-(y[e] * log_sigmoid(x[e]) + (1 - y[e]) * log_sigmoid(-x[e]))) : finite[e].loss;
    }
    mp_vector row_sum(static_cast<std::size_t>(rows), mp(0));
    // gw_e = Σ_f g_r w_f, U_e = gw_e / row_divisor: the target's gradient -U_e x_e is rational, and is formed as
    // -(gw_e x_e) / row_divisor, one final division, so that a value that is exactly a midpoint of the dtype is computed
    // exactly and rounds to even without raising the precision (it used to send float32 cases to 4096 bits)
    mp_vector u(x.size(), mp(0)), gw(x.size(), mp(0)), dw(w.size());
    std::vector<bool> gw_exact(x.size(), true);
    exactness_probe probe;  // g (grad_output itself: upstream divides by 1) and w are exact
    broadcast_walker to_xy(xy_shape, p.shape);
    for (std::size_t f = 0; f < w.size(); ++f, to_xy.next()) {
      const auto e = static_cast<std::size_t>(to_xy.offset());
      const auto i = static_cast<std::int64_t>(f);
      const std::int64_t r = (i / (inner * k)) * inner + i % inner;
      const mp gf = g[r] / row_divisor;
      row_sum[static_cast<std::size_t>(r)] += ell[e] * w[f];
      u[e] += gf * w[f];
      probe.restart();
      gw[e] += g[r] * w[f];
      gw_exact[e] = gw_exact[e] && probe.exact();
      dw[f] = gf * ell[e];
    }
    mp_vector dx(x.size()), dy(x.size());
    std::vector<bool> dy_exact(x.size());
    for (std::size_t e = 0; e < x.size(); ++e) {
      if (!literal[e] && is_finite(u[e])) {
        dx[e] = finite[e].dx * u[e];
        probe.restart();  // g, w and x are exact, so is gw_e when MPFR says so
        dy[e] = -(gw[e] * x[e]) / row_divisor;
        dy_exact[e] = probe.exact() && gw_exact[e];
      } else {
        const term t = literal_term(x[e], y[e], mp(1), u[e]);
        dx[e] = t.dx;
        dy[e] = t.dy;
      }
    }
    mp_vector none(row_sum.size());
    for (std::size_t r = 0; r < none.size(); ++r) none[r] = row_sum[r] / classes;  // C = 0: 0 / 0 = NaN, as torch

    mp_result out;
    out.output = reduce(std::move(none), p.none_shape, p.red);
    out.grads["input"] = {p.input->shape, sum_to(std::move(dx), xy_shape, p.input->shape)};
    const bool target_unbroadcast = p.target->shape == xy_shape;  // else sum_to adds values: exactness not tracked
    out.grads["target"] = {p.target->shape, sum_to(std::move(dy), xy_shape, p.target->shape),
                           target_unbroadcast ? std::move(dy_exact) : std::vector<bool>{}};
    if (p.weight) out.grads["weight"] = {p.weight->shape, sum_to(std::move(dw), p.shape, p.weight->shape)};
    return out;
  });
}

}  // namespace losscheck::reference::detail
