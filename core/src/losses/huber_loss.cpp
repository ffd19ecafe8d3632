// huber_loss: the record (what torch.nn.functional calls its arguments, their rules, what torch differentiates) and
// the resolution of a case into its problem. No arithmetic.

#include "losscheck/losses/huber_loss.h"

#include <algorithm>

#include <fmt/format.h>

#include "../resolve_support.h"
#include "losscheck/error.h"

namespace losscheck {

loss_record huber_loss_record() {
  loss_record record;
  record.name = "huber_loss";
  record.doc = "0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta) (d = input - target); input and target "
               "broadcast";
  record.inputs = {
      {"input", input_role::floating, true, broadcast_rule::main, batch_axis::leading_if_full_rank, grad_rule::always,
       "any shape"},
      {"target", input_role::floating, true, broadcast_rule::mutual, batch_axis::leading, grad_rule::always,
       "broadcastable with input"}};
  // F.huber_loss(input, target, reduction='mean', delta=1.0): no legacy size_average / reduce flags.
  // ATen: TORCH_CHECK(delta > 0, "huber_loss does not support non-positive values for delta.") (NaN fails it too)
  record.options = {
      {"reduction", option_kind::reduction, "'mean'",
       "'none' | 'mean' | 'sum' ('elementwise_mean' is the deprecated alias of 'mean')"},
      {"delta", option_kind::number, "1.0", "where the quadratic part ends (> 0)",
       {.min = 0.0, .min_open = true, .message = "does not support non-positive values for delta, got {}"}}};
  record.output = output_rule::elementwise;
  record.properties = standard_properties(/*nonnegative=*/true);
  std::erase(record.properties, generic_property::legacy_flags);  // functional.py has none
  return record;
}

huber_loss_problem resolve_huber_loss(const resolve_context& r) {
  const auto* input = r.inputs.floating("input");
  const auto* target = r.inputs.floating("target");
  const auto red = r.options.reduction_mode();
  const auto delta = r.options.number("delta", 1.0);
  auto shape = broadcast_or_throw(r.loss(), input->shape, "input", target->shape, "target");
  return huber_loss_problem{input, target, shape, delta, red};
}

}  // namespace losscheck
