// Properties of cross_entropy: the common ones, ignore_index and K-dim (shared with nll_loss), non-negativity, and
// its identities: nll of log_softmax, entropy plus kl_div, label smoothing as smoothed probability targets, class
// indices as one-hot probabilities, and invariance under a constant added to a row of logits.

#include <fmt/format.h>

#include <cmath>

#include "generator_support.h"
#include "loss_properties.h"
#include "support.h"

namespace losscheck::properties::detail {
namespace cross_entropy_property_helpers {
namespace {

const std::string ce = "cross_entropy";

std::int64_t classes_of(const tensor& in) { return in.dim() == 1 ? in.shape[0] : in.shape[1]; }
std::int64_t inner_of(const tensor& in) {
  std::int64_t k = 1;
  for (std::int64_t d = 2; d < in.dim(); ++d) k *= in.shape[static_cast<std::size_t>(d)];
  return in.dim() == 1 ? 1 : k;
}

bool all_finite(const tensor& t) {
  for (double v : t.values)
    if (!std::isfinite(v)) return false;
  return true;
}

/// The probability target (1−ε)·onehot(y) + ε/C of a class-index case, rounded once to the dtype.
tensor smoothed_one_hot(const loss_case& c, double eps) {
  const tensor& in = c.inputs.at("input");
  const std::int64_t cl = classes_of(in), inner = inner_of(in), n = in.dim() == 1 ? 1 : in.shape[0];
  std::vector<long double> t(in.values.size());
  const auto& y = c.inputs.at("target").ints;
  for (std::int64_t b = 0; b < n; ++b)
    for (std::int64_t j = 0; j < cl; ++j)
      for (std::int64_t k = 0; k < inner; ++k)
        t[static_cast<std::size_t>((b * cl + j) * inner + k)] =
            (y[static_cast<std::size_t>(b * inner + k)] == j ? 1.0L - eps : 0.0L) + static_cast<long double>(eps) / cl;
  return rounded(c.type, in.shape, t);
}

/// class-index ↔ probability-target equivalence: `eps_index` is the smoothing of the index case, `eps_prob` that
/// of the probability case, whose target is (1 − eps_index)·onehot + eps_index/C.
void check_index_equals_probability(const context& ctx, double eps_index, double eps_prob, bool eps_in_target) {
  case_profile p;
  p.targets = case_profile::target_kind::index;
  p.weights = false;
  p.ignore = false;
  p.smoothing = false;
  p.grad_output = false;
  loss_case c = pick(gen_case(ce, pick_dtype(ctx), p));
  RC_PRE(all_finite(c.inputs["input"]));
  if (eps_index != 0) c.options["label_smoothing"] = eps_index;
  pick_grad_output(c);
  loss_case q = c;
  q.options.erase("label_smoothing");
  if (eps_prob != 0) q.options["label_smoothing"] = eps_prob;
  q.inputs["target"] = smoothed_one_hot(c, eps_in_target ? eps_index : 0.0);
  cover(c);
  const auto rq = evaluate(ctx.subject, q);
  require_ok(q, rq, ctx.subject);
  loss_result expected;
  expected.output = rq.output;
  if (const tensor* g = subject_grad(q, rq, "input", ctx.subject)) expected.grads["input"] = *g;
  else expected.unsupported_grads = rq.unsupported_grads;
  expect_agreement(c, expected, evaluate(ctx.subject, c), ctx.subject, "the probability-target case", {&q});
}

}  // namespace
}  // namespace cross_entropy_property_helpers

void add_cross_entropy(std::vector<property>& out) {
  using namespace ::losscheck::properties::detail::cross_entropy_property_helpers;

  out.push_back({ce, "cross_entropy_equals_nll_of_log_softmax",
                 "cross_entropy(x, y) = nll_loss(log_softmax(x), y) for every weight/ignore_index/reduction "
                 "(log_softmax in long double, rounded once); gradients chain through log_softmax",
                 {ce, "nll_loss"}, [](const context& ctx) {
                   case_profile p;
                   p.targets = case_profile::target_kind::index;
                   p.smoothing = false;
                   p.grad_output = false;
                   loss_case c = pick(gen_case(ce, pick_dtype(ctx), p));
                   RC_PRE(all_finite(c.inputs["input"]));
                   pick_grad_output(c);
                   loss_case l = c;
                   l.loss = "nll_loss";
                   const auto lsm = log_softmax(c.inputs["input"]);
                   l.inputs["input"] = rounded(c.type, c.inputs["input"].shape, lsm);
                   // log-probabilities beyond the dtype's range (float16: below −65520) round to −inf: the identity
                   // needs them in the dtype
                   for (double v : l.inputs["input"].values) RC_PRE(std::isfinite(v));
                   cover(c);
                   const auto rl = evaluate(ctx.subject, l);
                   if (rl.error) return;
                   // d/dx = g_lsm − softmax · Σ_classes g_lsm, per position
                   const tensor& in = c.inputs["input"];
                   const std::int64_t cl = classes_of(in), inner = inner_of(in), n = in.dim() == 1 ? 1 : in.shape[0];
                   loss_result expected = rl;
                   const tensor* gl_tensor = subject_grad(l, rl, "input", ctx.subject);
                   if (!gl_tensor) {  // no input gradient to chain: the outputs alone
                     expect_agreement(c, expected, evaluate(ctx.subject, c), ctx.subject,
                                      "nll_loss of the rounded log_softmax", {&l});
                     return;
                   }
                   const auto& gl = gl_tensor->values;
                   std::vector<long double> gx(gl.size());
                   for (std::int64_t b = 0; b < n; ++b)
                     for (std::int64_t k = 0; k < inner; ++k) {
                       auto at = [&](std::int64_t j) { return static_cast<std::size_t>((b * cl + j) * inner + k); };
                       long double s = 0;
                       for (std::int64_t j = 0; j < cl; ++j) s += gl[at(j)];
                       for (std::int64_t j = 0; j < cl; ++j) gx[at(j)] = gl[at(j)] - std::exp(lsm[at(j)]) * s;
                     }
                   expected.grads["input"] = rounded(c.type, in.shape, gx);
                   expect_agreement(c, expected, evaluate(ctx.subject, c), ctx.subject,
                                    "nll_loss of the rounded log_softmax", {&l});
                 }});

  out.push_back({ce, "cross_entropy_is_entropy_plus_kl_div_of_log_softmax",
                 "per sample, cross_entropy(x, p, none) = H(p) + Σ_c kl_div(log_softmax(x), p, none)",
                 {ce, "kl_div"}, [](const context& ctx) {
                   case_profile p;
                   p.targets = case_profile::target_kind::probability;
                   p.weights = false;
                   p.smoothing = false;
                   p.ignore = false;
                   p.kdim = false;
                   p.unbatched = false;
                   p.unit_targets = true;
                   p.reduction = "none";
                   p.grad_output = false;
                   const loss_case c = pick(gen_case(ce, pick_dtype(ctx), p));
                   RC_PRE(all_finite(c.inputs.at("input")));
                   const tensor& in = c.inputs.at("input");
                   const tensor& t = c.inputs.at("target");
                   const auto lsm = log_softmax(in);
                   loss_case k;
                   k.loss = "kl_div";
                   k.type = c.type;
                   k.options["reduction"] = std::string("none");
                   k.inputs["input"] = rounded(c.type, in.shape, lsm);
                   // log_softmax beyond the dtype's range (float16: below −65520) rounds to −inf, where kl_div's
                   // 0 · (log 0 − x) is NaN: the identity needs the log-probabilities in the dtype
                   for (double v : k.inputs["input"].values) RC_PRE(std::isfinite(v));
                   k.inputs["target"] = t;
                   cover(c);
                   const auto rk = evaluate(ctx.subject, k);
                   const auto rc_ = evaluate(ctx.subject, c);
                   require_ok(k, rk, ctx.subject);
                   require_ok(c, rc_, ctx.subject);
                   discard_if_half_overflow(ctx.subject, k, rk);
                   const auto n = static_cast<std::size_t>(in.shape[0]), cl = static_cast<std::size_t>(in.shape[1]);
                   const auto tol = check::tolerance_for(c);
                   std::vector<long double> expected(n);
                   std::vector<double> scale(n);
                   for (std::size_t i = 0; i < n; ++i) {
                     long double h = 0, s = tol.output.scale[i];
                     for (std::size_t j = 0; j < cl; ++j) {
                       const long double pj = t.values[i * cl + j];
                       if (pj > 0) h -= pj * std::log(pj);
                       expected[i] += rk.output->values[i * cl + j];
                       // each kl_div term's own scale |p|(|log p| + |lsm| + 1) (docs/tolerances.md, kl_div)
                       s += std::fabs(pj) * ((pj > 0 ? std::fabs(std::log(pj)) : 0) + std::fabs(lsm[i * cl + j]) + 1);
                     }
                     expected[i] += h;
                     scale[i] = static_cast<double>(s);
                   }
                   // bound: cross_entropy's own k plus 4 per kl_div term and C for their sum
                   expect_close(c, "output", rounded(c.type, {static_cast<std::int64_t>(n)}, expected), *rc_.output,
                                scale, tol.output.bound_ulps + 5.0 * static_cast<double>(cl), ctx.subject, {&k});
                 }});

  out.push_back({ce, "label_smoothing_equals_smoothed_probability_targets",
                 "class targets with ε equal probability targets (1−ε)·onehot + ε/C (no weight, nothing ignored)",
                 {ce}, [](const context& ctx) {
                   const double eps = pick(rc::gen::element(0.1, 0.25, 0.5, 1.0, 0.05));
                   check_index_equals_probability(ctx, eps, 0.0, true);
                 }});

  out.push_back({ce, "class_index_targets_equal_one_hot_probability_targets",
                 "class-index targets equal one-hot probability targets when there is no weight (ε = 0, and with the "
                 "same ε applied on both sides)",
                 {ce}, [](const context& ctx) {
                   const double eps = pick(rc::gen::element(0.0, 0.0, 0.1, 0.5));
                   check_index_equals_probability(ctx, eps, eps, false);
                 }});

  out.push_back({ce, "adding_a_constant_to_a_row_of_logits_leaves_cross_entropy_unchanged",
                 "softmax is shift-invariant: x[n, :, ...] + a gives the same loss and gradients (within the bound of "
                 "the shifted case: rounding x + a moves log_softmax by u·|x + a|)",
                 {ce}, [](const context& ctx) {
                   case_profile p;
                   loss_case c = pick(gen_case(ce, pick_dtype(ctx), p));
                   RC_PRE(all_finite(c.inputs["input"]) && c.inputs["input"].numel() > 0);
                   loss_case s = c;
                   tensor& in = s.inputs["input"];
                   const auto n = in.dim() == 1 ? 1 : in.shape[0];
                   const auto row = static_cast<std::size_t>(in.numel() / n);
                   const auto b = static_cast<std::size_t>(pick(rc::gen::inRange<std::int64_t>(0, n)));
                   const double a = pick(rc::gen::element(1.0, -3.0, 0.5, 1000.0, -0.125, 64.0));
                   for (std::size_t i = b * row; i < (b + 1) * row; ++i) {
                     // a half row: the shift must be exact (rounding x + a at 8 or 11 bits perturbs the logits by
                     // more than the half bound's float32 part allows for); float32/float64 rows allow for it
                     if (is_half(c.type)) RC_PRE(round_to(in.values[i] + a, c.type) == in.values[i] + a);
                     in.values[i] = round_to(in.values[i] + a, c.type);
                   }
                   cover(s);
                   const auto r = evaluate(ctx.subject, c);
                   if (r.error) return;
                   expect_agreement(s, r, evaluate(ctx.subject, s), ctx.subject, fmt::format("the unshifted case (row {} + {})", b, a), {&c});
                 }});
}

}  // namespace losscheck::properties::detail

namespace losscheck::properties {

loss_properties cross_entropy_properties() {
  using namespace ::losscheck::properties::detail::cross_entropy_property_helpers;
  return {.generate = detail::generate_class_index_case,
          .add = detail::add_cross_entropy,
          .nonnegative = [] {
    case_profile p;  // w ≥ 0 and targets ≥ 0: −Σ w t log p ≥ 0 since log p ≤ 0
    p.unit_targets = true;
    p.nonnegative_weights = true;
    return p;
  }()};
}

}  // namespace losscheck::properties
