// Properties of margin_ranking_loss: the common ones, non-negativity, its branches against the reference on both
// sides of the kink -y (x1 - x2) + margin = 0 and at it, and the symmetry that swaps the inputs and negates the
// target.

#include <cmath>

#include "generator_support.h"
#include "loss_properties.h"
#include "support.h"

namespace losscheck::properties::detail {

namespace margin_ranking_loss_property_helpers {
namespace {

using rc::gen::element;
using rc::gen::weightedElement;

double ranking_margin_of(const loss_case& c) {
  const auto it = c.options.find("margin");
  if (it == c.options.end()) return 0.0;
  if (const auto* d = std::get_if<double>(&it->second)) return *d;
  return 0.0;
}

/// The cases of margin_ranking_loss (loss_properties::generate): three tensors of one number of dimensions, each as
/// the full shape or broadcasting (a dimension set to 1); labels ±1 (float or int64) and other targets; margins
/// exact in float32; some pairs placed exactly on the kink (x1 = x2 + y margin).
void generate(loss_case& c, const case_profile& p) {
  const dtype t = c.type;
  const shape_t s = pick_elementwise_shape(p);
  if (chance(60)) c.options["margin"] = pick(element(0.0, 0.5, -0.5, 1.0, 2.0));
  const double margin = ranking_margin_of(c);
  const auto same_rank_broadcast = [&] {
    shape_t b = s;
    if (p.broadcast && chance(25))
      for (auto& d : b)
        if (chance(50)) d = 1;
    return b;
  };
  const shape_t s1 = s, s2 = same_rank_broadcast(), st = same_rank_broadcast();
  tensor x2 = floats(t, s2, [&] { return pick_real(t, p); });
  const bool int64 = chance(25);
  std::vector<double> ys(static_cast<std::size_t>(numel_of(st)));
  for (auto& y : ys) {
    y = pick(weightedElement<double>({{8, 1.0}, {8, -1.0}, {p.smooth ? 0 : 1, 0.0}, {int64 || p.smooth ? 0 : 1, 0.5},
                                       {p.smooth ? 0 : 1, 2.0}}));
    if (!int64 && p.nonfinite && chance(4)) y = std::nan("");
  }
  // x1 on the kink where the shapes let an element of x1 see one x2 and one y: x1 = x2 + y margin (exact here)
  tensor x1 = floats(t, s1, [&] { return pick_real(t, p); });
  if (!p.smooth && s2 == s1 && st == s1)
    for (std::size_t i = 0; i < x1.values.size(); ++i)
      if (chance(15) && std::isfinite(x2.values[i]) && std::fabs(x2.values[i]) < 1e6)
        x1.values[i] = round_to(x2.values[i] + ys[i] * margin, t);
  c.inputs["input1"] = std::move(x1);
  c.inputs["input2"] = std::move(x2);
  if (int64) {
    std::vector<std::int64_t> yi(ys.begin(), ys.end());
    c.inputs["target"] = tensor::int64s(st, std::move(yi));
  } else {
    c.inputs["target"] = tensor::floats(t, st, std::move(ys));
  }
  if (p.invalid && chance(15)) {  // a target of another number of dimensions: functional.py's check
    shape_t bad = st;
    bad.insert(bad.begin(), 1);
    c.inputs["target"] = floats(t, bad, [] { return 1.0; });
  }
}

/// Finite differences: every element away from the kink (loss_properties::away_from_kinks).
void away_from_kinks(const loss_case& c) {
  const double margin = ranking_margin_of(c);
  const tensor& a = c.inputs.at("input1");
  const tensor& b = c.inputs.at("input2");
  const tensor& y = c.inputs.at("target");
  const auto shape = output_shape_of(with_reduction(c, "none"));
  broadcast_walker wa(a.shape, shape), wb(b.shape, shape), wy(y.shape, shape);
  for (std::int64_t i = 0; i < checked_numel(shape); ++i, wa.next(), wb.next(), wy.next()) {
    const auto yo = static_cast<std::size_t>(wy.offset());
    const double yv = y.type == dtype::int64 ? static_cast<double>(y.ints[yo]) : y.values[yo];
    const double z = -yv * (a.values[static_cast<std::size_t>(wa.offset())] - b.values[static_cast<std::size_t>(wb.offset())]) + margin;
    RC_PRE(std::fabs(z) > 0.05 || yv == 0);
  }
}

/// (x1, x2, y) placed relative to the kink: z = -y (x1 - x2) + margin exactly 0, one step of the dtype to either
/// side, or 0.5 away (x2 ordinary and exact, y = ±1).
void place_near_kink(loss_case& c) {
  const dtype t = c.type;
  const double margin = ranking_margin_of(c);
  tensor& x1 = c.inputs["input1"];
  tensor& x2 = c.inputs["input2"];
  tensor& y = c.inputs["target"];
  const auto next = [&](double v, double dir) { return next_in_dtype(v, dir, t); };
  for (std::size_t i = 0; i < x1.values.size(); ++i) {
    const double label = pick(element(1.0, -1.0));
    if (y.type == dtype::int64) y.ints[i] = static_cast<std::int64_t>(label);
    else y.values[i] = label;
    x2.values[i] = std::ldexp(static_cast<double>(pick(rc::gen::inRange(-64, 65))), -4);
    const double on = x2.values[i] + label * margin;  // exact: few bits
    switch (pick(rc::gen::inRange(0, 5))) {
      case 0: case 1: x1.values[i] = on; break;
      case 2: x1.values[i] = next(on, INFINITY); break;
      case 3: x1.values[i] = next(on, -INFINITY); break;
      default: x1.values[i] = on + pick(element(0.5, -0.5)); break;
    }
  }
}

}  // namespace
}  // namespace margin_ranking_loss_property_helpers

void add_margin_ranking_loss(std::vector<property>& out) {
  using namespace ::losscheck::properties::detail::margin_ranking_loss_property_helpers;
  const std::string loss = "margin_ranking_loss";
  out.push_back({loss, "margin_ranking_loss_branches_agree_with_the_reference_around_the_kink",
                 "pairs at -y (x1 - x2) + margin = 0 (where torch's clamp_min passes the gradient), one ULP to either "
                 "side and 0.5 away: outputs and gradients (input1, input2, a float target) agree with the reference",
                 {loss}, [loss](const context& ctx) {
                   case_profile p;
                   p.nonfinite = false;
                   p.broadcast = false;
                   loss_case c = pick(gen_case(loss, pick_dtype(ctx), p));
                   // a half row: the margin a value of the dtype, and the placed pairs rounded to it (x2 + y·margin
                   // may need more bits than 8 or 11: such a pair lands next to the kink instead of on it)
                   if (is_half(c.type) && c.options.count("margin"))
                     c.options["margin"] = round_to(ranking_margin_of(c), c.type);
                   place_near_kink(c);
                   if (is_half(c.type)) round_values_to_dtype(c);
                   cover(c);
                   const auto e = evaluate(ctx.reference, c);
                   if (e.error) RC_DISCARD("invalid case");
                   expect_agreement(c, e, evaluate(ctx.subject, c), ctx.subject, "reference");
                 }});
  out.push_back({loss, "margin_ranking_loss_swapping_the_inputs_equals_negating_the_target",
                 "margin_ranking_loss(x2, x1, -y) = margin_ranking_loss(x1, x2, y) (the same -y (x1 - x2)), with the "
                 "inputs' gradients swapped and the target's negated",
                 {loss}, [loss](const context& ctx) {
                   case_profile p;
                   p.nonfinite = pick(rc::gen::inRange(0, 100)) < 15;
                   const loss_case c = pick(gen_case(loss, pick_dtype(ctx), p));
                   loss_case s = c;
                   std::swap(s.inputs["input1"], s.inputs["input2"]);
                   tensor& y = s.inputs["target"];
                   for (auto& v : y.values) v = -v;
                   for (auto& v : y.ints) v = -v;
                   cover(s);
                   const auto r = evaluate(ctx.subject, c);
                   require_ok(c, r, ctx.subject);
                   loss_result expected = r;
                   if (expected.grads.count("input1") && expected.grads.count("input2"))
                     std::swap(expected.grads["input1"], expected.grads["input2"]);
                   if (expected.grads.count("target"))
                     for (auto& v : expected.grads["target"].values) v = -v;
                   // swapped inputs change which one is the main input (and its broadcast rule): both bounds
                   check::tolerance tc = check::tolerance_for(c);
                   std::swap(tc.grads["input1"], tc.grads["input2"]);
                   expect_agreement(s, expected, evaluate(ctx.subject, s), ctx.subject, "the unswapped case", {&c},
                                    check::widest(check::tolerance_for(s), tc));
                 }});
}

}  // namespace losscheck::properties::detail

namespace losscheck::properties {

loss_properties margin_ranking_loss_properties() {
  using namespace ::losscheck::properties::detail::margin_ranking_loss_property_helpers;
  // max(0, ·) ≥ 0 always
  return {.generate = generate,
          .add = detail::add_margin_ranking_loss,
          .nonnegative = case_profile{},
          .own_terms_finite = nullptr,
          .away_from_kinks = away_from_kinks};
}

}  // namespace losscheck::properties
