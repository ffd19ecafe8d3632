// Properties of hinge_embedding_loss: the common ones, its two branches against the reference on both sides of the
// kink margin - x = 0 and at it, and torch's quirk that a target neither 1 nor -1 takes both branches.

#include <cmath>

#include "generator_support.h"
#include "loss_properties.h"
#include "support.h"

namespace losscheck::properties::detail {

namespace hinge_embedding_loss_property_helpers {
namespace {

using rc::gen::element;
using rc::gen::weightedElement;

double margin_of(const loss_case& c) {
  const auto it = c.options.find("margin");
  if (it == c.options.end()) return 1.0;
  if (const auto* d = std::get_if<double>(&it->second)) return *d;
  return 1.0;
}

/// The cases of hinge_embedding_loss (loss_properties::generate): labels ±1 (float or int64) and other targets
/// (0, 2, 0.5, NaN), margins exact in float32, inputs at the kink x = margin now and then, input and target
/// broadcasting either way.
void generate(loss_case& c, const case_profile& p) {
  const dtype t = c.type;
  const shape_t s = pick_elementwise_shape(p);
  if (chance(50)) c.options["margin"] = pick(element(0.0, 0.5, -0.5, 2.0, 1.0, 0.25));
  const double margin = margin_of(c);
  const shape_t other = pick_broadcast_of(s, p);
  const bool swap = chance(30);
  const shape_t xs = swap ? other : s, ys = swap ? s : other;
  c.inputs["input"] = floats(t, xs, [&] { return !p.smooth && chance(10) ? margin : pick_real(t, p); });
  const bool int64 = chance(25);
  const int others = p.smooth ? 1 : 3;  // other targets: both branches
  std::vector<double> ys_values(static_cast<std::size_t>(numel_of(ys)));
  for (auto& y : ys_values) {
    y = pick(weightedElement<double>({{6, 1.0}, {6, -1.0}, {others, 0.0}, {others, 2.0}, {int64 ? 0 : others, 0.5}}));
    if (!int64 && p.nonfinite && chance(5)) y = std::nan("");
  }
  if (int64) {
    std::vector<std::int64_t> yi(ys_values.begin(), ys_values.end());
    c.inputs["target"] = tensor::int64s(ys, std::move(yi));
  } else {
    c.inputs["target"] = tensor::floats(t, ys, std::move(ys_values));
  }
  if (p.invalid && chance(15))  // shapes that do not broadcast
    c.inputs["target"] = floats(t, shape_t{numel_of(xs) + 2}, [] { return 1.0; });
}

/// Finite differences: inputs away from the kink margin - x = 0 (loss_properties::away_from_kinks).
void away_from_kinks(const loss_case& c) {
  const double margin = margin_of(c);
  for (double x : c.inputs.at("input").values) RC_PRE(std::fabs(margin - x) > 0.05);
}

/// `x` moved onto the kink (x = margin), one step of the dtype to either side of it, or a little further.
double near_kink(double margin, dtype t) {
  const int k = pick(rc::gen::inRange(0, 6));
  const auto step = [&](double dir) { return next_in_dtype(margin, dir, t); };
  switch (k) {
    case 0: case 1: return margin;
    case 2: return step(INFINITY);
    case 3: return step(-INFINITY);
    case 4: return margin + 0.5;
    default: return margin - 0.5;
  }
}

}  // namespace
}  // namespace hinge_embedding_loss_property_helpers

void add_hinge_embedding_loss(std::vector<property>& out) {
  using namespace ::losscheck::properties::detail::hinge_embedding_loss_property_helpers;
  const std::string loss = "hinge_embedding_loss";
  out.push_back({loss, "hinge_embedding_loss_branches_agree_with_the_reference_around_the_kink",
                 "inputs at x = margin (where torch's clamp_min passes the gradient), one ULP to either side and 0.5 "
                 "away, for targets 1, -1 and others: outputs and gradients agree with the reference",
                 {loss}, [loss](const context& ctx) {
                   case_profile p;
                   p.nonfinite = false;
                   loss_case c = pick(gen_case(loss, pick_dtype(ctx), p));
                   // a half row: the margin a value of the dtype too, so that x = margin can be hit
                   if (is_half(c.type) && c.options.count("margin")) c.options["margin"] = round_to(margin_of(c), c.type);
                   const double margin = margin_of(c);
                   for (auto& x : c.inputs["input"].values) x = near_kink(margin, c.type);
                   cover(c);
                   const auto e = evaluate(ctx.reference, c);
                   if (e.error) RC_DISCARD("invalid case");
                   expect_agreement(c, e, evaluate(ctx.subject, c), ctx.subject, "reference");
                 }});
  out.push_back({loss, "hinge_embedding_loss_target_neither_1_nor_minus_1_takes_both_branches",
                 "for a target y ∉ {1, -1} (torch's where(y != 1, ...) + where(y != -1, ...)), the unreduced loss and "
                 "its gradient are those of y = 1 plus those of y = -1",
                 {loss}, [loss](const context& ctx) {
                   case_profile p;
                   p.nonfinite = false;
                   p.broadcast = false;
                   loss_case c = with_reduction(pick(gen_case(loss, pick_dtype(ctx), p)), "none");
                   tensor& y = c.inputs["target"];
                   const double other = pick(element(0.0, 2.0, 0.5, -3.0));
                   loss_case plus = c, minus = c;
                   if (y.type == dtype::int64) {
                     for (auto& v : y.ints) v = static_cast<std::int64_t>(other == 0.5 ? 0.0 : other);
                     for (auto& v : plus.inputs["target"].ints) v = 1;
                     for (auto& v : minus.inputs["target"].ints) v = -1;
                   } else {
                     for (auto& v : y.values) v = other;
                     for (auto& v : plus.inputs["target"].values) v = 1;
                     for (auto& v : minus.inputs["target"].values) v = -1;
                   }
                   cover(c);
                   const auto r = evaluate(ctx.subject, c);
                   require_ok(c, r, ctx.subject);
                   const auto a = evaluate(ctx.subject, plus), b = evaluate(ctx.subject, minus);
                   require_ok(plus, a, ctx.subject);
                   require_ok(minus, b, ctx.subject);
                   loss_result expected = r;
                   auto add = [&](tensor& to, const tensor& u, const tensor& v) {
                     for (std::size_t i = 0; i < to.values.size(); ++i)
                       to.values[i] = round_to(static_cast<double>(static_cast<long double>(u.values[i]) + v.values[i]), c.type);
                   };
                   add(*expected.output, *a.output, *b.output);
                   for (auto& [name, g] : expected.grads)
                     if (a.grads.count(name) && b.grads.count(name)) add(g, a.grads.at(name), b.grads.at(name));
                   // Three results of the subject, each within its own case's bound: the widest of the three.
                   expect_agreement(c, expected, r, ctx.subject, "the sum of the results for y = 1 and y = -1",
                                    {&plus, &minus},
                                    check::widest(check::tolerance_for(c),
                                                  check::widest(check::tolerance_for(plus), check::tolerance_for(minus))));
                 }});
}

}  // namespace losscheck::properties::detail

namespace losscheck::properties {

loss_properties hinge_embedding_loss_properties() {
  using namespace ::losscheck::properties::detail::hinge_embedding_loss_property_helpers;
  // not non-negative: the x term of y = 1 is the input itself, which torch does not restrict
  return {.generate = generate,
          .add = detail::add_hinge_embedding_loss,
          .nonnegative = std::nullopt,
          .own_terms_finite = nullptr,
          .away_from_kinks = away_from_kinks};
}

}  // namespace losscheck::properties
