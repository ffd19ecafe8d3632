// nll_loss: the record (what torch.nn.functional calls its arguments, their rules, what torch differentiates) and the
// resolution of a case into its problem. No arithmetic.

#include "losscheck/losses/nll_loss.h"

#include <fmt/format.h>

#include "../resolve_support.h"
#include "losscheck/error.h"

namespace losscheck {

loss_record nll_loss_record() {
  loss_record record;
  record.name = "nll_loss";
  record.doc = "-w[y] input[y]";
  record.inputs = {
      {"input", input_role::floating, true, broadcast_rule::main, batch_axis::leading, grad_rule::always,
       "log-probabilities (C), (N, C) or (N, C, d1, ..., dk)"},
      {"target", input_role::class_index, true, broadcast_rule::class_target, batch_axis::leading, grad_rule::never,
       "int64 class indices () / (N) / (N, d1..dk)"},
      {"weight", input_role::floating, false, broadcast_rule::class_vector, batch_axis::none, grad_rule::never,
       "(C) class weights"}};
  record.options = with_reduction_options({{"ignore_index", option_kind::integer, "-100", "target value that is skipped (any integer)"}});
  record.output = output_rule::per_position;
  record.row_name = "the number of classes";
  // not nonnegative: nll_loss takes any input, there is no sign to hold it to
  record.properties = standard_properties(/*nonnegative=*/false, /*class_index=*/true);
  return record;
}

nll_loss_problem resolve_nll_loss(const resolve_context& r) {
  const auto* input = r.inputs.floating("input");
  const auto* target = r.inputs.any("target");
  const auto* weight = r.inputs.floating("weight");
  const auto red = r.options.reduction_mode();
  const auto ignore_index = r.options.integer("ignore_index", -100);
  auto l = class_index_layout(r.loss(), *input, *target);
  check_class_weight(r.loss(), weight, l.classes, input->dim() >= 3);
  return nll_loss_problem{input, target, weight, l, red, ignore_index};
}

}  // namespace losscheck
