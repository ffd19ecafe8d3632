// Properties of smooth_l1_loss: the common ones, non-negativity, beta = 0 against l1_loss, and both branches
// against the reference on either side of the kink |x − t| = beta and at it.

#include <cmath>
#include <limits>

#include "generator_support.h"
#include "losscheck/check.h"
#include "losscheck/dtype_traits.h"
#include "loss_properties.h"
#include "support.h"

namespace losscheck::properties::detail {

namespace smooth_l1_loss_property_helpers {
namespace {

/// A beta torch accepts: ±0 (l1_loss's values; -0.0 >= 0 passes torch's check), the default (absent), powers of
/// two, a float32 number that is not (0.1f), a large one; negative ones when p.invalid (NaN, which
/// torch's check rejects too, is left to the spot tests: a case's options travel as JSON numbers). Every value is a float32 number, so a float32
/// case's beta means the same to ATen's forward (float(beta)) and its scalar backward (the double beta).
void pick_beta(loss_case& c, const case_profile& p) {
  const double tenth = static_cast<double>(0.1f);
  std::vector<std::pair<int, double>> betas = {{3, 1.0}, {3, 0.0}, {1, -0.0}, {2, 0.5}, {2, 2.0}, {2, tenth},
                                               {1, 1024.0}, {1, 0.0009765625}};
  if (p.invalid) betas.insert(betas.end(), {{2, -1.0}, {1, -0.0009765625}});
  if (chance(20)) return;  // the default, 1.0
  c.options["beta"] = pick_weighted(betas);
}

double beta_of(const loss_case& c) {
  const auto it = c.options.find("beta");
  return it == c.options.end() ? 1.0 : std::get<double>(it->second);
}

/// The cases of smooth_l1_loss (loss_properties::generate): elementwise shapes and values as mse_loss's, some exact
/// ties x = t and some differences within a few ULPs of ±beta. Under the smooth profile (finite differences) beta is
/// a power of two at least max(1, |x|) and every |x − t| lies in [0, 0.7] beta or [1.3, 3] beta: the steps (at most
/// 2^-6 of max(1, |v|) ≤ beta/16) never cross the kink.
void generate(loss_case& c, const case_profile& p) {
  const dtype t = c.type;
  const shape_t s = pick_elementwise_shape(p);
  const auto real = [&] { return pick_real(t, p); };
  tensor a = floats(t, s, real);
  if (p.smooth) {
    double m = 1;
    for (double v : a.values) m = std::max(m, std::fabs(v));
    const double beta = std::ldexp(1.0, std::ilogb(m) + 1 + pick(rc::gen::inRange(0, 2)));
    tensor b = a;
    for (auto& v : b.values) {
      const double r = chance(50) ? pick(rc::gen::inRange(0, 71)) / 100.0 : 1.3 + pick(rc::gen::inRange(0, 171)) / 100.0;
      v = round_to(chance(50) ? v + r * beta : v - r * beta, dtype::float32);
    }
    c.options["beta"] = beta;
    c.inputs["input"] = a;
    c.inputs["target"] = b;
    return;
  }
  pick_beta(c, p);
  const double beta = beta_of(c);
  const bool swap = chance(30);
  tensor b = floats(t, pick_broadcast_of(s, p), real);
  if (b.shape == a.shape && chance(30)) {  // ties, and differences at ±beta (rounded), per element
    for (std::size_t i = 0; i < b.values.size(); ++i) {
      const int k = pick(rc::gen::inRange(0, 4));
      if (k == 0) b.values[i] = a.values[i];
      if (k == 1 && std::isfinite(beta)) b.values[i] = round_to(a.values[i] - (chance(50) ? beta : -beta), t);
    }
  }
  c.inputs["input"] = swap ? b : a;
  c.inputs["target"] = swap ? a : b;
  elementwise_invalid_shapes(c, p);
}

/// The incoming gradient of element i of a case without broadcasting (grad_output[i], or grad_output / n for mean).
long double incoming(const loss_case& c, std::size_t i, std::size_t n) {
  const std::string red = effective_reduction(c);
  long double g = c.grad_output ? c.grad_output->values[red == "none" ? i : 0] : 1.0L;
  if (red == "mean") g /= static_cast<long double>(n);
  return g;
}

}  // namespace
}  // namespace smooth_l1_loss_property_helpers

void add_smooth_l1_loss(std::vector<property>& out) {
  using namespace ::losscheck::properties::detail::smooth_l1_loss_property_helpers;
  const std::string loss = "smooth_l1_loss";
  out.push_back({loss, "smooth_l1_loss_at_beta_0_equals_l1_loss",
                 "smooth_l1_loss(beta = 0) = l1_loss in value; in gradient too, except where torch's "
                 "smooth_l1_loss_backward differs from abs's: at x = t both gradients are −g (l1_loss: 0) and a NaN "
                 "difference gives NaN (l1_loss: 0)",
                 {loss, "l1_loss"}, [loss](const context& ctx) {
                   case_profile p;
                   p.nonfinite = pick(rc::gen::inRange(0, 100)) < 15;
                   p.broadcast = false;
                   loss_case c = pick(gen_case(loss, pick_dtype(ctx), p));
                   c.options["beta"] = 0.0;
                   loss_case l = c;
                   l.loss = "l1_loss";
                   l.options.erase("beta");
                   cover(c);
                   const auto r = evaluate(ctx.subject, c);
                   require_ok(c, r, ctx.subject);
                   loss_result expected = evaluate(ctx.subject, l);
                   require_ok(l, expected, ctx.subject);
                   const tensor& x = c.inputs.at("input");
                   const tensor& t = c.inputs.at("target");
                   if (expected.grads.count("input") && expected.grads.count("target") && x.shape == t.shape) {
                     const auto n = x.values.size();
                     for (std::size_t i = 0; i < n; ++i) {
                       const double d = x.values[i] - t.values[i];
                       if (d != 0 && !std::isnan(d)) continue;
                       const long double g = incoming(c, i, n);
                       const long double v = std::isnan(d) ? std::numeric_limits<long double>::quiet_NaN() : -g;
                       expected.grads["input"].values[i] = expected.grads["target"].values[i] =
                           round_long(v, c.type);
                     }
                   } else {  // a program without both gradients: the outputs alone
                     expected.grads.clear(), expected.unsupported_grads.clear();
                   }
                   loss_result got = r;
                   if (expected.grads.empty()) got.grads.clear(), got.unsupported_grads.clear();
                   expect_agreement(c, expected, got, ctx.subject, "l1_loss on the same inputs", {&l},
                                    check::widest(check::tolerance_for(c), check::tolerance_for(l)));
                 }});
  out.push_back({loss, "smooth_l1_loss_branches_agree_with_the_reference_around_the_kink",
                 "with |x − t| within a few ULPs of beta, below, at and above it (both signs), the value and both "
                 "gradients agree with the reference: the quadratic branch strictly below beta, the linear one from "
                 "beta on (torch's < and <=/>=)",
                 {loss}, [loss](const context& ctx) {
                   const dtype type = pick_dtype(ctx);
                   loss_case c;
                   c.loss = loss;
                   c.type = type;
                   c.options["reduction"] = std::string(pick(rc::gen::element("none", "sum", "mean")));
                   const double beta = pick(rc::gen::element(1.0, 0.5, 3.0, static_cast<double>(0.1f), 1024.0));
                   c.options["beta"] = beta;
                   const auto n = static_cast<std::size_t>(pick(rc::gen::inRange(1, 9)));
                   std::vector<double> x(n), t(n);
                   const double eps = dtype_traits(type).epsilon;
                   for (std::size_t i = 0; i < n; ++i) {
                     x[i] = round_to(static_cast<double>(pick(rc::gen::inRange(-64, 65))) / 8.0, type);
                     const double off = beta * (1 + eps * pick(rc::gen::inRange(-4, 5)));
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

loss_properties smooth_l1_loss_properties() {
  using namespace ::losscheck::properties::detail::smooth_l1_loss_property_helpers;
  // 0.5 d²/beta ≥ 0 and |d| − 0.5 beta ≥ 0.5 beta ≥ 0 (|d| ≥ beta) always
  return {.generate = generate,
          .add = detail::add_smooth_l1_loss,
          .nonnegative = case_profile{}};
}

}  // namespace losscheck::properties
