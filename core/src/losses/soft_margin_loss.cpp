// soft_margin_loss: the record (what torch.nn.functional calls its arguments, their rules, what torch differentiates)
// and the resolution of a case into its problem. No arithmetic.

#include "losscheck/losses/soft_margin_loss.h"

#include <fmt/format.h>

#include "../resolve_support.h"
#include "losscheck/error.h"

namespace losscheck {

loss_record soft_margin_loss_record() {
  loss_record record;
  record.name = "soft_margin_loss";
  record.doc = "log(1 + exp(-y x)); the target broadcasts to the input's shape";
  record.inputs = {
      {"input", input_role::floating, true, broadcast_rule::main, batch_axis::leading_if_full_rank, grad_rule::always,
       "any shape"},
      // ATen's soft_margin_loss_backward has no target gradient: torch refuses a target that requires grad
      {"target", input_role::floating, true, broadcast_rule::into_target, batch_axis::leading_if_full_rank,
       grad_rule::never, "broadcasts to the input's shape without enlarging it; any values (±1 labels usually)"}};
  record.options = with_reduction_options({});
  record.output = output_rule::elementwise;
  record.properties = standard_properties(/*nonnegative=*/true);
  return record;
}

soft_margin_loss_problem resolve_soft_margin_loss(const resolve_context& r) {
  const auto* input = r.inputs.floating("input");
  const auto* target = r.inputs.floating("target");
  const auto red = r.options.reduction_mode();
  // ATen: neg_out(output, input).mul_(target): the in-place product keeps the input's shape
  const auto s = broadcast_shapes(input->shape, target->shape);
  if (!s)
    throw loss_error(fmt::format("soft_margin_loss: target of shape {} and input of shape {} do not broadcast",
                                 format_shape(target->shape), format_shape(input->shape)));
  if (*s != input->shape)
    throw loss_error(fmt::format("soft_margin_loss: target of shape {} must broadcast to the input's shape {} "
                                 "without enlarging it (the broadcast shape is {})",
                                 format_shape(target->shape), format_shape(input->shape), format_shape(*s)));
  return soft_margin_loss_problem{input, target, red};
}

}  // namespace losscheck
