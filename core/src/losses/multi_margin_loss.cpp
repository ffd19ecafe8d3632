// multi_margin_loss: the record (what torch.nn.functional calls its arguments, their rules, what torch
// differentiates) and the resolution of a case into its problem. No arithmetic.

#include "losscheck/losses/multi_margin_loss.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "../resolve_support.h"
#include "losscheck/error.h"

namespace losscheck {

loss_record multi_margin_loss_record() {
  loss_record record;
  record.name = "multi_margin_loss";
  record.doc = "Σ_{j≠y} w[y] max(0, margin - x[y] + x[j])^p / C";
  record.inputs = {
      {"input", input_role::floating, true, broadcast_rule::main, batch_axis::leading, grad_rule::always,
       "scores (N, C) or (C) (0-D: one class)"},
      {"target", input_role::class_index, true, broadcast_rule::class_target, batch_axis::leading, grad_rule::never,
       "int64 class indices (N) or ()"},
      {"weight", input_role::floating, false, broadcast_rule::class_vector, batch_axis::none, grad_rule::never,
       "(C) class weights; w[y] multiplies every term of a row"}};
  record.options = with_reduction_options(
      {{"p", option_kind::integer, "1", "the hinge's exponent: 1 or 2", {.min = 1, .max = 2, .message = "p must be 1 or 2, got {}"}},
       {"margin", option_kind::number, "1", "the margin (any number; rounded to the case dtype, as torch does)"}});
  record.output = output_rule::per_position;
  record.row_name = "the number of classes";
  record.properties = standard_properties(/*nonnegative=*/true);
  return record;
}

multi_margin_loss_problem resolve_multi_margin_loss(const resolve_context& r) {
  const auto* input = r.inputs.floating("input");
  const auto* target = r.inputs.any("target");
  const auto* weight = r.inputs.floating("weight");
  const auto red = r.options.reduction_mode();
  const auto p = r.options.integer("p", 1);
  const auto margin = r.options.number("margin", 1.0);
  // LossMultiMargin.cpp: a non-empty vector, a matrix with non-empty rows (an empty batch is allowed), or a 0-D input
  const bool valid = (input->dim() == 2 && input->shape[1] != 0) || (input->dim() == 1 && input->shape[0] != 0) ||
                     input->dim() == 0;
  if (!valid)
    throw loss_error(fmt::format(
        "multi_margin_loss: input must be (C) or (N, C) with C > 0 (or 0-D), got shape {}", format_shape(input->shape)));
  const std::int64_t rows = input->dim() == 2 ? input->shape[0] : 1;
  const std::int64_t classes = input->dim() == 0 ? 1 : input->shape.back();
  if (target->dim() > 1 || target->numel() != rows)
    throw loss_error(fmt::format(
        "multi_margin_loss: target must hold one class index per row, () or ({}) for input of shape {}, got shape {}",
        rows, format_shape(input->shape), format_shape(target->shape)));
  // functional.py rejects a weight that is not 1-D; torch 1.13 does not check its size (it reads w[y] past the end of
  // a short one), later versions require C elements, as losscheck does (docs/torch-quirks.md).
  if (weight && (weight->dim() != 1 || weight->shape[0] != classes))
    throw loss_error(fmt::format("multi_margin_loss: weight must be 1-D with one value per class ({}), got shape {}",
                                 classes, format_shape(weight->shape)));
  // torch converts margin to the kernel's type with c10's checked conversion (when the input has elements):
  // beyond float32's range it is an error
  if ((r.c.type == dtype::float32 || is_half(r.c.type)) && input->numel() > 0 && std::isfinite(margin) && std::fabs(margin) > std::numeric_limits<float>::max())
    throw loss_error(fmt::format("multi_margin_loss: margin {} cannot be converted to float32 without overflow", margin));
  // torch reads the target as int64 only when the input has elements: an empty batch takes a target of any dtype
  if (target->type != dtype::int64 && input->numel() > 0)
    throw loss_error(fmt::format("multi_margin_loss: target must be an int64 tensor of class indices, got {}",
                                 to_string(target->type)));
  shape_t none_shape = target->dim() == 0 ? shape_t{} : shape_t{rows};
  return multi_margin_loss_problem{input, target, weight, rows, classes, std::move(none_shape), p, margin, red};
}

}  // namespace losscheck
