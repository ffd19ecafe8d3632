// Properties of poisson_nll_loss: the common ones and its own -- the Stirling term of `full` is added exactly where
// the target exceeds 1 (torch masks it to 0 elsewhere), and eps enters only through log(input + eps).

#include <algorithm>
#include <cmath>

#include "generator_support.h"
#include "loss_properties.h"
#include "losscheck/dtype_traits.h"
#include "support.h"

namespace losscheck::properties::detail {

namespace poisson_nll_loss_property_helpers {
namespace {

/// Whether the case's option `name` is true (`fallback` when absent).
bool flag(const loss_case& c, const char* name, bool fallback) {
  const auto it = c.options.find(name);
  return it == c.options.end() || !std::holds_alternative<bool>(it->second) ? fallback : std::get<bool>(it->second);
}

/// A count-like target: small integers (0, 1 and 2 sit at the Stirling mask t <= 1), non-integers, values of every
/// magnitude and sign; in the smooth profile values away from the mask's jump at 1 and from 0.
double pick_target(dtype t, const case_profile& p) {
  if (p.smooth) {
    const double v = std::fabs(pick_real(t, p));
    return round_to(chance(30) ? 0.125 + std::fmod(v, 0.75) : 1.5 + v, dtype::float32);
  }
  const int kind = pick(rc::gen::inRange(0, 100));
  if (kind < 40) return static_cast<double>(pick(rc::gen::inRange(0, 11)));
  if (kind < 55 || p.unit_targets) return std::fabs(pick_real(t, p));
  return pick_real(t, p);
}

/// An input: the log of a rate (log_input) or a rate (mostly >= 0: a negative x + eps makes the log NaN); in the
/// smooth profile a rate away from 0, where d/dx = 1 - t / (x + eps) is steep.
double pick_input(dtype t, const case_profile& p, bool log_input) {
  if (log_input) return pick_real(t, p);
  if (p.smooth) return round_to(0.25 + std::fabs(pick_real(t, p)), dtype::float32);
  return chance(85) ? std::fabs(pick_real(t, p)) : pick_real(t, p);
}

/// The cases of poisson_nll_loss (loss_properties::generate). 'elementwise_mean' is not a reduction of this loss
/// (functional.py compares the string itself): the generic pick is mapped to 'mean' unless invalid values are wanted.
void generate(loss_case& c, const case_profile& p) {
  const dtype t = c.type;
  if (auto it = c.options.find("reduction"); it != c.options.end() && !p.invalid)
    if (const auto* s = std::get_if<std::string>(&it->second); s && *s == "elementwise_mean") it->second = std::string("mean");
  const int li = pick(rc::gen::inRange(0, 10));
  if (li < 4) c.options["log_input"] = false;
  else if (li < 5) c.options["log_input"] = true;
  const bool log_input = li >= 4;
  if (chance(45)) c.options["full"] = true;
  else if (chance(10)) c.options["full"] = false;
  if (!p.smooth && chance(15)) c.options["eps"] = pick_weighted<double>({{3, 1e-6}, {2, 0.5}, {1, 0.0}, {1, 1e-30}});
  shape_t s = pick_elementwise_shape(p);
  shape_t b = pick_broadcast_of(s, p);
  if (chance(25)) std::swap(s, b);
  c.inputs["input"] = floats(t, s, [&] { return pick_input(t, p, log_input); });
  c.inputs["target"] = floats(t, b, [&] { return pick_target(t, p); });
  elementwise_invalid_shapes(c, p);
}

/// Own terms formed before broadcasting (ATen's composite): exp(x) (log_input) or log(x + eps) on the input's shape,
/// the Stirling term on the target's (loss_properties::own_terms_finite).
bool own_terms_finite(const loss_case& c, const std::string& name, double v) {
  if (!std::isfinite(v)) return false;
  if (name == "input" && flag(c, "log_input", true)) return v < dtype_traits(c.type).log_max_finite;
  if (name == "input") {
    const auto it = c.options.find("eps");
    const double eps = it == c.options.end() ? 1e-8
                       : std::holds_alternative<double>(it->second) ? std::get<double>(it->second)
                                                                    : 1e-8;
    return round_to(v + round_to(eps, c.type), c.type) != 0;
  }
  return true;
}

/// The smooth profile keeps the target away from the Stirling mask's jump at t = 1 and from t <= 0 (NaN gradient).
void away_from_kinks(const loss_case& c) {
  if (!flag(c, "full", false)) return;
  for (double v : c.inputs.at("target").values) RC_PRE(v > 0 && std::fabs(v - 1) > 0.1);
}

/// The Stirling term t log t - t + log(2 pi t) / 2, in long double.
long double stirling(long double t) {
  return t * std::log(t) - t + std::log(2 * 3.14159265358979323846264338327950288L * t) / 2;
}

}  // namespace
}  // namespace poisson_nll_loss_property_helpers

void add_poisson_nll_loss(std::vector<property>& out) {
  using namespace ::losscheck::properties::detail::poisson_nll_loss_property_helpers;
  out.push_back({"poisson_nll_loss", "poisson_nll_loss_full_adds_the_stirling_term_only_where_target_exceeds_1",
                 "full=True minus full=False (none) is exactly 0 where t <= 1 (torch masks the term) and the Stirling "
                 "term t log t - t + log(2 pi t) / 2 where t > 1, within both bounds",
                 {"poisson_nll_loss"}, [](const context& ctx) {
                   case_profile p;
                   p.reduction = "none";
                   p.grad_output = false;
                   loss_case plain = pick(gen_case("poisson_nll_loss", pick_dtype(ctx), p));
                   plain.options["full"] = false;
                   loss_case full = plain;
                   full.options["full"] = true;
                   cover(full);
                   const auto rp = evaluate(ctx.subject, plain);
                   require_ok(plain, rp, ctx.subject);
                   const auto rf = evaluate(ctx.subject, full);
                   require_ok(full, rf, ctx.subject);
                   discard_if_half_overflow(ctx.subject, plain, rp);
                   discard_if_half_overflow(ctx.subject, full, rf);
                   const auto tp = check::tolerance_for(plain), tf = check::tolerance_for(full);
                   const shape_t shape = output_shape_of(full);
                   const auto& target = full.inputs.at("target");
                   std::vector<long double> expected;
                   std::vector<double> scale;
                   broadcast_walker w(target.shape, shape);
                   for (std::size_t i = 0; i < rp.output->values.size(); ++i, w.next()) {
                     const long double t = target.values[static_cast<std::size_t>(w.offset())];
                     const long double base = rp.output->values[i];
                     // t <= 1 (or NaN): the masked term adds +0, so the value is the plain one (exactly)
                     expected.push_back(t > 1 ? base + stirling(t) : base);
                     scale.push_back(t > 1 ? std::min(tp.output.scale[i] + tf.output.scale[i], 1.7976931348623157e308) : 0.0);
                   }
                   const tensor want = rounded(full.type, shape, expected);
                   expect_close(full, "output", want, *rf.output, scale,
                                std::max(tp.output.bound_ulps, tf.output.bound_ulps) + 1, ctx.subject, {&plain});
                 }});
}

}  // namespace losscheck::properties::detail

namespace losscheck::properties {

loss_properties poisson_nll_loss_properties() {
  using namespace ::losscheck::properties::detail::poisson_nll_loss_property_helpers;
  return {.generate = generate,
          .add = detail::add_poisson_nll_loss,
          .nonnegative = std::nullopt,
          .own_terms_finite = own_terms_finite,
          .away_from_kinks = away_from_kinks};
}

}  // namespace losscheck::properties
