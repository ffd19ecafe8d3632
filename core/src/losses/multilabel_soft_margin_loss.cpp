// multilabel_soft_margin_loss: the record (what torch.nn.functional calls its arguments, their rules, what torch
// differentiates) and the resolution of a case into its problem. No arithmetic.

#include "losscheck/losses/multilabel_soft_margin_loss.h"

#include <fmt/format.h>

#include "../resolve_support.h"
#include "losscheck/error.h"

namespace losscheck {

loss_record multilabel_soft_margin_loss_record() {
  loss_record record;
  record.name = "multilabel_soft_margin_loss";
  record.doc = "mean over classes of -w [y log sigmoid(x) + (1 - y) log sigmoid(-x)], per row";
  // functional.py composes it from logsigmoid, products and sums: autograd differentiates all three inputs
  record.inputs = {
      {"input", input_role::floating, true, broadcast_rule::main, batch_axis::leading_if_full_rank, grad_rule::always,
       "(N, C) or (C) logits (any number of dimensions ≥ 1: the classes are the last)"},
      {"target", input_role::floating, true, broadcast_rule::mutual, batch_axis::leading_if_full_rank,
       grad_rule::always, "broadcastable with input; labels 0 / 1 (any values are used as is)"},
      {"weight", input_role::floating, false, broadcast_rule::mutual, batch_axis::leading_if_full_rank,
       grad_rule::always, "broadcastable; usually (C), one per class"}};
  record.options = with_reduction_options(
      {}, "'none' | 'mean' | 'sum' (functional.py compares the string itself: 'elementwise_mean' is not valid)");
  record.output = output_rule::per_row;
  record.row_name = "the number of classes";
  record.properties = standard_properties(/*nonnegative=*/true);
  return record;
}

multilabel_soft_margin_loss_problem resolve_multilabel_soft_margin_loss(const resolve_context& r) {
  const auto* input = r.inputs.floating("input");
  const auto* target = r.inputs.floating("target");
  const auto* weight = r.inputs.floating("weight");
  // functional.py: `if reduction == "none" ... elif "mean" ... elif "sum" ... else raise ValueError(reduction + " is
  // not valid")` after the legacy flags; it never calls _Reduction.get_enum, so the deprecated alias is refused
  if (!r.options.legacy_flag_given())
    if (const auto* v = r.options.find("reduction"))
      if (const auto* s = std::get_if<std::string>(v); s && *s == "elementwise_mean")
        throw loss_error("multilabel_soft_margin_loss: elementwise_mean is not valid (functional.py accepts only "
                         "'none', 'mean' and 'sum' here)");
  const auto red = r.options.reduction_mode();
  if (input->dim() == 0)
    throw loss_error("multilabel_soft_margin_loss: Dimension specified as -1 but tensor has no dimensions (the "
                     "input must have a class dimension, got a 0-D input)");
  auto shape = broadcast_or_throw(r.loss(), input->shape, "input", target->shape, "target");
  if (weight) shape = broadcast_or_throw(r.loss(), shape, "the loss terms", weight->shape, "weight");
  const auto class_dim = input->dim() - 1;  // of the broadcast terms, counted from the front as functional.py does
  shape_t none_shape = shape;
  none_shape.erase(none_shape.begin() + class_dim);
  return multilabel_soft_margin_loss_problem{input, target, weight, shape, class_dim, input->shape.back(),
                                             none_shape, red};
}

}  // namespace losscheck
