// cosine_embedding_loss: the record (what torch.nn.functional calls its arguments, their rules, what torch differentiates) and the
// resolution of a case into its problem. No arithmetic.

#include "losscheck/losses/cosine_embedding_loss.h"

#include <fmt/format.h>

#include "../resolve_support.h"
#include "losscheck/error.h"

namespace losscheck {

loss_record cosine_embedding_loss_record() {
  loss_record record;
  record.name = "cosine_embedding_loss";
  record.doc = "1 - cos(x1, x2) for y = 1, max(0, cos(x1, x2) - margin) for y = -1, 0 otherwise";
  record.inputs = {
      {"input1", input_role::floating, true, broadcast_rule::main, batch_axis::leading_if_full_rank,
       grad_rule::always, "(N, D) or (D)"},
      {"input2", input_role::floating, true, broadcast_rule::mutual, batch_axis::leading_if_full_rank,
       grad_rule::always, "(N, D) or (D); broadcasts with input1"},
      {"target", input_role::label, true, broadcast_rule::row_label, batch_axis::leading, grad_rule::never,
       "(N) or () values 1 / -1 (float or int64)"}};
  record.options = with_reduction_options({{"margin", option_kind::number, "0.0", "margin for y = -1"}});
  record.output = output_rule::per_row;
  record.main_input = "input1";
  record.row_name = "the vector length";
  record.terms_before_broadcast = true;
  record.properties = standard_properties(/*nonnegative=*/true);
  return record;
}

cosine_embedding_loss_problem resolve_cosine_embedding_loss(const resolve_context& r) {
  const auto* input1 = r.inputs.floating("input1");
  const auto* input2 = r.inputs.floating("input2");
  const auto* target = r.inputs.any("target");
  const auto red = r.options.reduction_mode();
  const auto margin = r.options.number("margin", 0.0);
  if (target->type != dtype::int64 && target->type != r.c.type)
    throw loss_error(fmt::format("cosine_embedding_loss: target must be int64 or {}, got {}", to_string(r.c.type),
                                 to_string(target->type)));
  if (target->dim() > 1)
    throw loss_error(fmt::format(
        "cosine_embedding_loss: 0D or 1D target tensor expected, multi-target not supported (got shape {})",
        format_shape(target->shape)));
  const auto want = target->dim() + 1;
  if (input1->dim() != want || input2->dim() != want)
    throw loss_error(fmt::format(
        "cosine_embedding_loss: {}D target tensor expects {}D input tensors, but found inputs with sizes {} and {}",
        target->dim(), want, format_shape(input1->shape), format_shape(input2->shape)));
  auto pair = broadcast_or_throw(r.loss(), input1->shape, "input1", input2->shape, "input2");
  shape_t cos_shape;
  if (want == 2) {
    // |x1|^2 is summed per row of input1, |x2|^2 per row of input2: their rows broadcast against the pair's.
    cos_shape = {pair[0]};
  }
  auto none_shape = broadcast_or_throw(r.loss(), target->shape, "target", cos_shape, "cos(input1, input2)");
  return cosine_embedding_loss_problem{input1, input2, target, pair, cos_shape, none_shape, margin, red};
}

}  // namespace losscheck
