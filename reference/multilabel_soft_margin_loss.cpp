// multilabel_soft_margin_loss in multiprecision, from the definition (torch.nn.functional.multilabel_soft_margin_loss,
// LibTorch 1.13.1: a composite of logsigmoid, products and sums in functional.py, differentiated by autograd).
#include "losses.h"
#include "mp.h"

namespace losscheck::reference::detail {

namespace {

/// log(1 + e^z), without cancellation or overflow.
mp softplus(const mp& z) { return z > 0 ? mp(z + log1p(exp(-z))) : mp(log1p(exp(z))); }

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
term finite_term(const mp& x, const mp& y, const mp& w) {
  const mp l = y * softplus(-x) + (1 - y) * softplus(x);
  const mp half = mp(1) / 2;
  const mp sigma_minus_y = abs(x) < 1 ? mp(tanh(x / 2) / 2 + (half - y))
                                      : mp((1 - y) / (1 + exp(-x)) - y / (1 + exp(x)));
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

// Over the broadcast shape of input, target and weight (w = 1 when absent), per element e:
//   l_e = -w [y log σ(x) + (1 - y) log σ(-x)]
// row r (the shape without class_dim = input.dim() - 1): out_r = Σ_{e in r} l_e / C, C = input.size(-1); then the
// reduction over rows. Each element's incoming gradient is G_e = g_r / C (g_r / (R C) for mean over R rows):
//   dL/dx = G w (σ(x) - y),  dL/dy = -G w x,  dL/dw = G l_e / w   (summed back to each input's shape)
/// multilabel_soft_margin_loss: forward and the gradients with respect to input, target and weight.
loss_result multilabel_soft_margin_loss(const multilabel_soft_margin_loss_problem& p, const context& ctx) {
  return evaluate_rounded(ctx, [&] {
    const mp_vector x = expand_to(*p.input, p.shape);
    const mp_vector y = expand_to(*p.target, p.shape);
    const mp_vector w = p.weight ? expand_to(*p.weight, p.shape) : mp_vector(x.size(), mp(1));
    const auto rows = checked_numel(p.none_shape);
    const upstream g(ctx, p.red, mp(1));
    const mp classes = mp(static_cast<double>(p.classes));
    const mp row_divisor = p.red == reduction::mean ? classes * mp(static_cast<double>(rows)) : classes;
    // element e of the shape lies in row (e / (inner K)) inner + e % inner, K = shape[class_dim]
    std::int64_t inner = 1;
    for (std::size_t d = static_cast<std::size_t>(p.class_dim) + 1; d < p.shape.size(); ++d) inner *= p.shape[d];
    const std::int64_t k = p.shape[static_cast<std::size_t>(p.class_dim)];

    mp_vector row_sum(static_cast<std::size_t>(rows), mp(0));
    mp_vector dx(x.size()), dy(x.size()), dw(x.size());
    for (std::size_t e = 0; e < x.size(); ++e) {
      const auto i = static_cast<std::int64_t>(e);
      const std::int64_t r = (i / (inner * k)) * inner + i % inner;
      const mp ge = g[r] / row_divisor;
      const bool finite = is_finite(x[e]) && is_finite(y[e]) && is_finite(w[e]) && is_finite(ge);
      if (finite) {
        const term t = finite_term(x[e], y[e], w[e]);
        row_sum[static_cast<std::size_t>(r)] += t.loss;
        dx[e] = t.dx * ge;
        dy[e] = t.dy * ge;
        dw[e] = t.dw * ge;
      } else {
        const term t = literal_term(x[e], y[e], w[e], ge);
        row_sum[static_cast<std::size_t>(r)] += t.loss;
        dx[e] = t.dx;
        dy[e] = t.dy;
        dw[e] = t.dw;
      }
    }
    mp_vector none(row_sum.size());
    for (std::size_t r = 0; r < none.size(); ++r) none[r] = row_sum[r] / classes;  // C = 0: 0 / 0 = NaN, as torch

    mp_result out;
    out.output = reduce(std::move(none), p.none_shape, p.red);
    out.grads["input"] = {p.input->shape, sum_to(std::move(dx), p.shape, p.input->shape)};
    out.grads["target"] = {p.target->shape, sum_to(std::move(dy), p.shape, p.target->shape)};
    if (p.weight) out.grads["weight"] = {p.weight->shape, sum_to(std::move(dw), p.shape, p.weight->shape)};
    return out;
  });
}

}  // namespace losscheck::reference::detail
