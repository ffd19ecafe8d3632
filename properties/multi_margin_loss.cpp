// Properties of multi_margin_loss: the common ones, non-negativity, and its own identities -- the divisor C, the
// weight of the target class, p = 2 against p = 1, and the kink z = 0 (inactive) with each side on its branch.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "generator_support.h"
#include "loss_properties.h"
#include "support.h"

namespace losscheck::properties::detail {

namespace multi_margin_loss_property_helpers {
namespace {

using rc::gen::element;
using rc::gen::inRange;
using rc::gen::weightedElement;

double margin_of(const loss_case& c) {
  auto it = c.options.find("margin");
  if (it == c.options.end()) return 1.0;
  if (const auto* d = std::get_if<double>(&it->second)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&it->second)) return static_cast<double>(*i);
  return 1.0;
}

/// The cases of multi_margin_loss (loss_properties::generate): (N, C) scores, sometimes (C) or 0-D (one row), one
/// class index per row (() / (N), and torch's (1) for a (C) input or () for a (1, C) one), class weights, p and margin;
/// scores are often placed on a kink (x[j] = x[y] - margin exactly) or next to one. With p.invalid: targets out of
/// range, p other than 1 and 2, weights of the wrong size, 3-D inputs, empty rows, float targets.
void generate(loss_case& c, const case_profile& p) {
  const dtype t = c.type;
  const auto n = std::clamp<std::int64_t>(pick(weightedElement<int>({{1, 0}, {3, 1}, {6, 2}, {3, 3}, {2, 4}})), 0, 4);
  const std::int64_t rows = std::min<std::int64_t>(n, p.max_batch);
  const auto classes = std::clamp<std::int64_t>(pick(weightedElement<int>({{1, 1}, {3, 2}, {3, 3}, {2, 5}})), 1, 5);
  const bool unbatched = p.unbatched && chance(15);
  const bool zero_d = unbatched && classes == 1 && chance(30);
  shape_t in_shape = zero_d ? shape_t{} : unbatched ? shape_t{classes} : shape_t{rows, classes};
  const std::int64_t R = unbatched ? 1 : rows;
  shape_t t_shape = unbatched ? shape_t{} : shape_t{rows};
  if (unbatched && chance(10)) t_shape = {1};   // torch: one index per row, whatever its rank
  if (!unbatched && rows == 1 && chance(10)) t_shape = {};
  if (p.invalid && chance(8)) {
    switch (pick(inRange(0, 4))) {
      case 0: in_shape = {std::max<std::int64_t>(rows, 1), classes, 2}; break;  // 3-D
      case 1: in_shape = {rows, 0}; break;                                     // empty rows
      case 2: t_shape = {R + 1}; break;                                        // a target per row, and one more
      default: t_shape = {R, 1}; break;                                        // a 2-D target
    }
  }
  const double margin = chance(40) ? pick(element(0.0, 0.5, -0.5, 0.25, 2.0, 1.0)) : 1.0;
  if (margin != 1.0 || chance(10)) c.options["margin"] = margin;
  if (chance(40)) c.options["p"] = std::int64_t{2};
  else if (chance(10)) c.options["p"] = std::int64_t{1};
  if (p.invalid && chance(8)) c.options["p"] = pick(element<std::int64_t>(std::int64_t{0}, std::int64_t{3}, std::int64_t{-1}));

  tensor x = floats(t, in_shape, [&] { return pick_real(t, p); });
  std::vector<std::int64_t> ys(static_cast<std::size_t>(numel_of(t_shape)));
  for (auto& y : ys) {
    y = ((pick(inRange<std::int64_t>(0, classes)) % classes) + classes) % classes;
    if (p.invalid && chance(8)) y = pick(element(std::int64_t{classes}, std::int64_t{-1}, std::int64_t{100}));
  }
  // kinks: x[j] = x[y] - margin exactly (z = 0), or one step of 2^-8 to either side (exact in both dtypes for the
  // moderate values they are placed next to)
  const std::int64_t C = in_shape.empty() ? 1 : in_shape.back();
  if (!p.smooth && x.numel() > 0 && static_cast<std::int64_t>(ys.size()) == R && x.numel() == R * C && chance(30)) {
    for (std::int64_t r = 0; r < R; ++r) {
      const std::int64_t y = ys[static_cast<std::size_t>(r)];
      if (y < 0 || y >= C) continue;
      for (std::int64_t j = 0; j < C; ++j) {
        if (j == y || !chance(50)) continue;
        auto& xy = x.values[static_cast<std::size_t>(r * C + y)];
        if (!std::isfinite(xy) || std::fabs(xy) > 64) xy = static_cast<double>(pick(inRange(-4, 5)));
        const double step = pick(element(0.0, 0.0, 0x1p-8, -0x1p-8));
        x.values[static_cast<std::size_t>(r * C + j)] = round_to(xy - round_to(margin, t) + step, t);
      }
    }
  }
  c.inputs["input"] = std::move(x);
  if (p.invalid && chance(5)) c.inputs["target"] = floats(t, t_shape, [] { return 0.0; });
  else c.inputs["target"] = tensor::int64s(t_shape, std::move(ys));
  if (p.weights && chance(35)) {
    const std::int64_t wn = p.invalid && chance(15) ? C + 1 : C;
    c.inputs["weight"] = floats(t, shape_t{wn}, [&] { return pick_weight(t, p); });
  }
}

/// Finite differences: every z_j = margin - x[y] + x[j] away from the kink by more than the steps (at most 1/8 for
/// the smooth profile's |x| ≤ 8; loss_properties::away_from_kinks).
void away_from_kinks(const loss_case& c) {
  const tensor& x = c.inputs.at("input");
  const tensor& y = c.inputs.at("target");
  const std::int64_t C = x.dim() == 0 ? 1 : x.shape.back();
  const double m = margin_of(c);
  for (std::size_t r = 0; r < y.ints.size(); ++r) {
    const auto yi = static_cast<std::size_t>(y.ints[r]);
    for (std::size_t j = 0; j < static_cast<std::size_t>(C); ++j)
      if (j != yi) RC_PRE(std::fabs(m - x.values[r * C + yi] + x.values[r * C + j]) > 0.25);
  }
}

/// The none case of `c` without grad_output.
loss_case none_of(loss_case c) {
  c = with_reduction(c, "none");
  c.grad_output.reset();
  return c;
}

void add_multi_margin_loss(std::vector<property>& out) {
  const std::string loss = "multi_margin_loss";
  out.push_back({loss, "appending_a_class_beyond_every_margin_scales_the_loss_by_c_over_c_plus_1",
                 "a class whose score is below every z's reach (x = -2^40) adds no term but is counted by the "
                 "divisor C: every none element and gradient is multiplied by C / (C + 1), the new class's gradient "
                 "is 0 -- the loss divides by C",
                 {loss}, [loss](const context& ctx) {
                   case_profile p;
                   p.unbatched = false;
                   p.nonfinite = false;
                   p.smooth = true;
                   loss_case c = none_of(pick(gen_case(loss, pick_dtype(ctx), p)));
                   tensor& x = c.inputs["input"];
                   RC_PRE(x.dim() == 2 && x.shape[0] > 0);
                   const std::int64_t N = x.shape[0], C = x.shape[1];
                   loss_case d = c;
                   tensor& xd = d.inputs["input"];
                   xd.shape = {N, C + 1};
                   xd.values.clear();
                   for (std::int64_t r = 0; r < N; ++r) {
                     for (std::int64_t j = 0; j < C; ++j) xd.values.push_back(x.values[static_cast<std::size_t>(r * C + j)]);
                     xd.values.push_back(-0x1p40);
                   }
                   if (c.input("weight")) d.inputs["weight"].values.push_back(1.0), d.inputs["weight"].shape = {C + 1};
                   cover(d);
                   const auto rc_ = evaluate(ctx.subject, c);
                   require_ok(c, rc_, ctx.subject);
                   const auto rd = evaluate(ctx.subject, d);
                   require_ok(d, rd, ctx.subject);
                   require_grads(c, rc_, {"input"}, ctx.subject);
                   require_grads(d, rd, {"input"}, ctx.subject);
                   // expected for d: c's values times C / (C + 1) (long double, one more rounding each)
                   loss_result expected = rd;
                   const long double f = static_cast<long double>(C) / static_cast<long double>(C + 1);
                   for (std::size_t i = 0; i < expected.output->values.size(); ++i)
                     expected.output->values[i] = round_to(static_cast<double>(f * rc_.output->values[i]), c.type);
                   auto& g = expected.grads["input"].values;
                   for (std::int64_t r = 0; r < N; ++r)
                     for (std::int64_t j = 0; j <= C; ++j)
                       g[static_cast<std::size_t>(r * (C + 1) + j)] =
                           j == C ? 0.0 : round_to(static_cast<double>(f * rc_.grads.at("input").values[static_cast<std::size_t>(r * C + j)]), c.type);
                   // each side within its own case's bound; c's scales times C / (C + 1) cover the scaled values
                   check::tolerance tc = check::tolerance_for(c), td = check::tolerance_for(d);
                   for (std::size_t i = 0; i < td.output.scale.size(); ++i)
                     td.output.scale[i] = std::max(td.output.scale[i], static_cast<double>(f) * tc.output.scale[i]);
                   td.output.bound_ulps += 1;
                   td.grads["input"].bound_ulps += 1;
                   expect_agreement(d, expected, rd, ctx.subject, "the case without the extra class times C / (C + 1)",
                                    {&c}, td);
                 }});
  out.push_back({loss, "weight_multiplies_each_row_by_the_weight_of_its_target_class",
                 "with class weights w, each none element and its row's gradient are those without weights times "
                 "w[y] of the row's target (not the weights of the other classes)",
                 {loss}, [loss](const context& ctx) {
                   case_profile p;
                   p.nonfinite = false;
                   loss_case c = none_of(pick(gen_case(loss, pick_dtype(ctx), p)));
                   const tensor& x = c.inputs["input"];
                   const std::int64_t C = x.dim() == 0 ? 1 : x.shape.back();
                   const auto ws = pick(rc::gen::container<std::vector<int>>(static_cast<std::size_t>(C), inRange(-8, 9)));
                   tensor w = tensor::floats(c.type, {C}, {});
                   for (int v : ws) w.values.push_back(std::ldexp(static_cast<double>(v), -2));  // exact: k/4
                   loss_case d = c;
                   c.inputs.erase("weight");
                   d.inputs["weight"] = w;
                   cover(d);
                   const auto rc_ = evaluate(ctx.subject, c);
                   require_ok(c, rc_, ctx.subject);
                   require_grads(c, rc_, {"input"}, ctx.subject);
                   // w[y] ≤ 2 in magnitude: a result beyond half the range could overflow when scaled
                   for (double v : rc_.output->values) RC_PRE(std::fabs(v) < check::max_finite(c.type) / 4);
                   for (double v : rc_.grads.at("input").values) RC_PRE(std::fabs(v) < check::max_finite(c.type) / 4);
                   loss_result expected = rc_;
                   const tensor& y = c.inputs.at("target");
                   for (std::size_t r = 0; r < y.ints.size(); ++r) {
                     const double wy = w.values[static_cast<std::size_t>(y.ints[r])];
                     expected.output->values[r] *= wy;  // k/4 times a float: exact unless it leaves the range
                     for (std::int64_t j = 0; j < C; ++j) expected.grads["input"].values[r * static_cast<std::size_t>(C) + static_cast<std::size_t>(j)] *= wy;
                   }
                   // c's bound scaled by max|w| bounds the scaled error (docs/tolerances.md)
                   check::tolerance tc = check::tolerance_for(c);
                   double wmax = 0;
                   for (double v : w.values) wmax = std::max(wmax, std::fabs(v));
                   for (auto& v : tc.output.scale) v *= wmax;
                   for (auto& v : tc.grads["input"].scale) v *= wmax;
                   for (auto& v : tc.grads["input"].slack) v *= wmax;
                   expect_agreement(d, expected, evaluate(ctx.subject, d), ctx.subject,
                                    "the unweighted case times w[y]", {&c}, check::widest(tc, check::tolerance_for(d)));
                 }});
  out.push_back({loss, "with_two_classes_the_p2_loss_is_twice_the_square_of_the_p1_loss",
                 "for C = 2 each row has one term: l2 = max(0, z)^2 / 2 = 2 l1^2, and dl2/dx = 4 l1 dl1/dx",
                 {loss}, [loss](const context& ctx) {
                   case_profile p;
                   p.unbatched = false;
                   p.nonfinite = false;
                   p.smooth = true;
                   p.weights = false;
                   loss_case c1 = none_of(pick(gen_case(loss, pick_dtype(ctx), p)));
                   const tensor& x = c1.inputs["input"];
                   RC_PRE(x.dim() == 2 && x.shape[1] == 2 && x.shape[0] > 0);
                   c1.options["p"] = std::int64_t{1};
                   loss_case c2 = c1;
                   c2.options["p"] = std::int64_t{2};
                   cover(c2);
                   const auto r1 = evaluate(ctx.subject, c1);
                   require_ok(c1, r1, ctx.subject);
                   loss_result expected = evaluate(ctx.subject, c2);
                   require_ok(c2, expected, ctx.subject);
                   require_grads(c1, r1, {"input"}, ctx.subject);
                   require_grads(c2, expected, {"input"}, ctx.subject);
                   std::vector<double> out_scale, grad_scale;
                   const auto t1 = check::tolerance_for(c1);
                   for (std::size_t r = 0; r < r1.output->values.size(); ++r) {
                     const long double l1 = r1.output->values[r];
                     expected.output->values[r] = round_to(static_cast<double>(2 * l1 * l1), c1.type);
                     // 2 l1^2 with l1 within k ε s1: error 4 |l1| k ε s1 (+ (k ε s1)^2)
                     out_scale.push_back(4 * static_cast<double>(std::fabs(l1)) * t1.output.scale[r] + t1.output.scale[r]);
                     for (std::size_t j = 0; j < 2; ++j) {
                       const long double g1 = r1.grads.at("input").values[2 * r + j];
                       expected.grads["input"].values[2 * r + j] = round_to(static_cast<double>(4 * l1 * g1), c1.type);
                       grad_scale.push_back(4 * static_cast<double>(std::fabs(l1)) * t1.grads.at("input").scale[2 * r + j] +
                                            4 * static_cast<double>(std::fabs(g1)) * t1.output.scale[r]);
                     }
                   }
                   check::tolerance t = check::tolerance_for(c2);
                   for (std::size_t i = 0; i < out_scale.size(); ++i) t.output.scale[i] = std::max(t.output.scale[i], out_scale[i]);
                   for (std::size_t i = 0; i < grad_scale.size(); ++i)
                     t.grads["input"].scale[i] = std::max(t.grads["input"].scale[i], grad_scale[i]);
                   t.output.bound_ulps += 2;
                   t.grads["input"].bound_ulps += 2;
                   expect_agreement(c2, expected, evaluate(ctx.subject, c2), ctx.subject,
                                    "2 l1^2 and 4 l1 dl1/dx of the p = 1 case", {&c1}, t);
                 }});
  out.push_back({loss, "the_kink_z_equal_0_is_inactive_and_each_side_takes_its_branch",
                 "with x[j] = x[y] - margin exactly (z = 0) the term adds nothing and x[j]'s gradient is exactly 0 "
                 "(torch tests z > 0); one step of 2^-8 below gives the same, one step above gives the active branch "
                 "(w (p = 1 ? 1 : 2 z) / C) -- both as the reference",
                 {loss}, [loss](const context& ctx) {
                   const dtype t = pick_dtype(ctx);
                   const auto C = pick(inRange<std::int64_t>(2, 6));
                   const auto y = pick(inRange<std::int64_t>(0, C));
                   auto j = pick(inRange<std::int64_t>(0, C - 1));
                   if (j >= y) ++j;
                   const double margin = pick(element(1.0, 0.5, 0.0, -0.5, 2.0));
                   const double side = pick(element(-1.0, 0.0, 1.0));
                   loss_case c;
                   c.loss = loss;
                   c.type = t;
                   c.options["reduction"] = std::string("none");
                   c.options["margin"] = margin;
                   c.options["p"] = pick(element<std::int64_t>(std::int64_t{1}, std::int64_t{2}));
                   std::vector<double> x(static_cast<std::size_t>(C));
                   for (auto& v : x) v = std::ldexp(static_cast<double>(pick(inRange(-64, 65))), -4);
                   x[static_cast<std::size_t>(j)] = x[static_cast<std::size_t>(y)] - margin + side * 0x1p-8;
                   c.inputs["input"] = tensor::floats(t, {1, C}, x);
                   c.inputs["target"] = tensor::int64s({1}, {y});
                   if (chance(50)) {
                     std::vector<double> w(static_cast<std::size_t>(C));
                     for (auto& v : w) v = std::ldexp(static_cast<double>(pick(inRange(1, 9))), -2);
                     c.inputs["weight"] = tensor::floats(t, {C}, w);
                   }
                   cover(c);
                   const auto e = evaluate(ctx.reference, c);
                   const auto g = evaluate(ctx.subject, c);
                   require_ok(c, g, ctx.subject);
                   require_grads(c, g, {"input"}, ctx.subject);
                   RC_ASSERT(e.ok());
                   const double gj = g.grads.at("input").values[static_cast<std::size_t>(j)];
                   const double ej = e.grads.at("input").values[static_cast<std::size_t>(j)];
                   if (side <= 0 && gj != 0)
                     fail(fmt::format("z = {} ≤ 0 but x[{}]'s gradient is {} (inactive: exactly 0)", side * 0x1p-8, j, gj),
                          {{&c, &g}}, ctx.subject);
                   if (side > 0 && !(gj > 0))
                     fail(fmt::format("z = 2^-8 > 0 but x[{}]'s gradient is {} (the active branch: {})", j, gj, ej),
                          {{&c, &g}}, ctx.subject);
                   expect_agreement(c, e, g, ctx.subject, "reference");
                 }});
}

}  // namespace
}  // namespace multi_margin_loss_property_helpers

}  // namespace losscheck::properties::detail

namespace losscheck::properties {

loss_properties multi_margin_loss_properties() {
  using namespace ::losscheck::properties::detail::multi_margin_loss_property_helpers;
  case_profile nonnegative;
  nonnegative.nonnegative_weights = true;  // max(0, z)^p ≥ 0, times w[y] ≥ 0
  return {.generate = generate,
          .add = add_multi_margin_loss,
          .nonnegative = nonnegative,
          .away_from_kinks = away_from_kinks};
}

}  // namespace losscheck::properties
