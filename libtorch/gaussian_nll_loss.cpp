// gaussian_nll_loss in LibTorch, as torch/nn/functional.py (1.13) writes it -- a composite, not an ATen loss: var's
// size (same as input; input's size without the last dimension: unsqueezed at -1; or that with a last dimension of
// 1), the reduction string (compared by functional.py itself: 'elementwise_mean' is refused), no negative var, then
// var cloned and clamped to eps under no_grad, loss = 0.5 * (log(var) + (input - target)**2 / var) (+ 0.5 *
// log(2 pi) with full), reduced. No legacy flags.

#include <ATen/core/grad_mode.h>
#include <ATen/ops/any.h>
#include <ATen/ops/clamp.h>
#include <ATen/ops/clone.h>
#include <ATen/ops/log.h>
#include <ATen/ops/lt.h>
#include <ATen/ops/mean.h>
#include <ATen/ops/pow.h>
#include <ATen/ops/sum.h>
#include <ATen/ops/unsqueeze.h>
#include <fmt/format.h>

#include <cmath>

#include "losscheck/error.h"
#include "support.h"

namespace losscheck::libtorch::detail {

at::Tensor gaussian_nll_loss(const loss_case& c, const tensors& in) {
  const at::Tensor& input = in.at("input");
  const at::Tensor& target = in.at("target");
  at::Tensor var = in.at("var");
  if (var.sizes() != input.sizes()) {
    const auto sizes_in = input.sizes(), sizes_var = var.sizes();
    const auto leading = sizes_in.slice(0, sizes_in.empty() ? 0 : sizes_in.size() - 1);  // input.size()[:-1]
    const auto var_leading = sizes_var.slice(0, sizes_var.empty() ? 0 : sizes_var.size() - 1);
    if (leading == sizes_var) {
      var = at::unsqueeze(var, -1);
    } else if (!(leading == var_leading && !sizes_var.empty() && sizes_var.back() == 1)) {
      throw loss_error("gaussian_nll_loss: var is of incorrect size");
    }
  }
  const std::string red = reduction_string(c);
  if (red != "none" && red != "mean" && red != "sum")
    throw loss_error(fmt::format("gaussian_nll_loss: {} is not valid", red));
  if (at::any(at::lt(var, 0)).item<bool>()) throw loss_error("gaussian_nll_loss: var has negative entry/entries");
  var = at::clone(var);
  {
    at::NoGradGuard no_grad;
    var.clamp_(float_option(c, "eps", 1e-6));
  }
  at::Tensor loss = at::log(var).add(at::pow(input.sub(target), 2).div(var)).mul(0.5);
  if (bool_option(c, "full", false)) loss.add_(0.5 * std::log(2 * M_PI));
  if (red == "mean") return at::mean(loss);
  if (red == "sum") return at::sum(loss);
  return loss;
}

}  // namespace losscheck::libtorch::detail
