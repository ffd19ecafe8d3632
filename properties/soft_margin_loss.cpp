// Properties of soft_margin_loss: the common ones, non-negativity, its identity with binary_cross_entropy_with_logits
// for ±1 labels, and its symmetry under negating both input and target.

#include <cmath>

#include "generator_support.h"
#include "loss_properties.h"
#include "support.h"

namespace losscheck::properties::detail {

namespace soft_margin_loss_property_helpers {
namespace {

/// The cases of soft_margin_loss (loss_properties::generate): labels ±1 mostly, sometimes any real target (torch
/// does not check the target's values); the target as the input's shape or broadcasting to it.
void generate(loss_case& c, const case_profile& p) {
  const dtype t = c.type;
  const shape_t s = pick_elementwise_shape(p);
  c.inputs["input"] = floats(t, s, [&] { return pick_real(t, p); });
  shape_t ts = pick_broadcast_of(s, p);
  if (p.invalid && chance(10)) ts.insert(ts.begin(), 2);  // a target that would enlarge the input: rejected
  const bool any_values = !p.smooth && chance(20);
  c.inputs["target"] = floats(t, ts, [&] {
    if (any_values && chance(50)) return pick_real(t, p);
    return chance(50) ? 1.0 : -1.0;
  });
  elementwise_invalid_shapes(c, p);
}

/// The ±1 labels of `c`'s target (a non-negative value becomes 1, anything else -1).
void to_labels(loss_case& c) {
  for (auto& v : c.inputs["target"].values) v = v >= 0 ? 1.0 : -1.0;
}

}  // namespace
}  // namespace soft_margin_loss_property_helpers

void add_soft_margin_loss(std::vector<property>& out) {
  using namespace ::losscheck::properties::detail::soft_margin_loss_property_helpers;
  const std::string loss = "soft_margin_loss";
  out.push_back(
      {loss, "soft_margin_loss_with_labels_equals_bce_with_logits_of_half_shifted_targets",
       "for y = ±1, soft_margin_loss(x, y) = binary_cross_entropy_with_logits(x, (y + 1)/2) under the same reduction "
       "(mean and sum of the same terms, scaled as torch scales them), and the input gradients agree",
       {loss}, [loss](const context& ctx) {
         case_profile p;
         p.nonfinite = false;  // bce's own forms at x = ±inf differ (NaN at x = -inf)
         loss_case c = pick(gen_case(loss, pick_dtype(ctx), p));
         to_labels(c);
         loss_case b = c;
         b.loss = "binary_cross_entropy_with_logits";
         const tensor& x = c.inputs.at("input");
         const tensor& y = c.inputs.at("target");
         tensor t = tensor::zeros(c.type, x.shape);
         broadcast_walker w(y.shape, x.shape);
         for (std::size_t i = 0; i < t.values.size(); ++i, w.next())
           t.values[i] = (y.values[static_cast<std::size_t>(w.offset())] + 1) / 2;  // 0 or 1, exact
         b.inputs["target"] = std::move(t);
         cover(c);
         const auto r = evaluate(ctx.subject, c);
         require_ok(c, r, ctx.subject);
         const auto rb = evaluate(ctx.subject, b);
         require_ok(b, rb, ctx.subject);
         loss_result expected = rb;
         expected.grads.erase("target");
         expected.unsupported_grads.clear();
         // Both results are the subject's, each within its own case's bound: the wider of the two tolerances.
         expect_agreement(c, expected, r, ctx.subject, "binary_cross_entropy_with_logits of (y + 1)/2", {&b},
                          check::widest(check::tolerance_for(c), check::tolerance_for(b)));
       }});
  out.push_back({loss, "soft_margin_loss_is_unchanged_by_negating_input_and_target",
                 "soft_margin_loss(-x, -y) = soft_margin_loss(x, y) (the same margin y x), with the input gradient "
                 "negated",
                 {loss}, [loss](const context& ctx) {
                   case_profile p;
                   p.nonfinite = pick(rc::gen::inRange(0, 100)) < 15;
                   const loss_case c = pick(gen_case(loss, pick_dtype(ctx), p));
                   loss_case s = c;
                   for (const char* name : {"input", "target"})
                     for (auto& v : s.inputs[name].values) v = -v;
                   cover(s);
                   const auto r = evaluate(ctx.subject, c);
                   require_ok(c, r, ctx.subject);
                   loss_result expected = r;
                   for (auto& [name, g] : expected.grads)
                     for (auto& v : g.values) v = -v;
                   expect_agreement(s, expected, evaluate(ctx.subject, s), ctx.subject, "the unnegated case", {&c});
                 }});
}

}  // namespace losscheck::properties::detail

namespace losscheck::properties {

loss_properties soft_margin_loss_properties() {
  using namespace ::losscheck::properties::detail::soft_margin_loss_property_helpers;
  // log(1 + e^z) ≥ 0 always
  return {.generate = generate, .add = detail::add_soft_margin_loss, .nonnegative = case_profile{}};
}

}  // namespace losscheck::properties
