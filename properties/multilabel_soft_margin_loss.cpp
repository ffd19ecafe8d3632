// Properties of multilabel_soft_margin_loss: the common ones, non-negativity for targets in [0, 1] and non-negative
// weights, and its identity with the mean over classes of soft_margin_loss's per-class terms.

#include <cmath>

#include "generator_support.h"
#include "loss_properties.h"
#include "support.h"

namespace losscheck::properties::detail {

namespace multilabel_soft_margin_loss_property_helpers {
namespace {

using rc::gen::element;
using rc::gen::inRange;
using rc::gen::weightedElement;

/// The cases of multilabel_soft_margin_loss (loss_properties::generate): (N, C), (C) and (N, d, C) logits; targets
/// 0/1, probabilities or (not unit_targets) any values, as the input's shape or broadcasting, now and then of more
/// dimensions than the input (which moves the summed dimension: torch's quirk); weights (C), (1, C), (N, 1) or
/// full, sometimes enlarging the terms likewise. 'elementwise_mean' is not a reduction of this loss (functional.py
/// compares the string itself): the generic pick is mapped to 'mean' unless invalid values are wanted.
void generate(loss_case& c, const case_profile& p) {
  const dtype t = c.type;
  if (auto it = c.options.find("reduction"); it != c.options.end() && !p.invalid)
    if (const auto* s = std::get_if<std::string>(&it->second); s && *s == "elementwise_mean") it->second = std::string("mean");
  const auto n = std::min<std::int64_t>(pick(weightedElement<std::int64_t>({{1, 0}, {3, 1}, {5, 2}, {3, 3}, {2, 4}})), p.max_batch);
  const auto classes = pick(weightedElement<std::int64_t>({{1, 1}, {3, 2}, {4, 3}, {2, 5}}));
  shape_t s;
  const int layout = pick(weightedElement<int>({{p.unbatched ? 2 : 0, 0}, {8, 1}, {p.kdim ? 1 : 0, 2}}));
  if (layout == 0) s = {classes};
  else if (layout == 1) s = {n, classes};
  else s = {n, pick(inRange<std::int64_t>(1, 3)), classes};
  c.inputs["input"] = floats(t, s, [&] { return pick_real(t, p); });
  shape_t ts = s;
  if (p.broadcast && chance(15)) ts = shape_t{classes};                     // one target row for every row
  else if (p.broadcast && !p.smooth && chance(5)) ts.insert(ts.begin(), 2);  // more dimensions: the summed one moves
  const int kind = pick(weightedElement<int>({{6, 0}, {3, 1}, {p.unit_targets || p.smooth ? 0 : 1, 2}}));
  c.inputs["target"] = floats(t, ts, [&] {
    if (kind == 0) return chance(50) ? 1.0 : 0.0;
    if (kind == 1) return pick_probability(t, p);
    return pick_real(t, p);
  });
  if (p.weights && chance(40)) {
    std::vector<shape_t> shapes{{classes}, s};
    if (s.size() >= 2) shapes.push_back(shape_t(s.size() - 1, 1)), shapes.back().push_back(classes);
    if (s.size() >= 2) shapes.push_back(s), shapes.back().back() = 1;
    shape_t ws = shapes[static_cast<std::size_t>(pick(inRange<std::size_t>(0, shapes.size())))];
    // a leading dimension of 2 broadcasts only above a weight of the input's rank ((C) against (N, C) would not)
    if (p.broadcast && !p.smooth && ws.size() == s.size() && chance(5)) ws.insert(ws.begin(), 2);
    c.inputs["weight"] = floats(t, ws, [&] { return pick_weight(t, p); });
  }
  if (p.invalid && chance(10)) c.inputs["input"] = floats(t, shape_t{}, [&] { return pick_real(t, p); });  // 0-D
  if (p.invalid && chance(10)) c.inputs["target"] = floats(t, shape_t{classes + 1}, [] { return 1.0; });
}

}  // namespace
}  // namespace multilabel_soft_margin_loss_property_helpers

void add_multilabel_soft_margin_loss(std::vector<property>& out) {
  using namespace ::losscheck::properties::detail::multilabel_soft_margin_loss_property_helpers;
  const std::string loss = "multilabel_soft_margin_loss";
  out.push_back(
      {loss, "multilabel_soft_margin_loss_is_the_mean_over_classes_of_weighted_soft_margin_terms",
       "for 0/1 targets, each unreduced row is (1/C) Σ_c w_c soft_margin_loss(x_c, 2 y_c - 1) and the input's "
       "gradient is soft_margin_loss's with the incoming gradient w_c / C",
       {loss}, [loss](const context& ctx) {
         case_profile p;
         p.nonfinite = false;
         p.broadcast = false;
         loss_case c = with_reduction(pick(gen_case(loss, pick_dtype(ctx), p)), "none");
         for (auto& v : c.inputs["target"].values) v = v > 0.5 ? 1.0 : 0.0;
         // beyond |x| = 88.7 torch's float32 soft_margin_loss evaluates log(1 + exp(z)) literally and overflows
         // (docs/torch-quirks.md): the identity holds for the values, not for that evaluation
         for (auto& v : c.inputs["input"].values)
           if (std::fabs(v) > 80) v = std::copysign(80.0, v);
         const tensor& x = c.inputs.at("input");
         const auto numel = x.values.size();
         std::vector<double> w(numel, 1.0);
         if (const tensor* wt = c.input("weight")) {
           broadcast_walker walk(wt->shape, x.shape);
           for (auto& v : w) v = wt->values[static_cast<std::size_t>(walk.offset())], walk.next();
         }
         const auto classes = static_cast<std::size_t>(x.shape.back());
         RC_PRE(classes > 0);
         loss_case s;
         s.loss = "soft_margin_loss";
         s.type = c.type;
         s.options["reduction"] = std::string("none");
         s.inputs["input"] = x;
         tensor y = c.inputs.at("target");
         for (auto& v : y.values) v = 2 * v - 1;
         s.inputs["target"] = y;
         std::vector<long double> go(numel);
         for (std::size_t i = 0; i < numel; ++i) go[i] = static_cast<long double>(w[i]) / static_cast<long double>(classes);
         s.grad_output = rounded(c.type, x.shape, go);
         cover(c);
         loss_result r = evaluate(ctx.subject, c);
         require_ok(c, r, ctx.subject);
         const loss_result rs = evaluate(ctx.subject, s);
         require_ok(s, rs, ctx.subject);
         require_grads(s, rs, {"input"}, ctx.subject);
         // expected: the rows of Σ_c w_c soft_c / C, and soft_margin_loss's input gradient
         loss_result expected = r;
         std::vector<long double> rows(numel / classes, 0.0L);
         for (std::size_t i = 0; i < numel; ++i)
           rows[i / classes] += static_cast<long double>(w[i]) * rs.output->values[i] / static_cast<long double>(classes);
         expected.output = rounded(c.type, r.output->shape, rows);
         expected.grads.clear(), expected.unsupported_grads.clear();
         expected.grads["input"] = rs.grads.at("input");
         r.grads.erase("target"), r.grads.erase("weight"), r.unsupported_grads.clear();
         // the subject's two results, each within its own bound: multilabel's (its scales hold every term of the
         // soft-margin sums and their gradients), the input gradient's widened by soft_margin_loss's
         check::tolerance tol = check::tolerance_for(c);
         const check::tolerance ts = check::tolerance_for(s);
         tol.grads["input"] = check::widest(check::tolerance{tol.output, {{"input", tol.grads["input"]}}},
                                            check::tolerance{tol.output, {{"input", ts.grads.at("input")}}})
                                  .grads["input"];
         tol.grads.erase("target"), tol.grads.erase("weight");
         expect_agreement(c, expected, r, ctx.subject, "the soft_margin_loss terms", {&s}, tol);
       }});
}

}  // namespace losscheck::properties::detail

namespace losscheck::properties {

loss_properties multilabel_soft_margin_loss_properties() {
  using namespace ::losscheck::properties::detail::multilabel_soft_margin_loss_property_helpers;
  // both terms are ≥ 0 for targets in [0, 1], so the loss is for non-negative weights
  case_profile nonnegative;
  nonnegative.unit_targets = true;
  nonnegative.nonnegative_weights = true;
  return {.generate = generate, .add = detail::add_multilabel_soft_margin_loss, .nonnegative = nonnegative};
}

}  // namespace losscheck::properties
