// Properties of binary_cross_entropy_with_logits: the common ones, non-negativity, and equality with
// binary_cross_entropy of the sigmoid where the sigmoid is not saturated.

#include <cmath>

#include "generator_support.h"
#include "loss_properties.h"
#include "support.h"

namespace losscheck::properties::detail {

namespace binary_cross_entropy_with_logits_property_helpers {
namespace {

/// The cases of binary_cross_entropy_with_logits (loss_properties::generate).
void generate(loss_case& c, const case_profile& p) {
  const dtype t = c.type;
  const shape_t s = pick_elementwise_shape(p);
  const auto weight = [&] { return pick_weight(t, p); };
  c.inputs["input"] = floats(t, s, [&] { return pick_real(t, p); });
  c.inputs["target"] = floats(t, s, [&] { return pick_unit_target(t, p); });
  if (p.weights && chance(35)) c.inputs["weight"] = floats(t, pick_broadcast_of(s, p), weight);
  if (p.weights && chance(35)) {
    shape_t pw = s.empty() ? shape_t{} : shape_t{chance(25) ? 1 : s.back()};
    c.inputs["pos_weight"] = floats(t, pw, weight);
  }
  elementwise_invalid_shapes(c, p);
}

}  // namespace
}  // namespace binary_cross_entropy_with_logits_property_helpers

void add_binary_cross_entropy_with_logits(std::vector<property>& out) {
  using namespace ::losscheck::properties::detail::binary_cross_entropy_with_logits_property_helpers;
  const std::string loss = "binary_cross_entropy_with_logits";
  out.push_back({loss, "binary_cross_entropy_with_logits_equals_binary_cross_entropy_of_the_sigmoid",
                 "bce_with_logits(x, y) = bce(σ(x), y) for |x| ≤ 16 (σ not saturated; bfloat16 5, float16 7), "
                 "reduction none",
                 {loss, "binary_cross_entropy"}, [loss](const context& ctx) {
                   const dtype t = pick_dtype(ctx);
                   case_profile p;
                   p.reduction = "none";
                   p.unit_targets = true;
                   p.broadcast = false;
                   loss_case c = pick(gen_case(loss, t, p));
                   c.inputs.erase("pos_weight");
                   // σ(x) = 1 − e^-x rounds to 1 once e^-x is below half the dtype's spacing under 1, 2^-p: |x| ≤
                   // 16 in float32 (p = 24) and float64, 5 in bfloat16 (p = 8), 7 in float16 (p = 11)
                   const double x_max = t == dtype::bfloat16 ? 5 : (t == dtype::float16 ? 7 : 16);
                   for (double v : c.inputs["input"].values) RC_PRE(std::isfinite(v) && std::fabs(v) <= x_max);
                   c.grad_output.reset();
                   loss_case b = c;
                   b.loss = "binary_cross_entropy";
                   std::vector<long double> sig;
                   for (double v : c.inputs["input"].values) sig.push_back(1 / (1 + std::exp(-static_cast<long double>(v))));
                   b.inputs["input"] = rounded(t, c.inputs["input"].shape, sig);
                   cover(c);
                   const auto rc_ = evaluate(ctx.subject, c);
                   const auto rb = evaluate(ctx.subject, b);
                   require_ok(c, rc_, ctx.subject);
                   require_ok(b, rb, ctx.subject);
                   // Rounding σ to the dtype (relative u in p) moves log p by u and log(1−p) by u·p/(1−p): that
                   // conditioning is added to the logits loss's own scale (one more rounding).
                   const auto tol = check::tolerance_for(c);
                   std::vector<double> scale = tol.output.scale;
                   const auto& y = c.inputs["target"].values;
                   const tensor* w = c.input("weight");
                   for (std::size_t i = 0; i < scale.size(); ++i) {
                     const double pv = b.inputs["input"].values[i];
                     const double wi = w ? std::fabs(w->values[w->values.size() == 1 ? 0 : i]) : 1.0;
                     scale[i] += wi * (std::fabs(y[i]) + std::fabs(1 - y[i]) * pv / std::max(1 - pv, 1e-300)) +
                                 wi * (std::fabs(y[i]) * std::fabs(std::log(pv)) + std::fabs(1 - y[i]) * std::fabs(std::log1p(-pv)));
                   }
                   expect_close(c, "output", *rb.output, *rc_.output, scale, tol.output.bound_ulps + 1, ctx.subject, {&b});
                 }});
}

}  // namespace losscheck::properties::detail

namespace losscheck::properties {

loss_properties binary_cross_entropy_with_logits_properties() {
  using namespace ::losscheck::properties::detail::binary_cross_entropy_with_logits_property_helpers;
  return {.generate = generate,
          .add = detail::add_binary_cross_entropy_with_logits,
          .nonnegative = [] {
    case_profile p;  // targets in [0,1], weight and pos_weight ≥ 0
    p.unit_targets = true;
    p.nonnegative_weights = true;
    return p;
  }()};
}

}  // namespace losscheck::properties
