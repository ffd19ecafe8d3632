// Properties of binary_cross_entropy: the common ones, non-negativity, and BCE as a two-class nll_loss.

#include <cmath>

#include "generator_support.h"
#include "loss_properties.h"
#include "support.h"

namespace losscheck::properties::detail {

namespace binary_cross_entropy_property_helpers {
namespace {

/// The cases of binary_cross_entropy (loss_properties::generate).
void generate(loss_case& c, const case_profile& p) {
  const dtype t = c.type;
  const shape_t s = pick_elementwise_shape(p);
  c.inputs["input"] = floats(t, s, [&] { return pick_probability(t, p); });
  c.inputs["target"] = floats(t, s, [&] { return pick_unit_target(t, p); });
  if (p.weights && chance(40)) c.inputs["weight"] = floats(t, pick_broadcast_of(s, p), [&] { return pick_weight(t, p); });
  elementwise_invalid_shapes(c, p);
}

}  // namespace
}  // namespace binary_cross_entropy_property_helpers

void add_binary_cross_entropy(std::vector<property>& out) {
  using namespace ::losscheck::properties::detail::binary_cross_entropy_property_helpers;
  out.push_back({"binary_cross_entropy", "binary_cross_entropy_is_two_class_nll_loss",
                 "for 0/1 targets, binary_cross_entropy(p, y) = nll_loss([max(log(1−p),−100), max(log p,−100)], y) "
                 "(output; and the input gradient chained through the logs where p(1−p) > 1e-12)",
                 {"binary_cross_entropy", "nll_loss"}, [](const context& ctx) {
                   const dtype t = pick_dtype(ctx);
                   case_profile p;
                   p.extreme = pick(rc::gen::inRange(0, 100)) < 30;
                   const auto n = pick(rc::gen::inRange<std::int64_t>(0, 6));
                   loss_case b;
                   b.loss = "binary_cross_entropy";
                   b.type = t;
                   std::vector<double> x(static_cast<std::size_t>(n));
                   std::vector<std::int64_t> y(x.size());
                   for (auto& v : x) v = pick(gen_probability(t, p));
                   for (auto& v : y) v = pick(rc::gen::inRange<std::int64_t>(0, 2));
                   b.inputs["input"] = tensor::floats(t, {n}, x);
                   b.inputs["target"] = tensor::floats(t, {n}, std::vector<double>(y.begin(), y.end()));
                   b.options["reduction"] = pick(rc::gen::element<std::string>("none", "sum", "mean"));
                   pick_grad_output(b);
                   loss_case l = b;  // nll_loss on the clamped logs, rounded once to the dtype
                   l.loss = "nll_loss";
                   std::vector<long double> logs;
                   for (double v : x) {
                     logs.push_back(std::max(std::log1p(-static_cast<long double>(v)), -100.0L));
                     logs.push_back(std::max(std::log(static_cast<long double>(v)), -100.0L));
                   }
                   l.inputs["input"] = rounded(t, {n, 2}, logs);
                   l.inputs["target"] = tensor::int64s({n}, y);
                   cover(b);
                   const auto rb = evaluate(ctx.subject, b);
                   const auto rl = evaluate(ctx.subject, l);
                   require_ok(b, rb, ctx.subject);
                   require_ok(l, rl, ctx.subject);
                   // The log's rounding (u·|L|) is one of the 7 roundings BCE's own bound counts.
                   const auto tol = check::tolerance_for(b);
                   expect_close(b, "output", *rl.output, *rb.output, tol.output.scale, tol.output.bound_ulps,
                                ctx.subject, {&l});
                   // d/dp: g_l[.,1]/p − g_l[.,0]/(1−p) (long double), where the clamps are not active.
                   std::vector<long double> chained(x.size());
                   const tensor* gb = subject_grad(b, rb, "input", ctx.subject);
                   const tensor* gl_tensor = subject_grad(l, rl, "input", ctx.subject);
                   if (!gb || !gl_tensor) return;  // a gradient declared missing: the outputs alone
                   std::vector<double> scale = tol.grads.at("input").scale;
                   const auto& gl = gl_tensor->values;
                   for (std::size_t i = 0; i < x.size(); ++i) {
                     const long double pv = x[i];
                     if (pv * (1 - pv) <= 1e-10L) {  // clamped: compare nothing here (agreement covers it)
                       chained[i] = gb->values[i];
                       continue;
                     }
                     chained[i] = gl[2 * i + 1] / pv - gl[2 * i] / (1 - pv);
                   }
                   expect_close(b, "grads.input", rounded(t, {n}, chained), *gb, scale,
                                tol.grads.at("input").bound_ulps + 2, ctx.subject, {&l});
                 }});
}

}  // namespace losscheck::properties::detail

namespace losscheck::properties {

loss_properties binary_cross_entropy_properties() {
  using namespace ::losscheck::properties::detail::binary_cross_entropy_property_helpers;
  return {.generate = generate,
          .add = detail::add_binary_cross_entropy,
          .nonnegative = [] {
    case_profile p;  // targets in [0,1], weights ≥ 0: −w(y log x + (1−y) log(1−x)) ≥ 0
    p.unit_targets = true;
    p.nonnegative_weights = true;
    return p;
  }()};
}

}  // namespace losscheck::properties
