// poisson_nll_loss: the record (what torch.nn.functional calls its arguments, their rules, what torch differentiates)
// and the resolution of a case into its problem. No arithmetic.

#include "losscheck/losses/poisson_nll_loss.h"

#include <fmt/format.h>

#include "../resolve_support.h"
#include "losscheck/error.h"

namespace losscheck {

loss_record poisson_nll_loss_record() {
  loss_record record;
  record.name = "poisson_nll_loss";
  record.doc = "exp(input) - target input (log_input), or input - target log(input + eps); full adds "
               "target log target - target + log(2 pi target) / 2 where target > 1";
  // at::poisson_nll_loss is a composite (Loss.cpp): autograd differentiates the target too
  record.inputs = {
      {"input", input_role::floating, true, broadcast_rule::main, batch_axis::leading_if_full_rank, grad_rule::always,
       "the Poisson rate, or its log with log_input"},
      {"target", input_role::floating, true, broadcast_rule::mutual, batch_axis::leading, grad_rule::always,
       "counts; broadcastable with input (any values are used as is)"}};
  record.options = with_reduction_options(
      {{"log_input", option_kind::boolean, "True", "the input is the log of the rate"},
       {"full", option_kind::boolean, "False", "add the Stirling term where target > 1"},
       {"eps", option_kind::number, "1e-8", "added to the input inside the log (log_input=False)"}},
      "'none' | 'mean' | 'sum' (functional.py compares the string itself: 'elementwise_mean' is not valid)");
  record.output = output_rule::elementwise;
  // exp(input), log(input + eps) and the Stirling term are formed on the input's / target's own shape, before the
  // product broadcasts them (docs/torch-quirks.md)
  record.terms_before_broadcast = true;
  // not nonnegative: exp(x) - t x is below 0 for x = log t, t > e
  record.properties = standard_properties(/*nonnegative=*/false);
  return record;
}

poisson_nll_loss_problem resolve_poisson_nll_loss(const resolve_context& r) {
  const auto* input = r.inputs.floating("input");
  const auto* target = r.inputs.floating("target");
  // functional.py: `if reduction != "none" and reduction != "mean" and reduction != "sum": raise ValueError(reduction
  // + " is not valid")` after the legacy flags, never _Reduction.get_enum: the deprecated alias is refused
  if (!r.options.legacy_flag_given())
    if (const auto* v = r.options.find("reduction"))
      if (const auto* s = std::get_if<std::string>(v); s && *s != "none" && *s != "mean" && *s != "sum")
        throw loss_error(fmt::format("{}: {} is not valid (functional.py accepts only 'none', 'mean' and 'sum' here)",
                                     r.loss(), *s));
  const auto red = r.options.reduction_mode();
  const bool log_input = r.options.boolean("log_input", true);
  const bool full = r.options.boolean("full", false);
  const double eps = r.options.number("eps", 1e-8);
  auto shape = broadcast_or_throw(r.loss(), input->shape, "input", target->shape, "target");
  return poisson_nll_loss_problem{input, target, shape, red, log_input, full, eps};
}

}  // namespace losscheck
