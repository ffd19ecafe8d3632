// ctc_loss: the record (what torch.nn.functional calls its arguments, their rules, what torch differentiates) and the
// resolution of a case into its problem (the shape rules of LossCTC.cpp's ctc_loss and ctc_loss_cpu_template). No
// arithmetic; the values of lengths and targets are checked by each implementation.

#include "losscheck/losses/ctc_loss.h"

#include <fmt/format.h>

#include "../resolve_support.h"
#include "losscheck/error.h"

namespace losscheck {

loss_record ctc_loss_record() {
  loss_record record;
  record.name = "ctc_loss";
  record.doc = "-log Σ over the alignments of targets (blanks interleaved, repeats separated by a blank) of "
               "Π_t exp(log_probs[t, label]); mean divides each by max(target_length, 1), then averages";
  record.inputs = {
      {"log_probs", input_role::floating, true, broadcast_rule::main, batch_axis::none, grad_rule::always,
       "(T, N, C) or (T, C) log-probabilities (any values are used as is)"},
      {"targets", input_role::label_sequences, true, broadcast_rule::row_label, batch_axis::none, grad_rule::never,
       "int64 labels in [0, C) other than blank: padded (N, S) or concatenated (sum(target_lengths))"},
      {"input_lengths", input_role::lengths, true, broadcast_rule::row_label, batch_axis::none, grad_rule::never,
       "int64 (N) (or () unbatched): 1 <= input_lengths <= T"},
      {"target_lengths", input_role::lengths, true, broadcast_rule::row_label, batch_axis::none, grad_rule::never,
       "int64 (N) (or () unbatched): 0 <= target_lengths (<= S when padded)"}};
  // functional.py passes _Reduction.get_enum(reduction): 'elementwise_mean' is the deprecated alias; no legacy flags
  record.options = {
      {"reduction", option_kind::reduction, "'mean'",
       "'none' | 'mean' | 'sum' ('elementwise_mean' is the deprecated alias of 'mean'); mean divides each loss by "
       "max(target_length, 1) before the batch mean"},
      {"blank", option_kind::integer, "0", "the blank label, in [0, C)"},
      {"zero_infinity", option_kind::boolean, "False", "infinite losses (impossible alignments) and their gradients "
                                                       "become 0"}};
  record.main_input = "log_probs";
  record.output = output_rule::per_position;
  record.row_name = "the number of classes";
  // Not standard_properties: mean is not Σ none / N (each loss is divided by its target length), there are no
  // legacy flags, the batch is dimension 1 of log_probs, and torch's gradient is not the derivative of the forward
  // (exp(log_probs) is added: docs/torch-quirks.md). properties/ctc_loss.cpp states those identities itself.
  using g = generic_property;
  record.properties = {g::agrees_with_the_reference, g::accurate_at_the_extremes, g::nan_inputs_propagate,
                       g::sum_is_sum_of_none, g::backward_linear_in_grad_output, g::float32_within_float64,
                       g::rejection_parity};
  return record;
}

namespace {
void require_int64(std::string_view loss, const tensor& t, std::string_view name) {
  if (t.type != dtype::int64)
    throw loss_error(fmt::format("{}: {} must be an int64 tensor, got {}", loss, name, to_string(t.type)));
}
}  // namespace

ctc_loss_problem resolve_ctc_loss(const resolve_context& r) {
  const auto loss = r.loss();
  const auto* log_probs = r.inputs.floating("log_probs");
  const auto* targets = r.inputs.any("targets");
  const auto* input_lengths = r.inputs.any("input_lengths");
  const auto* target_lengths = r.inputs.any("target_lengths");
  ctc_loss_problem p;
  p.log_probs = log_probs;
  p.targets = targets;
  p.input_lengths = input_lengths;
  p.target_lengths = target_lengths;
  p.red = r.options.reduction_mode();
  p.blank = r.options.integer("blank", 0);
  p.zero_infinity = r.options.boolean("zero_infinity", false);
  require_int64(loss, *targets, "targets");
  require_int64(loss, *input_lengths, "input_lengths");
  require_int64(loss, *target_lengths, "target_lengths");
  // at::ctc_loss unsqueezes a 2-D log_probs at dimension 1; ctc_loss_cpu then checks for 3 dimensions
  if (log_probs->dim() != 2 && log_probs->dim() != 3)
    throw loss_error(fmt::format("{}: log_probs must be (T, N, C) or unbatched (T, C), got shape {}", loss,
                                 format_shape(log_probs->shape)));
  p.unbatched = log_probs->dim() == 2;
  p.T = log_probs->shape[0];
  p.N = p.unbatched ? 1 : log_probs->shape[1];
  p.C = log_probs->shape.back();
  // LossCTC.cpp fills log_alpha's row t = 0 (narrow(1, 0, 1)), which fails for T = 0
  if (p.T == 0)
    throw loss_error(fmt::format("{}: log_probs must have at least one time step (T >= 1), got shape {}", loss,
                                 format_shape(log_probs->shape)));
  if (p.blank < 0 || p.blank >= p.C)
    throw loss_error(fmt::format("{}: blank must be in label range [0, C) = [0, {}), got {}", loss, p.C, p.blank));
  if (input_lengths->numel() != p.N)
    throw loss_error(fmt::format("{}: input_lengths must be of size batch_size ({}), got shape {}", loss, p.N,
                                 format_shape(input_lengths->shape)));
  if (target_lengths->numel() != p.N)
    throw loss_error(fmt::format("{}: target_lengths must be of size batch_size ({}), got shape {}", loss, p.N,
                                 format_shape(target_lengths->shape)));
  if (targets->dim() != 1 && targets->dim() != 2)
    throw loss_error(fmt::format("{}: targets must be padded (N, S) or concatenated 1-D, got shape {}", loss,
                                 format_shape(targets->shape)));
  p.concatenated = targets->dim() == 1;
  if (!p.concatenated) {
    if (targets->shape[0] != p.N)
      throw loss_error(fmt::format("{}: padded targets must have N = {} rows, got shape {}", loss, p.N,
                                   format_shape(targets->shape)));
    p.S = targets->shape[1];
  }
  return p;
}

}  // namespace losscheck
