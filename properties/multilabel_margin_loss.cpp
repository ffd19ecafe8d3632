// Properties of multilabel_margin_loss: the common ones, non-negativity, and its own identities -- what follows a
// row's first -1 is never read, the divisor C, a target listed twice counts twice, and the kink z = 0 (inactive) with
// each side on its branch.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "generator_support.h"
#include "loss_properties.h"
#include "support.h"

namespace losscheck::properties::detail {

namespace multilabel_margin_loss_property_helpers {
namespace {

using rc::gen::element;
using rc::gen::inRange;
using rc::gen::weightedElement;

/// One target row of C entries: a list of L class indices (sometimes with a repeat), then -1 (when L < C), then
/// anything torch accepts after it (class indices or -1: never read).
std::vector<std::int64_t> target_row(std::int64_t C) {
  std::vector<std::int64_t> row;
  const auto L = pick(inRange<std::int64_t>(0, C + 1));
  for (std::int64_t k = 0; k < L; ++k) {
    std::int64_t t = pick(inRange<std::int64_t>(0, C));
    if (k > 0 && chance(15)) t = row[static_cast<std::size_t>(pick(inRange<std::int64_t>(0, k)))];  // a repeat
    row.push_back(((t % C) + C) % C);
  }
  if (L < C) row.push_back(-1);
  while (static_cast<std::int64_t>(row.size()) < C) row.push_back(pick(inRange<std::int64_t>(-1, C)));
  for (auto& v : row) v = std::clamp<std::int64_t>(v, -1, C - 1);
  return row;
}

/// The cases of multilabel_margin_loss (loss_properties::generate): (N, C) scores, sometimes (C) or 0-D, targets of
/// the input's shape (lists ended by -1, what follows the -1 arbitrary), scores often placed on a kink
/// (x[i] = x[t] - 1 exactly) or next to one. With p.invalid: a target value out of [-1, C) (before or after the first
/// -1), a target of another shape, 3-D inputs, empty rows, float targets.
void generate(loss_case& c, const case_profile& p) {
  const dtype t = c.type;
  const auto n = std::clamp<std::int64_t>(pick(weightedElement<int>({{1, 0}, {3, 1}, {6, 2}, {3, 3}, {2, 4}})), 0, 4);
  const std::int64_t rows = std::min<std::int64_t>(n, p.max_batch);
  const bool unbatched = p.unbatched && chance(20);
  const bool zero_d = unbatched && chance(30);  // a 0-D score is one class
  const auto C = zero_d ? 1 : std::clamp<std::int64_t>(pick(weightedElement<int>({{1, 1}, {3, 2}, {3, 3}, {2, 5}})), 1, 5);
  shape_t in_shape = zero_d ? shape_t{} : unbatched ? shape_t{C} : shape_t{rows, C};
  const std::int64_t R = unbatched ? 1 : rows;
  shape_t t_shape = in_shape;
  if (zero_d && chance(50)) t_shape = {1};
  std::vector<std::int64_t> ys;
  for (std::int64_t r = 0; r < R; ++r) {
    const auto row = target_row(C);
    ys.insert(ys.end(), row.begin(), row.end());
  }
  tensor x = floats(t, in_shape, [&] { return pick_real(t, p); });
  // kinks: x[i] = x[t] - 1 exactly for a listed t and an unlisted i, or one step of 2^-8 to either side
  if (!p.smooth && x.numel() > 0 && chance(30)) {
    for (std::int64_t r = 0; r < R; ++r) {
      const std::int64_t* y = ys.data() + r * C;
      std::vector<bool> listed(static_cast<std::size_t>(C), false);
      for (std::int64_t k = 0; k < C && y[k] >= 0; ++k) listed[static_cast<std::size_t>(y[k])] = true;
      if (y[0] < 0) continue;
      auto& xt = x.values[static_cast<std::size_t>(r * C + y[0])];
      if (!std::isfinite(xt) || std::fabs(xt) > 64) xt = static_cast<double>(pick(inRange(-4, 5)));
      for (std::int64_t i = 0; i < C; ++i)
        if (!listed[static_cast<std::size_t>(i)] && chance(50))
          x.values[static_cast<std::size_t>(r * C + i)] = round_to(xt - 1 + pick(element(0.0, 0.0, 0x1p-8, -0x1p-8)), t);
    }
  }
  if (p.invalid && chance(15) && !ys.empty()) ys[static_cast<std::size_t>(pick(inRange<std::size_t>(0, ys.size())))] = pick(element(std::int64_t{C}, std::int64_t{-2}, std::int64_t{100}));
  if (p.invalid && chance(8)) {
    switch (pick(inRange(0, 3))) {
      case 0: in_shape = {std::max<std::int64_t>(rows, 1), C, 2}; x = floats(t, in_shape, [&] { return pick_real(t, p); }); break;
      case 1: in_shape = {rows, 0}; x = floats(t, in_shape, [] { return 0.0; }); break;
      default: t_shape = unbatched ? shape_t{1, C} : shape_t{R * C}; break;  // a 2-D target for (C), flattened for (N, C)
    }
  }
  c.inputs["input"] = std::move(x);
  if (p.invalid && chance(5)) c.inputs["target"] = floats(t, t_shape, [] { return 0.0; });
  else c.inputs["target"] = tensor::int64s(t_shape, std::move(ys));
}

/// Finite differences: every pair's z = 1 - x[t] + x[i] away from the kink by more than the steps (at most 1/8 for the
/// smooth profile's |x| ≤ 8; loss_properties::away_from_kinks).
void away_from_kinks(const loss_case& c) {
  const tensor& x = c.inputs.at("input");
  const tensor& y = c.inputs.at("target");
  const std::int64_t C = x.dim() == 0 ? 1 : x.shape.back();
  for (std::size_t r = 0; r * static_cast<std::size_t>(C) < y.ints.size(); ++r) {
    const std::int64_t* row = y.ints.data() + r * static_cast<std::size_t>(C);
    std::vector<bool> listed(static_cast<std::size_t>(C), false);
    for (std::int64_t k = 0; k < C && row[k] >= 0; ++k) listed[static_cast<std::size_t>(row[k])] = true;
    for (std::int64_t k = 0; k < C && row[k] >= 0; ++k)
      for (std::int64_t i = 0; i < C; ++i)
        if (!listed[static_cast<std::size_t>(i)])
          RC_PRE(std::fabs(1 - x.values[r * static_cast<std::size_t>(C) + static_cast<std::size_t>(row[k])] +
                           x.values[r * static_cast<std::size_t>(C) + static_cast<std::size_t>(i)]) > 0.25);
  }
}

loss_case none_of(loss_case c) {
  c = with_reduction(c, "none");
  c.grad_output.reset();
  return c;
}

void add_multilabel_margin_loss(std::vector<property>& out) {
  const std::string loss = "multilabel_margin_loss";
  out.push_back({loss, "what_follows_the_first_minus_1_in_a_row_is_never_read",
                 "rewriting a target row after its first -1 (with any values torch accepts: class indices or -1) "
                 "changes neither the output nor the gradient",
                 {loss}, [loss](const context& ctx) {
                   loss_case c = pick(gen_case(loss, pick_dtype(ctx), case_profile{}));
                   const tensor& x = c.inputs.at("input");
                   const std::int64_t C = x.dim() == 0 ? 1 : x.shape.back();
                   loss_case d = c;
                   auto& y = d.inputs["target"].ints;
                   bool changed = false;
                   for (std::size_t r = 0; r * static_cast<std::size_t>(C) < y.size(); ++r) {
                     std::size_t k = 0;
                     while (k < static_cast<std::size_t>(C) && y[r * static_cast<std::size_t>(C) + k] >= 0) ++k;
                     for (++k; k < static_cast<std::size_t>(C); ++k) {
                       y[r * static_cast<std::size_t>(C) + k] = pick(inRange<std::int64_t>(-1, C));
                       changed = true;
                     }
                   }
                   RC_PRE(changed);
                   cover(d);
                   const auto rc_ = evaluate(ctx.subject, c);
                   require_ok(c, rc_, ctx.subject);
                   expect_agreement(d, rc_, evaluate(ctx.subject, d), ctx.subject, "the case before the rewrite", {&c});
                 }});
  out.push_back({loss, "appending_a_class_beyond_every_margin_scales_the_loss_by_c_over_c_plus_1",
                 "a non-target class whose score is below every z's reach (x = -2^40) adds no term but is counted by "
                 "the divisor C: every none element and gradient is multiplied by C / (C + 1), the new class's "
                 "gradient is 0 -- the loss divides by C",
                 {loss}, [loss](const context& ctx) {
                   case_profile p;
                   p.unbatched = false;
                   p.smooth = true;
                   loss_case c = none_of(pick(gen_case(loss, pick_dtype(ctx), p)));
                   const tensor& x = c.inputs["input"];
                   RC_PRE(x.dim() == 2 && x.shape[0] > 0);
                   const std::int64_t N = x.shape[0], C = x.shape[1];
                   loss_case d = c;
                   tensor& xd = d.inputs["input"];
                   tensor& yd = d.inputs["target"];
                   xd.shape = yd.shape = {N, C + 1};
                   xd.values.clear();
                   yd.ints.clear();
                   for (std::int64_t r = 0; r < N; ++r) {
                     for (std::int64_t j = 0; j < C; ++j) {
                       xd.values.push_back(x.values[static_cast<std::size_t>(r * C + j)]);
                       yd.ints.push_back(c.inputs["target"].ints[static_cast<std::size_t>(r * C + j)]);
                     }
                     xd.values.push_back(-0x1p40);
                     yd.ints.push_back(-1);  // ends a list of all C classes; after a -1 never read
                   }
                   cover(d);
                   const auto rc_ = evaluate(ctx.subject, c);
                   require_ok(c, rc_, ctx.subject);
                   const auto rd = evaluate(ctx.subject, d);
                   require_ok(d, rd, ctx.subject);
                   require_grads(c, rc_, {"input"}, ctx.subject);
                   require_grads(d, rd, {"input"}, ctx.subject);
                   loss_result expected = rd;
                   const long double f = static_cast<long double>(C) / static_cast<long double>(C + 1);
                   for (std::size_t i = 0; i < expected.output->values.size(); ++i)
                     expected.output->values[i] = round_to(static_cast<double>(f * rc_.output->values[i]), c.type);
                   auto& g = expected.grads["input"].values;
                   for (std::int64_t r = 0; r < N; ++r)
                     for (std::int64_t j = 0; j <= C; ++j)
                       g[static_cast<std::size_t>(r * (C + 1) + j)] =
                           j == C ? 0.0 : round_to(static_cast<double>(f * rc_.grads.at("input").values[static_cast<std::size_t>(r * C + j)]), c.type);
                   check::tolerance tc = check::tolerance_for(c), td = check::tolerance_for(d);
                   for (std::size_t i = 0; i < td.output.scale.size(); ++i)
                     td.output.scale[i] = std::max(td.output.scale[i], static_cast<double>(f) * tc.output.scale[i]);
                   td.output.bound_ulps += 1;
                   td.grads["input"].bound_ulps += 1;
                   expect_agreement(d, expected, rd, ctx.subject, "the case without the extra class times C / (C + 1)",
                                    {&c}, td);
                 }});
  out.push_back({loss, "a_single_target_listed_twice_doubles_the_loss",
                 "a row whose list is [t] gives, listed as [t, t], twice its loss and twice its gradient (the list "
                 "is read as written: a repeated target counts each time)",
                 {loss}, [loss](const context& ctx) {
                   case_profile p;
                   p.unbatched = false;
                   p.nonfinite = false;
                   loss_case c = none_of(pick(gen_case(loss, pick_dtype(ctx), p)));
                   const tensor& x = c.inputs["input"];
                   RC_PRE(x.dim() == 2 && x.shape[0] > 0 && x.shape[1] >= 2);
                   const std::int64_t N = x.shape[0], C = x.shape[1];
                   auto& y = c.inputs["target"].ints;
                   loss_case d = c;
                   auto& yd = d.inputs["target"].ints;
                   for (std::int64_t r = 0; r < N; ++r) {
                     const auto t = pick(inRange<std::int64_t>(0, C));
                     y[static_cast<std::size_t>(r * C)] = yd[static_cast<std::size_t>(r * C)] = t;
                     y[static_cast<std::size_t>(r * C + 1)] = -1;
                     yd[static_cast<std::size_t>(r * C + 1)] = t;
                     if (C > 2) yd[static_cast<std::size_t>(r * C + 2)] = -1;
                   }
                   cover(d);
                   const auto rc_ = evaluate(ctx.subject, c);
                   require_ok(c, rc_, ctx.subject);
                   for (double v : rc_.output->values) RC_PRE(std::fabs(v) < check::max_finite(c.type) / 4);
                   require_grads(c, rc_, {"input"}, ctx.subject);
                   loss_result expected = rc_;
                   for (auto& v : expected.output->values) v *= 2;  // exact
                   for (auto& v : expected.grads["input"].values) v *= 2;
                   check::tolerance tc = check::tolerance_for(c);
                   for (auto& v : tc.output.scale) v *= 2;
                   for (auto& v : tc.grads["input"].scale) v *= 2;
                   for (auto& v : tc.grads["input"].slack) v *= 2;
                   expect_agreement(d, expected, evaluate(ctx.subject, d), ctx.subject, "twice the case with [t]", {&c},
                                    check::widest(tc, check::tolerance_for(d)));
                 }});
  out.push_back({loss, "the_kink_z_equal_0_is_inactive_and_each_side_takes_its_branch",
                 "with x[i] = x[t] - 1 exactly (z = 0) the pair adds nothing and x[i]'s gradient is exactly 0 "
                 "(torch tests z > 0); one step of 2^-8 below gives the same, one step above gives 1/C -- both as the "
                 "reference",
                 {loss}, [loss](const context& ctx) {
                   const dtype t = pick_dtype(ctx);
                   const auto C = pick(inRange<std::int64_t>(2, 6));
                   const auto y = pick(inRange<std::int64_t>(0, C));
                   auto i = pick(inRange<std::int64_t>(0, C - 1));
                   if (i >= y) ++i;
                   const double side = pick(element(-1.0, 0.0, 1.0));
                   loss_case c;
                   c.loss = loss;
                   c.type = t;
                   c.options["reduction"] = std::string("none");
                   std::vector<double> x(static_cast<std::size_t>(C));
                   // the other classes far below: only the pair (y, i) can be active
                   for (auto& v : x) v = -std::ldexp(static_cast<double>(pick(inRange(64, 128))), -2);
                   x[static_cast<std::size_t>(y)] = std::ldexp(static_cast<double>(pick(inRange(-64, 65))), -4);
                   x[static_cast<std::size_t>(i)] = x[static_cast<std::size_t>(y)] - 1 + side * 0x1p-8;
                   std::vector<std::int64_t> target(static_cast<std::size_t>(C), -1);
                   target[0] = y;
                   c.inputs["input"] = tensor::floats(t, {1, C}, x);
                   c.inputs["target"] = tensor::int64s({1, C}, target);
                   cover(c);
                   const auto e = evaluate(ctx.reference, c);
                   const auto g = evaluate(ctx.subject, c);
                   require_ok(c, g, ctx.subject);
                   require_grads(c, g, {"input"}, ctx.subject);
                   RC_ASSERT(e.ok());
                   const double gi = g.grads.at("input").values[static_cast<std::size_t>(i)];
                   if (side <= 0 && gi != 0)
                     fail(fmt::format("z = {} ≤ 0 but x[{}]'s gradient is {} (inactive: exactly 0)", side * 0x1p-8, i, gi),
                          {{&c, &g}}, ctx.subject);
                   if (side > 0 && !(gi > 0))
                     fail(fmt::format("z = 2^-8 > 0 but x[{}]'s gradient is {} (the active branch: 1/C)", i, gi),
                          {{&c, &g}}, ctx.subject);
                   expect_agreement(c, e, g, ctx.subject, "reference");
                 }});
}

}  // namespace
}  // namespace multilabel_margin_loss_property_helpers

}  // namespace losscheck::properties::detail

namespace losscheck::properties {

loss_properties multilabel_margin_loss_properties() {
  using namespace ::losscheck::properties::detail::multilabel_margin_loss_property_helpers;
  return {.generate = generate,
          .add = add_multilabel_margin_loss,
          .nonnegative = case_profile{},  // each term max(0, z) ≥ 0
          .away_from_kinks = away_from_kinks};
}

}  // namespace losscheck::properties
