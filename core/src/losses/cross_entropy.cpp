// cross_entropy: the record (what torch.nn.functional calls its arguments, their rules, what torch differentiates) and the
// resolution of a case into its problem. No arithmetic.

#include "losscheck/losses/cross_entropy.h"

#include <fmt/format.h>

#include "../resolve_support.h"
#include "losscheck/error.h"

namespace losscheck {

loss_record cross_entropy_record() {
  loss_record record;
  record.name = "cross_entropy";
  record.doc = "-w[y] log_softmax(x)[y], or -sum_c w_c t_c log_softmax(x)_c for probability targets";
  record.inputs = {
      {"input", input_role::floating, true, broadcast_rule::main, batch_axis::leading, grad_rule::always,
       "logits (C), (N, C) or (N, C, d1, ..., dk)"},
      {"target", input_role::class_index_or_probabilities, true, broadcast_rule::class_target, batch_axis::leading,
       grad_rule::with_probability_target,
       "int64 class indices () / (N) / (N, d1..dk), or probabilities shaped like input"},
      {"weight", input_role::floating, false, broadcast_rule::class_vector, batch_axis::none,
       grad_rule::with_probability_target, "(C) class weights"}};
  record.options = with_reduction_options(
      {{"ignore_index", option_kind::integer, "-100", "target value that is skipped (any integer)"},
       {"label_smoothing", option_kind::number, "0.0", "in [0, 1]; values < 0 act as 0",
        {.max = 1.0, .message = "label_smoothing must be between 0.0 and 1.0. Got: {}"}}});
  record.output = output_rule::per_position;
  record.row_name = "the number of classes";
  record.properties = standard_properties(/*nonnegative=*/true, /*class_index=*/true);
  return record;
}

cross_entropy_problem resolve_cross_entropy(const resolve_context& r) {
  const auto* input = r.inputs.floating("input");
  const auto* target = r.inputs.any("target");
  const auto* weight = r.inputs.floating("weight");
  const auto red = r.options.reduction_mode();
  const auto ignore_index = r.options.integer("ignore_index", -100);
  if (input->dim() < 1) throw loss_error("cross_entropy: input must have 1 or more dimensions (got 0)");
  const auto label_smoothing = r.options.number("label_smoothing", 0.0);
  if (input->shape == target->shape) {
    // Probability targets (Loss.cpp cross_entropy_loss_prob_target).
    if (target->type != r.c.type)
      throw loss_error(fmt::format("cross_entropy: expected a floating point target of dtype {} for class "
                                   "probabilities (target has the input's shape), got {}",
                                   to_string(r.c.type), to_string(target->type)));
    if (ignore_index >= 0)
      throw loss_error(fmt::format(
          "cross_entropy: ignore_index is not supported for floating point target (got ignore_index={})",
          ignore_index));
    class_layout l;
    l.unbatched = input->dim() == 1;
    l.batch = l.unbatched ? 1 : input->shape[0];
    l.classes = l.unbatched ? input->shape[0] : input->shape[1];
    l.inner = 1;
    for (std::size_t i = 2; i < input->shape.size(); ++i) l.inner *= input->shape[i];
    if (!l.unbatched) {
      l.none_shape = {l.batch};
      l.none_shape.insert(l.none_shape.end(), input->shape.begin() + 2, input->shape.end());
    }
    check_class_weight(r.loss(), weight, l.classes);
    return cross_entropy_problem{input, target, weight, l, red, ignore_index, label_smoothing, true};
  }
  auto l = class_index_layout(r.loss(), *input, *target);
  check_class_weight(r.loss(), weight, l.classes, input->dim() >= 3 && !(label_smoothing > 0.0));
  return cross_entropy_problem{input, target, weight, l, red, ignore_index, label_smoothing, false};
}

}  // namespace losscheck
