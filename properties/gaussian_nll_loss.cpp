// Properties of gaussian_nll_loss: the common ones and its own -- var below eps is clamped (output and every gradient
// are those at var = eps, var's gradient included: the clamp passes it as the identity), the homoscedastic var of
// the input's shape without its last dimension is the same as that var with a last dimension of 1, and full adds
// log(2 pi) / 2 to every element.

#include <algorithm>
#include <cmath>

#include "generator_support.h"
#include "loss_properties.h"
#include "support.h"

namespace losscheck::properties::detail {

namespace gaussian_nll_loss_property_helpers {
namespace {

/// The case's eps option (1e-6 when absent), as the case dtype holds it.
double eps_of(const loss_case& c) {
  const auto it = c.options.find("eps");
  const double eps = it == c.options.end() || !std::holds_alternative<double>(it->second)
                         ? 1e-6
                         : std::get<double>(it->second);
  return round_to(eps, c.type);
}

/// A variance: positive values of every magnitude, 0, values at and around eps (the clamp), below it; NaN and inf
/// in the nonfinite profile, negative ones (rejected) in the invalid profile; in the smooth profile away from eps.
double pick_var(dtype t, const case_profile& p, double eps) {
  if (p.smooth) return round_to(0.25 + std::fabs(pick_real(t, p)), dtype::float32);
  const int kind = pick(rc::gen::inRange(0, 100));
  if (p.invalid && kind < 12) return -std::fabs(pick_real(t, p)) - 0.5;
  if (kind < 20) return round_to(eps * pick_weighted<double>({{2, 0.25}, {2, 0.5}, {2, 1.0}, {2, 2.0}, {1, 3.0}}), t);
  if (kind < 26) return 0.0;
  return std::fabs(pick_real(t, p));
}

/// The var shapes functional.py accepts for an input of shape `s`: the same, `s` without its last dimension, or
/// that with a last dimension of 1 (for a 0-D input: () or (1)); with p.invalid sometimes one it refuses.
shape_t pick_var_shape(const shape_t& s, const case_profile& p) {
  shape_t leading(s.begin(), s.end() - (s.empty() ? 0 : 1));
  const int kind = pick(rc::gen::inRange(0, 100));
  if (p.invalid && kind < 10) {
    shape_t bad = s;
    bad.push_back(2);  // one more dimension, not of size 1
    return bad;
  }
  if (kind < 50) return s;
  if (kind < 75) return leading;
  leading.push_back(1);
  return leading;
}

/// The cases of gaussian_nll_loss (loss_properties::generate). 'elementwise_mean' is not a reduction of this loss
/// (functional.py compares the string itself): the generic pick is mapped to 'mean' unless invalid values are wanted.
void generate(loss_case& c, const case_profile& p) {
  const dtype t = c.type;
  if (auto it = c.options.find("reduction"); it != c.options.end() && !p.invalid)
    if (const auto* s = std::get_if<std::string>(&it->second); s && *s == "elementwise_mean") it->second = std::string("mean");
  if (chance(40)) c.options["full"] = pick(rc::gen::arbitrary<bool>());
  if (!p.smooth && chance(20)) c.options["eps"] = pick_weighted<double>({{3, 1e-3}, {2, 0.5}, {1, 1e-12}, {1, 0.0}});
  const double eps = eps_of(c);
  shape_t s = pick_elementwise_shape(p);
  shape_t b = pick_broadcast_of(s, p);
  if (chance(25)) std::swap(s, b);  // the target may enlarge the input's shape
  c.inputs["input"] = floats(t, s, [&] { return pick_real(t, p); });
  c.inputs["target"] = floats(t, b, [&] { return pick_real(t, p); });
  c.inputs["var"] = floats(t, pick_var_shape(s, p), [&] { return pick_var(t, p, eps); });
  elementwise_invalid_shapes(c, p);
}

/// Own terms formed before broadcasting: log(max(var, eps)) on var's shape (loss_properties::own_terms_finite);
/// input and target meet only in (input - target)^2, formed on the broadcast shape.
bool own_terms_finite(const loss_case& c, const std::string& name, double v) {
  if (name != "var") return true;
  return std::isfinite(v) && std::max(v, eps_of(c)) != 0;
}

/// The smooth profile keeps var away from the clamp at eps, where the forward is flat but torch's gradient is not.
void away_from_kinks(const loss_case& c) {
  const double eps = eps_of(c);
  for (double v : c.inputs.at("var").values) RC_PRE(v > 2 * eps);
}

}  // namespace
}  // namespace gaussian_nll_loss_property_helpers

void add_gaussian_nll_loss(std::vector<property>& out) {
  using namespace ::losscheck::properties::detail::gaussian_nll_loss_property_helpers;
  out.push_back({"gaussian_nll_loss", "gaussian_nll_loss_var_below_eps_acts_as_eps_gradient_included",
                 "var < eps gives exactly what var = eps gives: the output and every gradient, var's too (the clamp "
                 "under no_grad passes var's gradient as the identity, not 0)",
                 {"gaussian_nll_loss"}, [](const context& ctx) {
                   case_profile p;
                   loss_case c = pick(gen_case("gaussian_nll_loss", pick_dtype(ctx), p));
                   // a half row: eps a value of the dtype, so that var = eps can be written
                   if (is_half(c.type)) c.options["eps"] = round_to(eps_of(c), c.type);
                   const double eps = eps_of(c);
                   RC_PRE(eps > 0);
                   loss_case at_eps = c;
                   bool clamped = false;
                   for (auto& v : at_eps.inputs["var"].values)
                     if (v < eps) v = eps, clamped = true;
                   RC_PRE(clamped);
                   cover(c);
                   const auto r = evaluate(ctx.subject, c);
                   require_ok(c, r, ctx.subject);
                   expect_agreement(c, evaluate(ctx.subject, at_eps), r, ctx.subject, "the case with var = eps",
                                    {&at_eps});
                 }});
  out.push_back({"gaussian_nll_loss", "gaussian_nll_loss_homoscedastic_var_without_last_dimension_equals_trailing_1",
                 "var of the input's shape without its last dimension gives what the same var with a last "
                 "dimension of 1 gives (functional.py unsqueezes it), gradients included",
                 {"gaussian_nll_loss"}, [](const context& ctx) {
                   case_profile p;
                   loss_case c = pick(gen_case("gaussian_nll_loss", pick_dtype(ctx), p));
                   const tensor& in = c.inputs.at("input");
                   tensor& var = c.inputs["var"];
                   RC_PRE(in.dim() >= 1);
                   const shape_t leading(in.shape.begin(), in.shape.end() - 1);
                   shape_t trailing = leading;
                   trailing.push_back(1);
                   RC_PRE(var.shape == leading || var.shape == trailing);
                   loss_case other = c;
                   other.inputs["var"].shape = var.shape == leading ? trailing : leading;
                   cover(c);
                   const auto r = evaluate(ctx.subject, c);
                   require_ok(c, r, ctx.subject);
                   loss_result expected = evaluate(ctx.subject, other);
                   require_ok(other, expected, ctx.subject);
                   if (auto it = expected.grads.find("var"); it != expected.grads.end()) it->second.shape = var.shape;
                   expect_agreement(c, expected, r, ctx.subject, "the case with the other homoscedastic var shape",
                                    {&other});
                 }});
  out.push_back({"gaussian_nll_loss", "gaussian_nll_loss_full_adds_half_log_2pi_to_every_element",
                 "full=True minus full=False (none) is log(2 pi) / 2 at every element, within both bounds",
                 {"gaussian_nll_loss"}, [](const context& ctx) {
                   case_profile p;
                   p.reduction = "none";
                   p.grad_output = false;
                   loss_case plain = pick(gen_case("gaussian_nll_loss", pick_dtype(ctx), p));
                   plain.options["full"] = false;
                   loss_case full = plain;
                   full.options["full"] = true;
                   cover(full);
                   const auto rp = evaluate(ctx.subject, plain);
                   require_ok(plain, rp, ctx.subject);
                   const auto rf = evaluate(ctx.subject, full);
                   require_ok(full, rf, ctx.subject);
                   const auto tp = check::tolerance_for(plain), tf = check::tolerance_for(full);
                   const long double c = std::log(2 * 3.14159265358979323846264338327950288L) / 2;
                   std::vector<long double> expected;
                   std::vector<double> scale;
                   for (std::size_t i = 0; i < rp.output->values.size(); ++i) {
                     expected.push_back(rp.output->values[i] + c);
                     scale.push_back(std::min(tp.output.scale[i] + tf.output.scale[i] + 1.0, 1.7976931348623157e308));
                   }
                   expect_close(full, "output", rounded(full.type, rp.output->shape, expected), *rf.output, scale,
                                std::max(tp.output.bound_ulps, tf.output.bound_ulps) + 2, ctx.subject, {&plain});
                 }});
}

}  // namespace losscheck::properties::detail

namespace losscheck::properties {

loss_properties gaussian_nll_loss_properties() {
  using namespace ::losscheck::properties::detail::gaussian_nll_loss_property_helpers;
  return {.generate = generate,
          .add = detail::add_gaussian_nll_loss,
          .nonnegative = std::nullopt,
          .own_terms_finite = own_terms_finite,
          .away_from_kinks = away_from_kinks};
}

}  // namespace losscheck::properties
