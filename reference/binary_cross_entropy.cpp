// binary_cross_entropy in multiprecision, from the definition (torch.nn.functional.binary_cross_entropy,
// LibTorch 1.13.1, aten/src/ATen/native/Loss.cpp).
#include <fmt/format.h>

#include "losscheck/error.h"
#include "losses.h"
#include "mp.h"

namespace losscheck::reference::detail {

namespace {

/// torch clamps both logarithms of the loss at -100 before multiplying by y or 1 - y (Loss.cpp
/// binary_cross_entropy_out_cpu), so x = 0, y = 0 gives 0 and x = 0, y = 1 gives 100.
constexpr double log_clamp = -100.0;

/// The floor of x (1 - x) in the input gradient's denominator: Loss.cpp's `constexpr float EPSILON = 1e-12`, a
/// float, so 1e-12 rounded to float32 (9.999999960041972e-13) in both dtypes.
constexpr double gradient_epsilon = static_cast<double>(1e-12f);

/// The input must lie in [0, 1]; NaN is rejected too (torch: "all elements of input should be between 0 and 1").
void check_input(const tensor& input) {
  for (std::size_t i = 0; i < input.values.size(); ++i) {
    const double x = input.values[i];
    if (!(x >= 0.0 && x <= 1.0)) {
      const auto shown = (input.type == dtype::float32 || is_half(input.type)) ? fmt::format("{}", static_cast<float>(x)) : fmt::format("{}", x);
      throw loss_error(fmt::format(
          "binary_cross_entropy: all elements of input should be between 0 and 1, got input[{}] = {}", i, shown));
    }
  }
}

}  // namespace

// L = -w [y max(log x, -100) + (1 - y) max(log(1 - x), -100)],
//     evaluated as torch writes it: w [(y - 1) max(log(1 - x), -100) - y max(log x, -100)]
// dL/dx = w g (x - y) / max(x (1 - x), EPSILON)     (EPSILON = 1e-12f; the clamps are not differentiated)
// dL/dy = w g (log(1 - x) - log x)                  (torch: -logit(x), unclamped: +-inf at x = 0 or 1)
/// binary_cross_entropy: checks the input range, then forward and the gradients with respect to input and target.
loss_result binary_cross_entropy(const binary_cross_entropy_problem& p, const context& ctx) {
  check_input(*p.input);
  return evaluate_rounded(ctx, [&] {
    const shape_t& shape = p.input->shape;
    const mp_vector x = to_mp(*p.input);
    const mp_vector y = to_mp(*p.target);
    const mp_vector w = p.weight ? expand_to(*p.weight, shape) : mp_vector{};
    const auto n = static_cast<std::int64_t>(x.size());
    const upstream g(ctx, p.red, mp(1));  // divided by the mean's n last (see divided)
    const mp denominator = plain_denominator(p.red, n);
    const mp clamp = log_clamp;
    const mp epsilon = gradient_epsilon;

    // Which values are exact (evaluate_rounded rounds them without escalating): x, y, w, g, 100 and ε are; a log is
    // exact at x = 0 or 1 (−inf, 0), and a clamped one is the constant; the products and sums then are exact when MPFR
    // says so. In practice: the clamp branches 100·(1 − y)·w and 100·y·w at x = 1 and x = 0, float32 midpoints for
    // 1 in 128 random targets.
    exactness_probe probe;  // g is grad_output itself (upstream divides by 1): exact
    mp_vector none(x.size()), grad_x(x.size()), grad_y(x.size());
    std::vector<bool> none_exact(x.size()), grad_x_exact(x.size()), grad_y_exact(x.size());
    for (std::int64_t i = 0; i < n; ++i) {
      const auto k = static_cast<std::size_t>(i);
      probe.restart();
      const mp log_x = log(x[k]);
      const bool log_x_exact = probe.exact();
      probe.restart();
      const mp log_1mx = log1p(-x[k]);  // log(1 - x) without rounding 1 - x first
      const bool log_1mx_exact = probe.exact();
      const bool log_x_clamped = !(log_x > clamp), log_1mx_clamped = !(log_1mx > clamp);
      probe.restart();
      none[k] = (y[k] - 1) * max_of(log_1mx, clamp) - y[k] * max_of(log_x, clamp);
      if (p.weight) none[k] *= w[k];
      none_exact[k] = probe.exact() && (log_x_exact || log_x_clamped) && (log_1mx_exact || log_1mx_clamped);
      probe.restart();
      grad_x[k] = g[i] * (x[k] - y[k]);
      if (p.weight) grad_x[k] *= w[k];
      grad_x[k] /= max_of(x[k] * (1 - x[k]), epsilon) * denominator;  // one division: exact ties stay exact
      grad_x_exact[k] = probe.exact();
      probe.restart();
      grad_y[k] = g[i] * (log_1mx - log_x);
      if (p.weight) grad_y[k] *= w[k];
      if (denominator != 1) grad_y[k] /= denominator;
      grad_y_exact[k] = probe.exact() && log_x_exact && log_1mx_exact;
    }

    mp_result r;
    const bool elementwise = p.red == reduction::none;
    r.output = reduce(std::move(none), shape, p.red);
    if (elementwise) r.output.exact = std::move(none_exact);
    r.grads["input"] = {shape, std::move(grad_x), std::move(grad_x_exact)};
    r.grads["target"] = {shape, std::move(grad_y), std::move(grad_y_exact)};
    return r;
  });
}

}  // namespace losscheck::reference::detail
