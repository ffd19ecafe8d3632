// Properties of mse_loss: the common ones, non-negativity and symmetry in (input, target).

#include "support.h"

namespace losscheck::properties::detail {

/// The properties every loss has, in the suite's order; `nonneg` is the profile under which the loss is ≥ 0.
void add_common(std::vector<property>& out, const std::string& loss, const case_profile* nonneg) {
  out.push_back(agrees_with_the_reference(loss));
  out.push_back(is_finite_and_accurate_at_the_extremes(loss));
  out.push_back(nan_inputs_propagate_like_torch(loss));
  out.push_back(sum_reduction_is_sum_of_none(loss));
  out.push_back(mean_reduction_is_mean_of_none(loss));
  out.push_back(legacy_flags_equal_their_mapped_reduction(loss));
  out.push_back(backward_is_linear_in_grad_output(loss));
  out.push_back(gradients_match_finite_differences_of_the_forward(loss));
  out.push_back(reduced_loss_is_unchanged_by_permuting_the_batch(loss));
  out.push_back(unbatched_input_equals_a_batch_of_one(loss));
  if (nonneg) out.push_back(loss_is_nonnegative(loss, *nonneg));
  out.push_back(float32_result_lies_within_the_float32_bound_of_float64(loss));
  out.push_back(rejects_exactly_what_the_reference_rejects(loss));
}

void add_mse_loss(std::vector<property>& out) {
  const case_profile nonneg;  // (x − t)² ≥ 0 always
  add_common(out, "mse_loss", &nonneg);
  out.push_back({"mse_loss", "mse_loss_is_symmetric",
                 "mse_loss(x, t) = mse_loss(t, x), with the two gradients swapped", {"mse_loss"},
                 [](const context& ctx) {
                   case_profile p;
                   p.nonfinite = pick(rc::gen::inRange(0, 100)) < 15;
                   const loss_case c = pick(gen_case("mse_loss", pick_dtype(ctx), p));
                   loss_case s = c;
                   std::swap(s.inputs["input"], s.inputs["target"]);
                   cover(s);
                   const auto r = evaluate(ctx.subject, c);
                   require_ok(c, r, ctx.subject);
                   loss_result expected = r, swapped = evaluate(ctx.subject, s);
                   if (r.grads.count("input") && r.grads.count("target")) {
                     std::swap(expected.grads["input"], expected.grads["target"]);
                   } else {  // a program that lists a gradient in unsupported_grads: the outputs alone
                     expected.grads.clear(), expected.unsupported_grads.clear();
                     swapped.grads.clear(), swapped.unsupported_grads.clear();
                   }
                   expect_agreement(s, expected, swapped, ctx.subject, "the swapped case", {&c});
                 }});
}

}  // namespace losscheck::properties::detail
