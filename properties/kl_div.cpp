// Properties of kl_div: the common ones (its mean/batchmean property checks both divisors) and the log_target
// identity. The entropy identity with cross_entropy is in cross_entropy.cpp (it uses kl_div too).

#include <algorithm>
#include <cmath>

#include "losscheck/dtype_traits.h"
#include "generator_support.h"
#include "loss_properties.h"
#include "support.h"

namespace losscheck::properties::detail {

namespace kl_div_property_helpers {
namespace {

/// The cases of kl_div (loss_properties::generate).
void generate(loss_case& c, const case_profile& p) {
  const dtype t = c.type;
  shape_t s = pick_elementwise_shape(p);
  const bool log_target = chance(35);
  if (log_target) c.options["log_target"] = true;
  else if (chance(10)) c.options["log_target"] = false;
  const auto kl_target = [&]() -> double {
    if (log_target) return pick_real(t, p);
    if (p.smooth) return pick_probability(t, p);
    if (!p.unit_targets && !p.smooth && chance(6)) return -0.5;
    if (chance(20)) return std::fabs(pick_real(t, p));
    return pick_probability(t, p);
  };
  const bool swap = chance(25);
  shape_t b = pick_broadcast_of(s, p);
  if (swap) std::swap(s, b);
  c.inputs["input"] = floats(t, s, [&] { return pick_real(t, p); });
  c.inputs["target"] = floats(t, b, kl_target);
  elementwise_invalid_shapes(c, p);
}

/// kl_div's terms of its own: a target 0 (t / t = 0 / 0 in xlogy's backward) or, with log_target, e^t beyond the
/// dtype's range is not finite although t is (loss_properties::own_terms_finite).
bool own_terms_finite(const loss_case& c, const std::string& name, double v) {
  if (!std::isfinite(v)) return false;
  if (name != "target") return true;
  const auto lt = c.options.find("log_target");
  const bool log_target = lt != c.options.end() && std::holds_alternative<bool>(lt->second) && std::get<bool>(lt->second);
  const double exp_limit = dtype_traits(c.type).log_max_finite;
  return log_target ? !(v > exp_limit) : v != 0;
}

}  // namespace
}  // namespace kl_div_property_helpers

void add_kl_div(std::vector<property>& out) {
  using namespace ::losscheck::properties::detail::kl_div_property_helpers;
  out.push_back({"kl_div", "kl_div_with_log_target_equals_kl_div_of_the_exponential",
                 "kl_div(x, log p, log_target=True) = kl_div(x, p) with p = exp(log p) rounded once; the target "
                 "gradients differ by the chain factor p", {"kl_div"}, [](const context& ctx) {
                   case_profile p;
                   p.grad_output = false;
                   p.broadcast = false;
                   loss_case l = pick(gen_case("kl_div", pick_dtype(ctx), p));
                   l.options["log_target"] = true;
                   // e^t stays finite in the dtype: |t| < 40 (float16: < 10.5, its exp overflows beyond 11.09)
                   const double t_max = l.type == dtype::float16 ? 10.5 : 40.0;
                   for (auto& v : l.inputs["target"].values) {
                     RC_PRE(std::isfinite(v));
                     v = round_to(std::fmod(v, t_max), l.type);
                   }
                   for (double v : l.inputs["input"].values) RC_PRE(std::isfinite(v) && std::fabs(v) < 1e30);
                   pick_grad_output(l);
                   loss_case e = l;
                   e.options["log_target"] = false;
                   std::vector<long double> pv;
                   for (double v : l.inputs["target"].values) pv.push_back(std::exp(static_cast<long double>(v)));
                   e.inputs["target"] = rounded(l.type, l.inputs["target"].shape, pv);
                   cover(l);
                   const auto re = evaluate(ctx.subject, e);
                   require_ok(e, re, ctx.subject);
                   const auto rl = evaluate(ctx.subject, l);
                   require_ok(l, rl, ctx.subject);
                   discard_if_half_overflow(ctx.subject, e, re);
                   discard_if_half_overflow(ctx.subject, l, rl);
                   // Both sides within their own bounds of the exact value: the sum of the two scales, the larger k.
                   // The p side's scale holds |p|·1 for log p (the rounding of p = e^t moves log p by u: near p = 1
                   // that is many ULPs of log p itself).
                   const auto te = check::tolerance_for(e), tl = check::tolerance_for(l);
                   auto sum = [](std::vector<double> a, const std::vector<double>& b) {
                     for (std::size_t i = 0; i < a.size(); ++i) a[i] += b[i];
                     return a;
                   };
                   expect_close(l, "output", *re.output, *rl.output, sum(te.output.scale, tl.output.scale),
                                std::max(te.output.bound_ulps, tl.output.bound_ulps) + 1, ctx.subject, {&e});
                   const auto& gi = te.grads.at("input");
                   const tensor *gie = subject_grad(e, re, "input", ctx.subject), *gil = subject_grad(l, rl, "input", ctx.subject);
                   if (gie && gil)
                     expect_close(l, "grads.input", *gie, *gil, sum(gi.scale, tl.grads.at("input").scale),
                                  std::max(gi.bound_ulps, tl.grads.at("input").bound_ulps) + 1, ctx.subject, {&e});
                   // dL/dt of the log target = p · dL/dp
                   const tensor *gte = subject_grad(e, re, "target", ctx.subject), *gtl_got = subject_grad(l, rl, "target", ctx.subject);
                   if (!gte || !gtl_got) return;  // declared missing: skipped
                   std::vector<long double> gt;
                   const auto& g = gte->values;
                   for (std::size_t i = 0; i < g.size(); ++i) gt.push_back(static_cast<long double>(g[i]) * e.inputs["target"].values[i]);
                   const auto& gtl = tl.grads.at("target");
                   std::vector<double> st = te.grads.at("target").scale;
                   for (std::size_t i = 0; i < st.size(); ++i) st[i] = st[i] * e.inputs["target"].values[i] + gtl.scale[i];
                   expect_close(l, "grads.target", rounded(l.type, l.inputs["target"].shape, gt), *gtl_got, st,
                                std::max(te.grads.at("target").bound_ulps, gtl.bound_ulps) + 2, ctx.subject, {&e});
                 }});
}

}  // namespace losscheck::properties::detail

namespace losscheck::properties {

loss_properties kl_div_properties() {
  using namespace ::losscheck::properties::detail::kl_div_property_helpers;
  return {.generate = generate,
          .add = detail::add_kl_div,
          .nonnegative = std::nullopt,
          .own_terms_finite = own_terms_finite};
}

}  // namespace losscheck::properties
