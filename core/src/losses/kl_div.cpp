// kl_div: the record (what torch.nn.functional calls its arguments, their rules, what torch differentiates) and the
// resolution of a case into its problem. No arithmetic.

#include "losscheck/losses/kl_div.h"

#include <fmt/format.h>

#include "../resolve_support.h"
#include "losscheck/error.h"

namespace losscheck {

loss_record kl_div_record() {
  loss_record record;
  record.name = "kl_div";
  record.doc = "target (log target - input), or exp(target) (target - input) with log_target";
  record.inputs = {
      {"input", input_role::floating, true, broadcast_rule::main, batch_axis::leading_if_full_rank, grad_rule::always,
       "log-probabilities"},
      {"target", input_role::floating, true, broadcast_rule::mutual, batch_axis::leading, grad_rule::always,
       "probabilities (or log-probabilities); broadcasts"}};
  record.options = with_reduction_options(
      {{"log_target", option_kind::boolean, "False", "target is given as log-probabilities"}},
      "'none' | 'mean' | 'sum' | 'batchmean' ('elementwise_mean' = 'mean')");
  record.output = output_rule::elementwise;
  record.allows_batchmean = true;
  record.terms_before_broadcast = true;
  // not nonnegative: the pointwise terms t (log t - x) can be negative
  record.properties = standard_properties(/*nonnegative=*/false);
  return record;
}

kl_div_problem resolve_kl_div(const resolve_context& r) {
  const auto* input = r.inputs.floating("input");
  const auto* target = r.inputs.floating("target");
  const auto red = r.options.reduction_mode();
  const auto log_target = r.options.boolean("log_target", false);
  auto shape = broadcast_or_throw(r.loss(), input->shape, "input", target->shape, "target");
  const std::int64_t batch = input->dim() == 0 ? 1 : input->shape[0];
  const auto* given = r.options.find("reduction");
  const bool legacy_batchmean = r.options.legacy_flag_given() && given &&
                                std::holds_alternative<std::string>(*given) &&
                                std::get<std::string>(*given) == "batchmean" && input->dim() != 0;
  return kl_div_problem{input, target, shape, red, log_target, batch, legacy_batchmean};
}

}  // namespace losscheck
