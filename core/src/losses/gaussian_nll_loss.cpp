// gaussian_nll_loss: the record (what torch.nn.functional calls its arguments, their rules, what torch differentiates)
// and the resolution of a case into its problem. No arithmetic.

#include "losscheck/losses/gaussian_nll_loss.h"

#include <fmt/format.h>

#include "../resolve_support.h"
#include "losscheck/error.h"

namespace losscheck {

loss_record gaussian_nll_loss_record() {
  using g = generic_property;
  loss_record record;
  record.name = "gaussian_nll_loss";
  record.doc = "(log v + (input - target)^2 / v) / 2 with v = max(var, eps) (clamped without gradient); full adds "
               "log(2 pi) / 2";
  // functional.py's composite: autograd differentiates all three; var's gradient passes the clamp as the identity
  record.inputs = {
      {"input", input_role::floating, true, broadcast_rule::main, batch_axis::leading_if_full_rank, grad_rule::always,
       "the mean"},
      {"target", input_role::floating, true, broadcast_rule::mutual, batch_axis::leading, grad_rule::always,
       "the sample; broadcastable with input"},
      {"var", input_role::floating, true, broadcast_rule::mutual, batch_axis::leading, grad_rule::always,
       "the variance: input's shape, input's shape without the last dimension, or with the last dimension 1; "
       "no negative entry"}};
  // No legacy size_average / reduce: functional.py's signature has only `reduction`.
  record.options = {
      {"reduction", option_kind::reduction, "'mean'",
       "'none' | 'mean' | 'sum' (functional.py compares the string itself: 'elementwise_mean' is not valid)"},
      {"full", option_kind::boolean, "False", "add the constant log(2 pi) / 2"},
      {"eps", option_kind::number, "1e-6", "var is clamped to at least eps (under no_grad)"}};
  record.output = output_rule::elementwise;
  // log(var) is formed on var's own shape, before it broadcasts against (input - target)^2 (docs/torch-quirks.md)
  record.terms_before_broadcast = true;
  // not nonnegative: log v < 0 for v < 1
  for (const g p : standard_properties(/*nonnegative=*/false))
    if (p != g::legacy_flags) record.properties.push_back(p);
  return record;
}

gaussian_nll_loss_problem resolve_gaussian_nll_loss(const resolve_context& r) {
  const auto* input = r.inputs.floating("input");
  const auto* target = r.inputs.floating("target");
  const auto* var = r.inputs.floating("var");
  // functional.py, in its order: var's size first, then the reduction string, then (a value check, made by each
  // implementation) no negative var, then the broadcast of input - target with var.
  shape_t var_shape = var->shape;
  if (var->shape != input->shape) {
    const shape_t leading(input->shape.begin(), input->shape.end() - (input->shape.empty() ? 0 : 1));
    const shape_t var_leading(var->shape.begin(), var->shape.end() - (var->shape.empty() ? 0 : 1));
    if (var->shape == leading) {
      var_shape.push_back(1);  // torch.unsqueeze(var, -1)
    } else if (!(var_leading == leading && !var->shape.empty() && var->shape.back() == 1)) {
      throw loss_error(fmt::format(
          "{}: var is of incorrect size: var of shape {} for input of shape {} (var must have the input's shape, the "
          "input's shape without its last dimension, or that with a last dimension of 1)",
          r.loss(), format_shape(var->shape), format_shape(input->shape)));
    }
  }
  if (const auto* v = r.options.find("reduction"))
    if (const auto* s = std::get_if<std::string>(v); s && *s != "none" && *s != "mean" && *s != "sum")
      throw loss_error(fmt::format("{}: {} is not valid (functional.py accepts only 'none', 'mean' and 'sum' here)",
                                   r.loss(), *s));
  const auto red = r.options.reduction_mode();
  const bool full = r.options.boolean("full", false);
  const double eps = r.options.number("eps", 1e-6);
  const auto difference = broadcast_or_throw(r.loss(), input->shape, "input", target->shape, "target");
  auto shape = broadcast_or_throw(r.loss(), difference, "input - target", var_shape, "var");
  return gaussian_nll_loss_problem{input, target, var, var_shape, shape, red, full, eps};
}

}  // namespace losscheck
