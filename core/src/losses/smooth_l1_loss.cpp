// smooth_l1_loss: the record (what torch.nn.functional calls its arguments, their rules, what torch differentiates)
// and the resolution of a case into its problem. No arithmetic.

#include "losscheck/losses/smooth_l1_loss.h"

#include <fmt/format.h>

#include "../resolve_support.h"
#include "losscheck/error.h"

namespace losscheck {

loss_record smooth_l1_loss_record() {
  loss_record record;
  record.name = "smooth_l1_loss";
  record.doc = "0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target; beta = 0: |d|); input and "
               "target broadcast";
  record.inputs = {
      {"input", input_role::floating, true, broadcast_rule::main, batch_axis::leading_if_full_rank, grad_rule::always,
       "any shape"},
      {"target", input_role::floating, true, broadcast_rule::mutual, batch_axis::leading, grad_rule::always,
       "broadcastable with input"}};
  // ATen: TORCH_CHECK(beta >= 0, "smooth_l1_loss does not support negative values for beta.") (NaN fails it too)
  record.options = with_reduction_options(
      {{"beta", option_kind::number, "1.0", "where the quadratic part ends (>= 0; 0 gives l1_loss's values)",
        {.min = 0.0, .message = "does not support negative values for beta, got {}"}}});
  record.output = output_rule::elementwise;
  record.properties = standard_properties(/*nonnegative=*/true);
  return record;
}

smooth_l1_loss_problem resolve_smooth_l1_loss(const resolve_context& r) {
  const auto* input = r.inputs.floating("input");
  const auto* target = r.inputs.floating("target");
  const auto red = r.options.reduction_mode();
  const auto beta = r.options.number("beta", 1.0);
  auto shape = broadcast_or_throw(r.loss(), input->shape, "input", target->shape, "target");
  return smooth_l1_loss_problem{input, target, shape, beta, red};
}

}  // namespace losscheck
