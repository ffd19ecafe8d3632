// multilabel_soft_margin_loss: per element l = -w [y log σ(x) + (1 - y) log σ(-x)], rows summed over the class
// dimension and divided by C (torch: functional.py's composite of logsigmoid, products and sums).
#include "losscheck/impl/multilabel_soft_margin_loss.h"

#include <cmath>

#include "accumulate.h"
#include "case_io.h"
#include "losses.h"
#include "reduction.h"

namespace losscheck::impl {
namespace {

/// One term: its loss and its derivatives for a unit incoming gradient.
struct term_value {
  double loss, dx, dy, dw;
};

/// log(1 + e^z) = max(z, 0) + log1p(e^-|z|): no overflow, no cancellation.
double softplus(double z) { return (z > 0 ? z : 0.0) + std::log1p(std::exp(-std::fabs(z))); }

// Finite x, y, w: l = y sp(-x) + (1 - y) sp(x) (two non-negative terms for y in [0, 1]);
// σ(x) - y = (1 - y) σ(x) - y σ(-x) (no 1 - σ cancellation where y is 0 or 1); σ(±|x|) from e = e^-|x|.
term_value finite_term(double x, double y, double w) {
  const double e = std::exp(-std::fabs(x));
  const double s_small = e / (1.0 + e), s_big = 1.0 / (1.0 + e);  // σ(-|x|), σ(|x|)
  const double sig = x >= 0 ? s_big : s_small, sig_minus = x >= 0 ? s_small : s_big;
  const double l = y * softplus(-x) + (1.0 - y) * softplus(x);
  return {w * l, w * ((1.0 - y) * sig - y * sig_minus), -w * x, l};
}

double log_sigmoid(double z) { return -((-z > 0 ? -z : 0.0) + std::log1p(std::exp(-std::fabs(z)))); }
// ATen's log_sigmoid_backward: (m - s b / (1 + b)) c, b = e^-|z|, m = [z < 0], s = z < 0 ? 1 : -1
double log_sigmoid_backward(double z, double c) {
  const double b = std::exp(-std::fabs(z));
  return ((z < 0 ? 1.0 : 0.0) - (z < 0 ? 1.0 : -1.0) * (b / (1.0 + b))) * c;
}

// A non-finite operand: the composite's operations as torch's autograd runs them (reference: the same), g the
// element's incoming gradient: T = y A + (1 - y) B (A = log σ(x), B = log σ(-x)), loss -T w, gT = -(g w),
// dx = lsb(x, gT y) - lsb(-x, gT (1 - y)), dy = gT A - gT B, dw = g (-T). Returned already times g.
term_value literal_term(double x, double y, double w, double g) {
  const double a = log_sigmoid(x), b = log_sigmoid(-x);
  const double t = y * a + (1.0 - y) * b;
  const double gt = -(g * w);
  return {-t * w, log_sigmoid_backward(x, gt * y) - log_sigmoid_backward(-x, gt * (1.0 - y)), gt * a - gt * b, g * -t};
}

}  // namespace

// out_row = Σ_k l / C
template <class T>
void multilabel_soft_margin_loss_forward(const multilabel_soft_margin_loss_args<T>& args, T* output) {
  multilabel_soft_margin_loss_forward_backward<T>(args, nullptr, output, nullptr, nullptr, nullptr);
}

// out_row = Σ_k l / C;  G = g_row / C (/ rows for mean);  dL/dx = G w (σ(x) - y),  dL/dy = -G w x,  dL/dw = G l.
// Rows are independent: a row's terms are summed in order with a compensated (float64) or double (float32) sum.
template <class T>
void multilabel_soft_margin_loss_forward_backward(const multilabel_soft_margin_loss_args<T>& args, const T* grad_output,
                                                  T* output, double* grad_input, double* grad_target,
                                                  double* grad_weight) {
  const std::int64_t rows = args.outer * args.inner;
  const bool none = args.red == reduction::none;
  const double classes = static_cast<double>(args.classes);
  const upstream_gradient<T> upstream(args.red, grad_output, reduction_divisor(args.red, rows));
  const bool backward = grad_input || grad_target || grad_weight;
  sum_accumulator<T> total;
  for (std::int64_t o = 0; o < args.outer; ++o)
    for (std::int64_t j = 0; j < args.inner; ++j) {
      const std::int64_t row = o * args.inner + j;
      const double g = backward ? upstream.at(row) / classes : 0.0;
      sum_accumulator<T> row_sum;
      for (std::int64_t c = 0; c < args.k; ++c) {
        const std::int64_t e = (o * args.k + c) * args.inner + j;
        const double x = static_cast<double>(args.input[e]);
        const double y = static_cast<double>(args.target[e]);
        const double w = args.weight ? static_cast<double>(args.weight[e]) : 1.0;
        term_value t;
        if (std::isfinite(x) && std::isfinite(y) && std::isfinite(w) && std::isfinite(g)) {
          t = finite_term(x, y, w);
          t.dx *= g, t.dy *= g, t.dw *= g;
        } else {
          t = literal_term(x, y, w, g);
        }
        row_sum.add(t.loss);
        if (args.weighted_upstream) args.weighted_upstream[e] = g * w;
        if (grad_input) grad_input[e] = t.dx;
        if (grad_target) grad_target[e] = t.dy;
        if (grad_weight) grad_weight[e] = t.dw;
      }
      const double value = row_sum.value() / classes;  // C = 0: 0 / 0 = NaN, as torch
      if (output && none) output[row] = static_cast<T>(value);
      total.add(value);
    }
  if (output && !none)
    output[0] = static_cast<T>(args.red == reduction::sum ? total.value() : total.value() / static_cast<double>(rows));
}

template void multilabel_soft_margin_loss_forward(const multilabel_soft_margin_loss_args<float>&, float*);
template void multilabel_soft_margin_loss_forward(const multilabel_soft_margin_loss_args<double>&, double*);
template void multilabel_soft_margin_loss_forward_backward(const multilabel_soft_margin_loss_args<float>&, const float*,
                                                           float*, double*, double*, double*);
template void multilabel_soft_margin_loss_forward_backward(const multilabel_soft_margin_loss_args<double>&,
                                                           const double*, double*, double*, double*, double*);

namespace detail {

loss_result multilabel_soft_margin_loss(const multilabel_soft_margin_loss_problem& p, const context& ctx) {
  return with_case_type(ctx.type, [&]<class T>() {
    const auto input = broadcast_values<T>(*p.input, p.shape);
    const auto target = broadcast_values<T>(*p.target, p.shape);
    const auto weight = p.weight ? broadcast_values<T>(*p.weight, p.shape) : std::vector<T>{};
    const auto grad_output = grad_output_values<T>(ctx);
    multilabel_soft_margin_loss_args<T> args{input.data(), target.data(), data_or_null(weight)};
    args.outer = 1;
    for (std::int64_t d = 0; d < p.class_dim; ++d) args.outer *= p.shape[static_cast<std::size_t>(d)];
    args.k = p.shape[static_cast<std::size_t>(p.class_dim)];
    for (std::size_t d = static_cast<std::size_t>(p.class_dim) + 1; d < p.shape.size(); ++d) args.inner *= p.shape[d];
    args.classes = p.classes;
    args.red = p.red;
    const auto out_shape = output_shape(problem{p});
    std::vector<T> output(static_cast<std::size_t>(checked_numel(out_shape)));
    std::vector<double> grad_input(input.size()), grad_target(input.size()), grad_weight(p.weight ? input.size() : 0);
    // a weight that enlarges the shape of input and target: torch sums the weighted incoming gradient over that
    // broadcast first, U_e = Σ G w, and only then meets the term's derivative (an infinite one gives ±inf, where
    // per-copy products summed afterwards would give inf − inf = NaN)
    const shape_t xy_shape = broadcast_shapes(p.input->shape, p.target->shape).value_or(p.shape);
    const bool weight_enlarges = xy_shape != p.shape;
    std::vector<double> weighted(weight_enlarges ? input.size() : 0);
    if (weight_enlarges) args.weighted_upstream = weighted.data();
    multilabel_soft_margin_loss_forward_backward(args, data_or_null(grad_output), output.data(), grad_input.data(),
                                                 grad_target.data(), p.weight ? grad_weight.data() : nullptr);
    loss_result r;
    r.output = result_tensor(ctx.type, out_shape, output);
    if (weight_enlarges) {
      const auto xy_n = static_cast<std::size_t>(checked_numel(xy_shape));
      std::vector<double> u(xy_n, 0.0), dx(xy_n, 0.0), dy(xy_n, 0.0);
      broadcast_walker to_xy(xy_shape, p.shape);
      for (std::size_t f = 0; f < weighted.size(); ++f, to_xy.next()) u[static_cast<std::size_t>(to_xy.offset())] += weighted[f];
      const auto x = broadcast_values<T>(*p.input, xy_shape), y = broadcast_values<T>(*p.target, xy_shape);
      for (std::size_t e = 0; e < xy_n; ++e) {
        const double xe = static_cast<double>(x[e]), ye = static_cast<double>(y[e]);
        term_value t;
        if (std::isfinite(xe) && std::isfinite(ye) && std::isfinite(u[e])) {
          t = finite_term(xe, ye, 1.0);
          t.dx *= u[e], t.dy *= u[e];
        } else {
          t = literal_term(xe, ye, 1.0, u[e]);
        }
        dx[e] = t.dx, dy[e] = t.dy;
      }
      r.grads["input"] = sum_to_shape<T>(ctx.type, dx, xy_shape, p.input->shape);
      r.grads["target"] = sum_to_shape<T>(ctx.type, dy, xy_shape, p.target->shape);
    } else {
      r.grads["input"] = sum_to_shape<T>(ctx.type, grad_input, p.shape, p.input->shape);
      r.grads["target"] = sum_to_shape<T>(ctx.type, grad_target, p.shape, p.target->shape);
    }
    if (p.weight) r.grads["weight"] = sum_to_shape<T>(ctx.type, grad_weight, p.shape, p.weight->shape);
    return r;
  });
}

}  // namespace detail
}  // namespace losscheck::impl
