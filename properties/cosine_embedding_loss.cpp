// Properties of cosine_embedding_loss: the common ones, non-negativity and invariance under positive scaling.

#include <cmath>

#include "support.h"

namespace losscheck::properties::detail {

void add_cosine_embedding_loss(std::vector<property>& out) {
  const std::string loss = "cosine_embedding_loss";
  case_profile nonneg;  // 1 − cos ≥ 0 and max(0, ·) ≥ 0 (down to cos's rounding)
  add_common(out, loss, &nonneg);
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
                   const double floor = (c.type == dtype::float32 ? 0x1p24 : 0x1p53) * 1e-12 * std::ldexp(1.0, 2 * std::max(0, -k) + 2);
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
                   for (auto& v : s.inputs["input1"].values) v = std::ldexp(v, k);
                   cover(s);
                   const auto r = evaluate(ctx.subject, c);
                   require_ok(c, r, ctx.subject);
                   loss_result expected = r;
                   for (auto& v : expected.grads["input1"].values) v = std::ldexp(v, -k);
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
