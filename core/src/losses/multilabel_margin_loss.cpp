// multilabel_margin_loss: the record (what torch.nn.functional calls its arguments, their rules, what torch
// differentiates) and the resolution of a case into its problem. No arithmetic.

#include "losscheck/losses/multilabel_margin_loss.h"

#include <fmt/format.h>

#include "../resolve_support.h"
#include "losscheck/error.h"

namespace losscheck {

loss_record multilabel_margin_loss_record() {
  loss_record record;
  record.name = "multilabel_margin_loss";
  record.doc = "Σ_{j in targets} Σ_{i not in targets} max(0, 1 - (x[y_j] - x[i])) / C";
  record.inputs = {
      {"input", input_role::floating, true, broadcast_rule::main, batch_axis::leading, grad_rule::always,
       "scores (N, C) or (C) (0-D: one class)"},
      {"target", input_role::class_index_list, true, broadcast_rule::same_shape, batch_axis::leading,
       grad_rule::never, "int64 of the input's shape: per row, class indices up to the first -1 (all in [-1, C))"}};
  record.options = with_reduction_options({});
  record.output = output_rule::per_position;
  record.row_name = "the number of classes";
  record.properties = standard_properties(/*nonnegative=*/true);
  return record;
}

multilabel_margin_loss_problem resolve_multilabel_margin_loss(const resolve_context& r) {
  const auto* input = r.inputs.floating("input");
  const auto* target = r.inputs.any("target");
  const auto red = r.options.reduction_mode();
  // LossMultiLabelMargin.cpp: a non-empty vector, a matrix with non-empty rows (an empty batch is allowed), or 0-D
  const bool valid = (input->dim() == 2 && input->shape[1] != 0) || (input->dim() == 1 && input->shape[0] != 0) ||
                     input->dim() == 0;
  if (!valid)
    throw loss_error(fmt::format("multilabel_margin_loss: input must be (C) or (N, C) with C > 0 (or 0-D), got shape {}",
                                 format_shape(input->shape)));
  const std::int64_t rows = input->dim() == 2 ? input->shape[0] : 1;
  const std::int64_t classes = input->dim() == 0 ? 1 : input->shape.back();
  // an unbatched input takes any target of at most one dimension with C values (a 0-D input: () or (1))
  const bool fits = input->dim() == 2 ? target->shape == input->shape : target->dim() <= 1 && target->numel() == classes;
  if (!fits)
    throw loss_error(fmt::format("multilabel_margin_loss: target must have the input's shape {}, got shape {}",
                                 format_shape(input->dim() == 0 ? shape_t{} : input->shape), format_shape(target->shape)));
  // torch reads the target as int64 only when the input has elements: an empty batch takes a target of any dtype
  if (target->type != dtype::int64 && input->numel() > 0)
    throw loss_error(fmt::format("multilabel_margin_loss: target must be an int64 tensor of class indices, got {}",
                                 to_string(target->type)));
  shape_t none_shape = target->dim() == 2 ? shape_t{rows} : shape_t{};
  return multilabel_margin_loss_problem{input, target, rows, classes, std::move(none_shape), red};
}

}  // namespace losscheck
