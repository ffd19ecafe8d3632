// hinge_embedding_loss: the record (what torch.nn.functional calls its arguments, their rules, what torch
// differentiates) and the resolution of a case into its problem. No arithmetic.

#include "losscheck/losses/hinge_embedding_loss.h"

#include <fmt/format.h>

#include "../resolve_support.h"
#include "losscheck/error.h"

namespace losscheck {

loss_record hinge_embedding_loss_record() {
  loss_record record;
  record.name = "hinge_embedding_loss";
  record.doc = "max(0, margin - x) where y != 1, plus x where y != -1 (both for other y); input and target broadcast";
  record.inputs = {
      {"input", input_role::floating, true, broadcast_rule::main, batch_axis::leading_if_full_rank, grad_rule::always,
       "any shape"},
      // only compared with 1 and -1 (torch.where's condition): no gradient
      {"target", input_role::label, true, broadcast_rule::mutual, batch_axis::leading_if_full_rank, grad_rule::never,
       "broadcastable with input; 1 / -1 (float or int64), other values take both branches"}};
  record.options = with_reduction_options({{"margin", option_kind::number, "1.0", "the hinge's margin (any value)"}});
  record.output = output_rule::elementwise;
  record.properties = standard_properties(/*nonnegative=*/false);  // y = 1 gives x itself, any sign
  return record;
}

hinge_embedding_loss_problem resolve_hinge_embedding_loss(const resolve_context& r) {
  const auto* input = r.inputs.floating("input");
  const auto* target = r.inputs.any("target");
  const auto red = r.options.reduction_mode();
  const auto margin = r.options.number("margin", 1.0);
  if (target->type != dtype::int64 && target->type != r.c.type)
    throw loss_error(fmt::format("hinge_embedding_loss: target must be int64 or {}, got {}", to_string(r.c.type),
                                 to_string(target->type)));
  auto shape = broadcast_or_throw(r.loss(), input->shape, "input", target->shape, "target");
  return hinge_embedding_loss_problem{input, target, shape, margin, red};
}

}  // namespace losscheck
