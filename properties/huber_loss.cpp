// Properties of huber_loss: the common ones, non-negativity, huber_loss(delta) = delta · smooth_l1_loss(beta =
// delta), and both branches against the reference on either side of the kink |x − t| = delta and at it.

#include <cmath>
#include <limits>

#include "generator_support.h"
#include "losscheck/check.h"
#include "losscheck/dtype_traits.h"
#include "loss_properties.h"
#include "support.h"

namespace losscheck::properties::detail {

namespace huber_loss_property_helpers {
namespace {

/// A delta torch accepts: the default (absent), powers of two, a float32 number that is not (0.1f), a large and a
/// small one; ±0 or negative when p.invalid. Every value is a float32 number, so a float32 case's
/// delta means the same to ATen's forward (float(delta)) and its scalar backward (the double delta).
void pick_delta(loss_case& c, const case_profile& p) {
  const double tenth = static_cast<double>(0.1f);
  std::vector<std::pair<int, double>> deltas = {{3, 1.0}, {2, 0.5}, {2, 2.0}, {2, tenth}, {1, 1024.0},
                                                {1, 0.0009765625}};
  if (p.invalid) deltas.insert(deltas.end(), {{2, 0.0}, {1, -1.0}, {1, -0.0}});
  if (chance(20)) return;  // the default, 1.0
  c.options["delta"] = pick_weighted(deltas);
}

double delta_of(const loss_case& c) {
  const auto it = c.options.find("delta");
  return it == c.options.end() ? 1.0 : std::get<double>(it->second);
}

/// The cases of huber_loss (loss_properties::generate): elementwise shapes and values as mse_loss's, some exact ties
/// x = t and some differences within a few ULPs of ±delta. Under the smooth profile (finite differences) delta is a
/// power of two at least max(1, |x|) and every |x − t| lies in [0, 0.7] delta or [1.3, 3] delta: the steps (at most
/// 2^-6 of max(1, |v|) ≤ delta/16) never cross the kink.
void generate(loss_case& c, const case_profile& p) {
  const dtype t = c.type;
  const shape_t s = pick_elementwise_shape(p);
  const auto real = [&] { return pick_real(t, p); };
  tensor a = floats(t, s, real);
  if (p.smooth) {
    double m = 1;
    for (double v : a.values) m = std::max(m, std::fabs(v));
    const double delta = std::ldexp(1.0, std::ilogb(m) + 1 + pick(rc::gen::inRange(0, 2)));
    tensor b = a;
    for (auto& v : b.values) {
      const double r = chance(50) ? pick(rc::gen::inRange(0, 71)) / 100.0 : 1.3 + pick(rc::gen::inRange(0, 171)) / 100.0;
      v = round_to(chance(50) ? v + r * delta : v - r * delta, dtype::float32);
    }
    c.options["delta"] = delta;
    c.inputs["input"] = a;
    c.inputs["target"] = b;
    return;
  }
  pick_delta(c, p);
  const double delta = delta_of(c);
  const bool swap = chance(30);
  tensor b = floats(t, pick_broadcast_of(s, p), real);
  if (b.shape == a.shape && chance(30)) {  // ties, and differences at ±delta (rounded), per element
    for (std::size_t i = 0; i < b.values.size(); ++i) {
      const int k = pick(rc::gen::inRange(0, 4));
      if (k == 0) b.values[i] = a.values[i];
      if (k == 1 && std::isfinite(delta)) b.values[i] = round_to(a.values[i] - (chance(50) ? delta : -delta), t);
    }
  }
  c.inputs["input"] = swap ? b : a;
  c.inputs["target"] = swap ? a : b;
  elementwise_invalid_shapes(c, p);
}

}  // namespace
}  // namespace huber_loss_property_helpers

void add_huber_loss(std::vector<property>& out) {
  using namespace ::losscheck::properties::detail::huber_loss_property_helpers;
  const std::string loss = "huber_loss";
  out.push_back({loss, "huber_loss_equals_delta_times_smooth_l1_loss_with_beta_delta",
                 "huber_loss(x, t, delta) = delta · smooth_l1_loss(x, t, beta = delta), value and both gradients, "
                 "within the two tolerances plus one rounding of the product (docs/tolerances.md)",
                 {loss, "smooth_l1_loss"}, [loss](const context& ctx) {
                   case_profile p;
                   p.nonfinite = pick(rc::gen::inRange(0, 100)) < 15;
                   const loss_case c = pick(gen_case(loss, pick_dtype(ctx), p));
                   const double delta = delta_of(c);
                   RC_PRE(std::isfinite(delta));
                   loss_case s = c;
                   s.loss = "smooth_l1_loss";
                   s.options.erase("delta");
                   s.options["beta"] = delta;
                   cover(c);
                   const auto r = evaluate(ctx.subject, c);
                   require_ok(c, r, ctx.subject);
                   const auto rs = evaluate(ctx.subject, s);
                   require_ok(s, rs, ctx.subject);
                   discard_if_half_overflow(ctx.subject, s, rs);  // huber/δ beyond float16's range for a small δ
                   // the smooth_l1 result times δ: its tolerance scaled by δ, one more rounding (the product)
                   const loss_result expected = scale_result(rs, delta, c.type);
                   const auto tol = check::widest(check::tolerance_for(c),
                                                  scale_tolerance(check::tolerance_for(s), delta, 1));
                   expect_agreement(c, expected, r, ctx.subject, "delta · smooth_l1_loss(beta = delta)", {&s}, tol);
                 }});
  out.push_back({loss, "huber_loss_branches_agree_with_the_reference_around_the_kink",
                 "with |x − t| within a few ULPs of delta, below, at and above it (both signs), the value and both "
                 "gradients agree with the reference: the quadratic branch strictly below delta, the linear one from "
                 "delta on (torch's < and <=/>=)",
                 {loss}, [loss](const context& ctx) {
                   const dtype type = pick_dtype(ctx);
                   loss_case c;
                   c.loss = loss;
                   c.type = type;
                   c.options["reduction"] = std::string(pick(rc::gen::element("none", "sum", "mean")));
                   const double delta = pick(rc::gen::element(1.0, 0.5, 3.0, static_cast<double>(0.1f), 1024.0));
                   c.options["delta"] = delta;
                   const auto n = static_cast<std::size_t>(pick(rc::gen::inRange(1, 9)));
                   std::vector<double> x(n), t(n);
                   const double eps = dtype_traits(type).epsilon;
                   for (std::size_t i = 0; i < n; ++i) {
                     x[i] = round_to(static_cast<double>(pick(rc::gen::inRange(-64, 65))) / 8.0, type);
                     const double off = delta * (1 + eps * pick(rc::gen::inRange(-4, 5)));
                     t[i] = round_to(x[i] - (chance(50) ? off : -off), type);
                   }
                   c.inputs["input"] = tensor::floats(type, {static_cast<std::int64_t>(n)}, x);
                   c.inputs["target"] = tensor::floats(type, {static_cast<std::int64_t>(n)}, t);
                   cover(c);
                   const auto e = evaluate(ctx.reference, c);
                   RC_PRE(e.ok());
                   expect_agreement(c, e, evaluate(ctx.subject, c), ctx.subject, "reference");
                 }});
}

}  // namespace losscheck::properties::detail

namespace losscheck::properties {

loss_properties huber_loss_properties() {
  using namespace ::losscheck::properties::detail::huber_loss_property_helpers;
  // 0.5 d² ≥ 0 and delta (|d| − 0.5 delta) ≥ 0.5 delta² ≥ 0 (|d| ≥ delta > 0) always
  return {.generate = generate,
          .add = detail::add_huber_loss,
          .nonnegative = case_profile{}};
}

}  // namespace losscheck::properties
