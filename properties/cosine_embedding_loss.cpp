// Properties of cosine_embedding_loss: the common ones, non-negativity and invariance under positive scaling.

#include <cmath>

#include "losscheck/dtype_traits.h"
#include "generator_support.h"
#include "loss_properties.h"
#include "support.h"

namespace losscheck::properties::detail {

namespace cosine_embedding_loss_property_helpers {
namespace {

using rc::gen::element;
using rc::gen::inRange;
using rc::gen::weightedElement;

/// The cases of cosine_embedding_loss (loss_properties::generate).
void generate(loss_case& c, const case_profile& p) {
  const dtype t = c.type;
  const auto d = pick(inRange<std::int64_t>(1, 5));
  const auto rows = static_cast<std::int64_t>(pick(weightedElement<int>({{1, 0}, {3, 1}, {4, 2}, {2, 3}})));
  const bool unbatched = p.unbatched && chance(15);
  const shape_t s = unbatched ? shape_t{d} : shape_t{rows, d};
  auto row_values = [&](shape_t shape) {
    tensor x = floats(t, shape, [&] { return pick_real(t, p); });
    // Whole rows scaled up or down (tiny rows exercise the 1e-12 in the denominator).
    if (!p.smooth && chance(25)) {
      const int e = pick(element(-40, -20, -8, 20));
      // (saturating at the dtype's largest value: float16's range ends at 65504, and ±inf is the profile's choice)
      const double max = dtype_traits(t).max_finite;
      for (auto& v : x.values) v = round_to(std::isfinite(v) ? std::clamp(std::ldexp(v, e), -max, max) : v, t);
    }
    return x;
  };
  c.inputs["input1"] = row_values(s);
  shape_t s2 = s;
  if (p.broadcast && !unbatched && chance(15)) s2[0] = 1;
  if (p.invalid && chance(10)) s2.back() += 1;
  c.inputs["input2"] = row_values(s2);
  const shape_t ts = unbatched ? shape_t{} : shape_t{rows};
  std::vector<double> ys(static_cast<std::size_t>(numel_of(ts)));
  for (auto& y : ys) y = pick(weightedElement<double>({{6, 1.0}, {6, -1.0}, {p.smooth ? 0 : 1, 0.0}, {p.smooth ? 0 : 1, 2.0}}));
  if (chance(25)) {
    std::vector<std::int64_t> yi(ys.begin(), ys.end());
    c.inputs["target"] = tensor::int64s(ts, std::move(yi));
  } else {
    c.inputs["target"] = tensor::floats(t, ts, std::move(ys));
  }
  if (chance(40)) c.options["margin"] = pick(element(0.0, 0.5, -0.5, 0.25, 1.0));
}

/// Finite differences: rows away from the zero vector and from the hinge's kink cos = margin
/// (loss_properties::away_from_kinks).
void away_from_kinks(const loss_case& c) {
  const auto& a = c.inputs.at("input1");
  const auto& b = c.inputs.at("input2");
  const auto d = static_cast<std::size_t>(a.shape.back());
  const auto margin_it = c.options.find("margin");
  const double margin = margin_it != c.options.end() ? std::get<double>(margin_it->second) : 0.0;
  for (std::size_t r = 0; r * d < a.values.size(); ++r) {
    double dot = 0, na = 0, nb = 0;
    for (std::size_t j = 0; j < d; ++j) {
      const double x = a.values[r * d + j], y = b.values[(b.values.size() == d ? 0 : r) * d + j];
      dot += x * y, na += x * x, nb += y * y;
    }
    RC_PRE(na > 0.1 && nb > 0.1);
    RC_PRE(std::fabs(dot / std::sqrt(na * nb) - margin) > 0.05);
  }
}

}  // namespace
}  // namespace cosine_embedding_loss_property_helpers

void add_cosine_embedding_loss(std::vector<property>& out) {
  using namespace ::losscheck::properties::detail::cosine_embedding_loss_property_helpers;
  const std::string loss = "cosine_embedding_loss";
  out.push_back({loss, "cosine_embedding_loss_is_unchanged_by_positive_scaling",
                 "scaling input1 by 2^k (k ∈ [−8, 8], exact) leaves the loss unchanged and divides input1's gradient "
                 "by 2^k, for rows whose squared norms dwarf the 1e-12 in the denominator",
                 {loss}, [loss](const context& ctx) {
                   case_profile p;
                   p.grad_output = false;
                   p.broadcast = false;
                   loss_case c = pick(gen_case(loss, pick_dtype(ctx), p));
                   const int k = pick(rc::gen::inRange(-8, 9));
                   // the 1e-12 added to Σx² must be below half an ULP of it, before and after scaling
                   const double floor = (1 / dtype_traits(c.type).unit_roundoff) * 1e-12 * std::ldexp(1.0, 2 * std::max(0, -k) + 2);
                   const auto d = static_cast<std::size_t>(c.inputs["input1"].shape.back());
                   for (const char* name : {"input1", "input2"}) {
                     const auto& v = c.inputs[name].values;
                     for (std::size_t r = 0; r * d < v.size(); ++r) {
                       double s = 0;
                       for (std::size_t j = 0; j < d; ++j) s += v[r * d + j] * v[r * d + j];
                       RC_PRE(std::isfinite(s) && s > floor && s < 1e30);
                     }
                   }
                   pick_grad_output(c);
                   loss_case s = c;
                   for (auto& v : s.inputs["input1"].values) {
                     v = std::ldexp(v, k);
                     // a half row: 2^k·x must be a value of the dtype (float16 ends at 65504 and its subnormals
                     // below 2^-14 lose bits)
                     if (is_half(c.type)) RC_PRE(round_to(v, c.type) == v);
                   }
                   cover(s);
                   const auto r = evaluate(ctx.subject, c);
                   require_ok(c, r, ctx.subject);
                   loss_result expected = r;
                   for (auto& v : expected.grads["input1"].values) {
                     v = std::ldexp(v, -k);
                     if (is_half(c.type)) RC_PRE(round_to(v, c.type) == v);  // likewise the divided gradient
                   }
                   // Both results are the subject's: each within its own case's tolerance, so the agreement bound
                   // is the wider of the two (input1's gradient scales of c divided by 2^k as its values are).
                   // Not just s's: the underflow terms are absolute (λ), not scale invariant (float32 c = [-4194304,
                   // 16384, 0, 2^-8], k = -8: torch's h2 = g·dot/den²/(2 den) is subnormal in c, not in s).
                   check::tolerance tc = check::tolerance_for(c);
                   for (auto& v : tc.grads["input1"].scale) v = std::ldexp(v, -k);
                   for (auto& v : tc.grads["input1"].slack) v = std::ldexp(v, -k);
                   expect_agreement(s, expected, evaluate(ctx.subject, s), ctx.subject, "the unscaled case", {&c},
                                    check::widest(check::tolerance_for(s), tc));
                 }});
}

}  // namespace losscheck::properties::detail

namespace losscheck::properties {

loss_properties cosine_embedding_loss_properties() {
  using namespace ::losscheck::properties::detail::cosine_embedding_loss_property_helpers;
  // 1 − cos ≥ 0 and max(0, ·) ≥ 0 (down to cos's rounding)
  return {.generate = generate,
          .add = detail::add_cosine_embedding_loss,
          .nonnegative = case_profile{},
          .away_from_kinks = away_from_kinks};
}

}  // namespace losscheck::properties
