// Properties of ctc_loss: the generic ones its record lists and its own -- the loss is -log of the sum over every
// alignment (brute force over tiny T), mean is the batch mean of loss / max(target_length, 1), zero_infinity changes
// only the infinite entries and their gradients, concatenated and padded targets agree, an unbatched case equals a
// batch of one, permuting the batch permutes the result, and torch's gradient minus e^log_probs (its quirk:
// docs/torch-quirks.md) is the finite difference of the forward.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "generator_support.h"
#include "loss_properties.h"
#include "losscheck/dtype_traits.h"
#include "losscheck/problem.h"
#include "support.h"

namespace losscheck::properties::detail {

namespace ctc_loss_property_helpers {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::int64_t int_opt(const loss_case& c, const char* name, std::int64_t fallback) {
  const auto it = c.options.find(name);
  return it == c.options.end() || !std::holds_alternative<std::int64_t>(it->second) ? fallback
                                                                                       : std::get<std::int64_t>(it->second);
}

bool flag(const loss_case& c, const char* name, bool fallback) {
  const auto it = c.options.find(name);
  return it == c.options.end() || !std::holds_alternative<bool>(it->second) ? fallback : std::get<bool>(it->second);
}

/// A log-probability: mostly a log-softmax entry of random logits (filled in by generate), else an unnormalized value
/// (torch uses any value as is); with extreme, magnitudes up to 2^14 and subnormals; with nonfinite, -inf (a
/// probability 0) and NaN. Never +inf or a large positive value: torch's max-shifted log-add turns +inf into NaN and
/// large positive sums overflow, neither of which is the CTC model (docs/torch-quirks.md).
double pick_log_prob(dtype t, const case_profile& p) {
  if (p.smooth) return round_to(std::clamp(pick_real(t, p), -3.0, 1.0), dtype::float32);
  if (p.nonfinite && chance(8)) return chance(75) ? -kInf : std::nan("");
  double v = pick_real(t, p);
  if (!std::isfinite(v)) v = -1.0;
  if (std::fabs(v) > 32768) v = std::copysign(std::ldexp(1.0, 14), v);  // the "huge" class: at most 2^14
  return v > 4 ? -v : v;
}

/// The cases of ctc_loss (loss_properties::generate): tiny T, N, C, S so that brute force stays cheap, with every
/// edge class reachable: empty targets, repeated labels (which need a blank between them), impossible alignments
/// (input length below the labels plus the repeats), input lengths below T, a blank other than 0, zero_infinity,
/// unbatched (T, C) log_probs, N = 0, concatenated targets; and, with p.invalid, each length or label rule broken.
void generate(loss_case& c, const case_profile& p) {
  const dtype t = c.type;
  const bool unbatched = p.unbatched && chance(15);
  const std::int64_t n = unbatched ? 1 : std::min<std::int64_t>(pick(rc::gen::weightedElement<std::int64_t>({{1, 0}, {4, 1}, {5, 2}, {3, 3}})), p.max_batch);
  const std::int64_t classes = std::clamp<std::int64_t>(pick(rc::gen::weightedElement<std::int64_t>({{1, 1}, {4, 2}, {5, 3}, {3, 4}})), 1, 4);
  const std::int64_t steps = std::clamp<std::int64_t>(pick(rc::gen::inRange<std::int64_t>(1, 6)), 1, 5);
  const std::int64_t blank = chance(60) ? 0 : pick(rc::gen::inRange<std::int64_t>(0, classes)) % classes;
  if (blank != 0 || chance(10)) c.options["blank"] = blank;
  if (chance(30)) c.options["zero_infinity"] = chance(80);
  // labels and lengths per sequence
  std::vector<std::vector<std::int64_t>> labels(static_cast<std::size_t>(n));
  std::vector<std::int64_t> il(static_cast<std::size_t>(n)), tl(static_cast<std::size_t>(n));
  for (std::int64_t b = 0; b < n; ++b) {
    const auto i = static_cast<std::size_t>(b);
    std::int64_t len = classes == 1 ? 0 : std::clamp<std::int64_t>(pick(rc::gen::weightedElement<std::int64_t>({{2, 0}, {4, 1}, {4, 2}, {2, 3}})), 0, 3);
    for (std::int64_t j = 0; j < len; ++j) {
      std::int64_t k;
      if (j > 0 && chance(30)) k = labels[i].back();  // a repeated label
      else k = (blank + 1 + pick(rc::gen::inRange<std::int64_t>(0, classes - 1)) % (classes - 1)) % classes;
      labels[i].push_back(k);
    }
    tl[i] = len;
    il[i] = chance(65) ? steps : std::clamp<std::int64_t>(pick(rc::gen::inRange<std::int64_t>(1, steps + 1)), 1, steps);
  }
  // log_probs (T, N, C): a normalized log-softmax of random logits (most cases) or the raw values
  const shape_t lp_shape = unbatched ? shape_t{steps, classes} : shape_t{steps, n, classes};
  tensor lp = floats(t, lp_shape, [&] { return pick_log_prob(t, p); });
  if (chance(55) && !p.smooth) {
    for (std::size_t r = 0; r * static_cast<std::size_t>(classes) < lp.values.size(); ++r) {
      long double m = -INFINITY, s = 0;
      for (std::int64_t k = 0; k < classes; ++k) m = std::max<long double>(m, lp.values[r * classes + k]);
      if (!std::isfinite(static_cast<double>(m))) continue;
      for (std::int64_t k = 0; k < classes; ++k) s += std::exp(static_cast<long double>(lp.values[r * classes + k]) - m);
      for (std::int64_t k = 0; k < classes; ++k) {
        auto& v = lp.values[r * classes + k];
        if (std::isfinite(v)) v = round_to(static_cast<double>(static_cast<long double>(v) - m - std::log(s)), t);
      }
    }
  }
  c.inputs["log_probs"] = lp;
  // targets: padded (N, S) with S >= max length (the padding any value, here 1 or the blank), or concatenated
  const bool concatenated = chance(30) || (unbatched && chance(70));
  std::int64_t S = 0;
  for (auto l : tl) S = std::max(S, l);
  if (!concatenated && chance(30)) S += 1;
  std::vector<std::int64_t> ys;
  if (concatenated) {
    for (const auto& l : labels) ys.insert(ys.end(), l.begin(), l.end());
    c.inputs["targets"] = tensor::int64s({static_cast<std::int64_t>(ys.size())}, ys);
  } else {
    ys.assign(static_cast<std::size_t>(n * S), chance(50) ? blank : 0);
    for (std::int64_t b = 0; b < n; ++b)
      for (std::size_t j = 0; j < labels[static_cast<std::size_t>(b)].size(); ++j)
        ys[static_cast<std::size_t>(b * S) + j] = labels[static_cast<std::size_t>(b)][j];
    c.inputs["targets"] = tensor::int64s({n, S}, ys);
  }
  const shape_t len_shape = unbatched && chance(70) ? shape_t{} : shape_t{n};
  c.inputs["input_lengths"] = tensor::int64s(len_shape, il);
  c.inputs["target_lengths"] = tensor::int64s(len_shape, tl);
  if (p.invalid && chance(40)) {
    auto& ilt = c.inputs["input_lengths"].ints;
    auto& tlt = c.inputs["target_lengths"].ints;
    auto& yt = c.inputs["targets"];
    switch (pick(rc::gen::inRange(0, 8))) {
      case 0: if (!ilt.empty()) ilt[0] = steps + 1; break;                       // input length beyond T
      case 1: if (!ilt.empty()) ilt[0] = pick(rc::gen::element<std::int64_t>(std::int64_t{0}, std::int64_t{-1})); break;  // below 1
      case 2: if (!tlt.empty()) tlt[0] = -1; break;                                // negative target length
      case 3: if (!tlt.empty()) tlt[0] += 1; break;                                // beyond S / Σ mismatch
      case 4: if (!yt.ints.empty()) yt.ints[0] = blank; break;                     // a label equal to the blank
      case 5: if (!yt.ints.empty()) yt.ints[0] = pick(rc::gen::element<std::int64_t>(std::int64_t{-1}, std::int64_t{classes})); break;
      case 6: c.options["blank"] = pick(rc::gen::element<std::int64_t>(std::int64_t{classes}, std::int64_t{-1})); break;
      default: c.inputs["input_lengths"] = tensor::int64s({n + 1}, std::vector<std::int64_t>(static_cast<std::size_t>(n + 1), 1));
    }
  }
}

/// log Σ over every path π in C^{T_b} that collapses (repeats merged, then blanks removed) to `labels` of
/// Π e^{u[t][π_t]}, in long double: each path's log weight Σ_t u[t][π_t], then their log-sum-exp shifted by the largest
/// (the weights themselves underflow long double for log_probs near -2^14). -inf when no path collapses to `labels`.
long double brute_force_log_probability(const tensor& lp, bool unbatched, std::int64_t b, std::int64_t Tb,
                                        const std::vector<std::int64_t>& labels, std::int64_t blank) {
  const std::int64_t N = unbatched ? 1 : lp.shape[1], C = lp.shape.back();
  std::vector<std::int64_t> path(static_cast<std::size_t>(Tb), 0);
  std::vector<long double> logs;
  while (true) {
    std::vector<std::int64_t> out;
    std::int64_t prev = -1;
    for (auto k : path) {
      if (k != prev && k != blank) out.push_back(k);
      prev = k;
    }
    if (out == labels) {
      long double w = 0;
      for (std::int64_t t = 0; t < Tb; ++t)
        w += static_cast<long double>(lp.values[static_cast<std::size_t>((t * N + b) * C + path[static_cast<std::size_t>(t)])]);
      logs.push_back(w);
    }
    std::int64_t i = 0;
    while (i < Tb && ++path[static_cast<std::size_t>(i)] == C) path[static_cast<std::size_t>(i++)] = 0;
    if (i == Tb) break;
  }
  if (logs.empty()) return -std::numeric_limits<long double>::infinity();
  const long double m = *std::max_element(logs.begin(), logs.end());
  if (!std::isfinite(static_cast<double>(m))) return m;  // every path through a -inf entry
  long double s = 0;
  for (auto w : logs) s += std::exp(w - m);
  return m + std::log(s);
}

/// The labels of sequence b of a valid case.
std::vector<std::int64_t> labels_of(const loss_case& c, std::int64_t b) {
  const tensor& y = c.inputs.at("targets");
  const auto& tl = c.inputs.at("target_lengths").ints;
  std::int64_t start = 0;
  if (y.dim() == 2) start = b * y.shape[1];
  else for (std::int64_t j = 0; j < b; ++j) start += tl[static_cast<std::size_t>(j)];
  return {y.ints.begin() + start, y.ints.begin() + start + tl[static_cast<std::size_t>(b)]};
}

/// The case with padded targets turned into concatenated ones (or the other way round).
loss_case with_other_target_format(const loss_case& c) {
  loss_case d = c;
  const tensor& y = c.inputs.at("targets");
  const auto n = static_cast<std::int64_t>(c.inputs.at("target_lengths").ints.size());
  if (y.dim() == 2) {
    std::vector<std::int64_t> ys;
    for (std::int64_t b = 0; b < n; ++b) {
      const auto l = labels_of(c, b);
      ys.insert(ys.end(), l.begin(), l.end());
    }
    d.inputs["targets"] = tensor::int64s({static_cast<std::int64_t>(ys.size())}, ys);
  } else {
    std::int64_t S = 0;
    for (auto l : c.inputs.at("target_lengths").ints) S = std::max(S, l);
    std::vector<std::int64_t> ys(static_cast<std::size_t>(n * S), 1);
    for (std::int64_t b = 0; b < n; ++b) {
      const auto l = labels_of(c, b);
      std::copy(l.begin(), l.end(), ys.begin() + b * S);
    }
    d.inputs["targets"] = tensor::int64s({n, S}, ys);
  }
  return d;
}

}  // namespace
}  // namespace ctc_loss_property_helpers

void add_ctc_loss(std::vector<property>& out) {
  using namespace ::losscheck::properties::detail::ctc_loss_property_helpers;
  const std::string loss = "ctc_loss";
  out.push_back({loss, "ctc_loss_is_minus_log_of_the_sum_over_every_alignment",
                 "none: loss_b = -log Σ_π Π_t exp(log_probs[t, b, π_t]) over every path π of length input_lengths[b] "
                 "that collapses to the target (brute force over C^T paths; long double), inf (0 with zero_infinity) "
                 "where there is none",
                 {loss}, [](const context& ctx) {
                   case_profile p;
                   p.reduction = "none";
                   p.grad_output = false;
                   const loss_case c = pick(gen_case("ctc_loss", pick_dtype(ctx), p));
                   cover(c);
                   const auto r = evaluate(ctx.subject, c);
                   require_ok(c, r, ctx.subject);
                   const tensor& lp = c.inputs.at("log_probs");
                   const bool unbatched = lp.dim() == 2;
                   const auto& il = c.inputs.at("input_lengths").ints;
                   const std::int64_t blank = int_opt(c, "blank", 0);
                   std::vector<long double> want;
                   for (std::size_t b = 0; b < il.size(); ++b) {
                     long double l = -brute_force_log_probability(lp, unbatched, static_cast<std::int64_t>(b), il[b],
                                                                  labels_of(c, static_cast<std::int64_t>(b)), blank);
                     if (std::isinf(static_cast<double>(l)) && l > 0 && flag(c, "zero_infinity", false)) l = 0;
                     want.push_back(l);
                   }
                   const auto tol = check::tolerance_for(c);
                   // the brute force's own error: long double sums of at most T terms per path and a log-sum-exp of
                   // at most C^T of them (u = 2^-64, relative to the same magnitudes the tolerance's scale counts):
                   // far below the float64 unit, so the tolerance model's bound plus one rounding covers both
                   expect_close(c, "output", rounded(c.type, r.output->shape, want), *r.output, tol.output.scale,
                                tol.output.bound_ulps + 1, ctx.subject);
                 }});
  out.push_back({loss, "ctc_loss_mean_is_the_batch_mean_of_loss_over_target_length",
                 "mean = (1/N) Σ_b none_b / max(target_lengths[b], 1), and its gradient is the none gradient with "
                 "grad_output g / (N max(target_lengths[b], 1))",
                 {loss}, [](const context& ctx) {
                   case_profile p;
                   p.reduction = "none";
                   p.grad_output = false;
                   p.unbatched = false;
                   loss_case none = pick(gen_case("ctc_loss", pick_dtype(ctx), p));
                   loss_case mean = with_reduction(none, "mean");
                   pick_grad_output(mean);
                   const double g = mean.grad_output ? mean.grad_output->values[0] : 1.0;
                   const auto& tl = none.inputs.at("target_lengths").ints;
                   const auto n = static_cast<long double>(tl.size());
                   RC_PRE(!tl.empty());
                   std::vector<long double> gb;
                   for (auto l : tl) gb.push_back(g / n / static_cast<long double>(std::max<std::int64_t>(l, 1)));
                   none.grad_output = rounded(none.type, output_shape_of(none), gb);
                   cover(mean);
                   const auto rn = evaluate(ctx.subject, none);
                   require_ok(none, rn, ctx.subject);
                   const auto rm = evaluate(ctx.subject, mean);
                   require_ok(mean, rm, ctx.subject);
                   long double m = 0;
                   for (std::size_t b = 0; b < tl.size(); ++b)
                     m += static_cast<long double>(rn.output->values[b]) / std::max<std::int64_t>(tl[b], 1);
                   m /= n;
                   loss_result expected = rn;
                   expected.output = rounded(mean.type, {}, {m});
                   expect_agreement(mean, expected, rm, ctx.subject,
                                    "the subject's none output divided by the target lengths, averaged", {&none});
                 }});
  out.push_back({loss, "ctc_loss_zero_infinity_changes_only_the_infinite_losses_and_their_gradients",
                 "none: with zero_infinity, an infinite loss (no alignment) becomes 0 and its sequence's gradient 0; "
                 "every other loss and gradient is what zero_infinity=False gives",
                 {loss}, [](const context& ctx) {
                   case_profile p;
                   p.reduction = "none";
                   loss_case off = pick(gen_case("ctc_loss", pick_dtype(ctx), p));
                   off.options["zero_infinity"] = false;
                   loss_case on = off;
                   on.options["zero_infinity"] = true;
                   cover(on);
                   const auto r0 = evaluate(ctx.subject, off);
                   require_ok(off, r0, ctx.subject);
                   const auto r1 = evaluate(ctx.subject, on);
                   require_ok(on, r1, ctx.subject);
                   require_grads(on, r1, {"log_probs"}, ctx.subject);
                   require_grads(off, r0, {"log_probs"}, ctx.subject);
                   loss_result expected = r0;
                   const tensor& lp = off.inputs.at("log_probs");
                   const std::int64_t N = lp.dim() == 3 ? lp.shape[1] : 1, C = lp.shape.back();
                   bool any = false;
                   for (std::int64_t b = 0; b < static_cast<std::int64_t>(expected.output->values.size()); ++b) {
                     auto& v = expected.output->values[static_cast<std::size_t>(b)];
                     if (!(std::isinf(v) && v > 0)) continue;
                     any = true;
                     v = 0;
                     auto& gr = expected.grads.at("log_probs").values;
                     for (std::int64_t t = 0; t < lp.shape[0]; ++t)
                       for (std::int64_t k = 0; k < C; ++k) gr[static_cast<std::size_t>((t * N + b) * C + k)] = 0;
                   }
                   RC_TAG(any ? "an infinite loss" : "all finite");
                   expect_agreement(on, expected, r1, ctx.subject, "zero_infinity=False with its infinite losses zeroed",
                                    {&off});
                 }});
  out.push_back({loss, "ctc_loss_concatenated_and_padded_targets_give_the_same_result",
                 "the same labels as padded (N, S) targets and as 1-D concatenated targets give the same output and "
                 "gradients",
                 {loss}, [](const context& ctx) {
                   const loss_case c = pick(gen_case("ctc_loss", pick_dtype(ctx), case_profile{}));
                   const auto r = evaluate(ctx.subject, c);
                   if (r.error) RC_DISCARD("rejected");
                   const loss_case d = with_other_target_format(c);
                   cover(d);
                   RC_TAG(c.inputs.at("targets").dim() == 2 ? "padded to concatenated" : "concatenated to padded");
                   expect_agreement(d, r, evaluate(ctx.subject, d), ctx.subject, "the other target format", {&c});
                 }});
  out.push_back({loss, "ctc_loss_unbatched_equals_a_batch_of_one",
                 "(T, C) log_probs with 0-D (or (1)) lengths give what (T, 1, C) gives, output squeezed",
                 {loss}, [](const context& ctx) {
                   case_profile p;
                   p.max_batch = 1;
                   p.unbatched = false;
                   p.grad_output = false;
                   loss_case b = pick(gen_case("ctc_loss", pick_dtype(ctx), p));
                   RC_PRE(b.inputs.at("log_probs").dim() == 3 && b.inputs.at("log_probs").shape[1] == 1);
                   loss_case u = b;
                   auto& lp = u.inputs["log_probs"];
                   lp.shape.erase(lp.shape.begin() + 1);
                   if (chance(50)) u.inputs["input_lengths"].shape = {}, u.inputs["target_lengths"].shape = {};
                   pick_grad_output(u);
                   if (u.grad_output) {
                     b.grad_output = *u.grad_output;
                     b.grad_output->shape = output_shape_of(b);
                   }
                   cover(u);
                   const auto rb = evaluate(ctx.subject, b);
                   if (rb.error) RC_DISCARD("rejected");
                   loss_result expected = rb;
                   expected.output->shape = output_shape_of(u);
                   for (auto& [name, g] : expected.grads) g.shape = u.inputs.at(name).shape;
                   expect_agreement(u, expected, evaluate(ctx.subject, u), ctx.subject, "the batch of one", {&b});
                 }});
  out.push_back({loss, "ctc_loss_is_unchanged_by_permuting_the_batch",
                 "permuting the sequences (dimension 1 of log_probs, the target rows, both lengths) permutes the none "
                 "output and the gradient and leaves sum and mean unchanged",
                 {loss}, [](const context& ctx) {
                   case_profile p;
                   p.unbatched = false;
                   p.grad_output = false;
                   loss_case c = pick(gen_case("ctc_loss", pick_dtype(ctx), p));
                   const auto r = evaluate(ctx.subject, c);
                   if (r.error) RC_DISCARD("rejected");
                   const tensor& lp = c.inputs.at("log_probs");
                   const std::int64_t T = lp.shape[0], N = lp.shape[1], C = lp.shape[2];
                   RC_PRE(N >= 2);
                   std::vector<std::int64_t> perm(static_cast<std::size_t>(N));
                   std::iota(perm.begin(), perm.end(), 0);
                   for (std::int64_t i = N - 1; i > 0; --i) std::swap(perm[i], perm[pick(rc::gen::inRange<std::int64_t>(0, i + 1))]);
                   loss_case q = c;
                   auto permute_lp = [&](const tensor& x) {
                     tensor o = x;
                     for (std::int64_t t = 0; t < T; ++t)
                       for (std::int64_t b = 0; b < N; ++b)
                         for (std::int64_t k = 0; k < C; ++k)
                           o.values[static_cast<std::size_t>((t * N + b) * C + k)] = x.values[static_cast<std::size_t>((t * N + perm[b]) * C + k)];
                     return o;
                   };
                   q.inputs["log_probs"] = permute_lp(lp);
                   std::vector<std::int64_t> il, tl, ys;
                   for (std::int64_t b = 0; b < N; ++b) {
                     il.push_back(c.inputs.at("input_lengths").ints[static_cast<std::size_t>(perm[b])]);
                     tl.push_back(c.inputs.at("target_lengths").ints[static_cast<std::size_t>(perm[b])]);
                   }
                   q.inputs["input_lengths"].ints = il;
                   q.inputs["target_lengths"].ints = tl;
                   const tensor& y = c.inputs.at("targets");
                   if (y.dim() == 2) {
                     for (std::int64_t b = 0; b < N; ++b)
                       ys.insert(ys.end(), y.ints.begin() + perm[b] * y.shape[1], y.ints.begin() + (perm[b] + 1) * y.shape[1]);
                   } else {
                     for (std::int64_t b = 0; b < N; ++b) {
                       const auto l = labels_of(c, perm[b]);
                       ys.insert(ys.end(), l.begin(), l.end());
                     }
                   }
                   q.inputs["targets"].ints = ys;
                   cover(q);
                   loss_result expected = r;
                   if (effective_reduction(c) == "none") {
                     for (std::int64_t b = 0; b < N; ++b)
                       expected.output->values[static_cast<std::size_t>(b)] = r.output->values[static_cast<std::size_t>(perm[b])];
                   }
                   for (auto& [name, g] : expected.grads) g = permute_lp(g);
                   expect_agreement(q, expected, evaluate(ctx.subject, q), ctx.subject, "the unpermuted batch", {&c});
                 }});
  out.push_back({loss, "ctc_loss_gradient_minus_exp_log_probs_is_the_finite_difference_of_the_forward",
                 "torch's gradient is (e^u - γ) g: minus g e^u it is g d(loss)/du, which the central difference of "
                 "the sum output matches within its truncation and rounding bounds",
                 {loss}, [](const context& ctx) {
                   case_profile p;
                   p.smooth = true;
                   p.nonfinite = false;
                   p.invalid = false;
                   p.reduction = "sum";
                   p.grad_output = false;
                   loss_case c = pick(gen_case("ctc_loss", pick_dtype(ctx), p));
                   c.options.erase("zero_infinity");
                   pick_grad_output(c);
                   cover(c);
                   const auto r = evaluate(ctx.subject, c);
                   require_ok(c, r, ctx.subject);
                   require_grads(c, r, {"log_probs"}, ctx.subject);
                   RC_PRE(std::isfinite(r.output->values[0]));
                   const double g = c.grad_output ? c.grad_output->values[0] : 1.0;
                   const auto tol = check::tolerance_for(c);
                   const double u = dtype_traits(c.type).unit_roundoff;
                   const double h = c.type == dtype::float32 ? 0x1p-8 : 0x1p-18;
                   const tensor& lp = c.inputs.at("log_probs");
                   const auto& grad = r.grads.at("log_probs").values;
                   loss_case plain = c;
                   plain.grad_output.reset();
                   const std::size_t i = pick(rc::gen::inRange<std::size_t>(0, lp.values.size()));
                   const double x = lp.values[i];
                   const double xp = round_to(x + h, c.type), xm = round_to(x - h, c.type);
                   auto at = [&](double v) {
                     loss_case d = plain;
                     d.inputs["log_probs"].values[i] = v;
                     const auto rr = evaluate(ctx.subject, d);
                     require_ok(d, rr, ctx.subject);
                     return static_cast<long double>(rr.output->values[0]);
                   };
                   const long double fd = (at(xp) - at(xm)) / (xp - xm);
                   // beyond its sequence's input length the gradient is 0 (and the forward does not depend on u there)
                   const std::int64_t N = lp.dim() == 3 ? lp.shape[1] : 1, C = lp.shape.back();
                   const auto t_of = static_cast<std::int64_t>(i) / (N * C), b_of = (static_cast<std::int64_t>(i) / C) % N;
                   const bool used = t_of < c.inputs.at("input_lengths").ints[static_cast<std::size_t>(b_of)];
                   const long double an =
                       (static_cast<long double>(grad[i]) - (used ? g * std::exp(static_cast<long double>(x)) : 0.0L)) / g;
                   // u[t][k] enters the probability of its sequence linearly through y = e^u (an alignment passes
                   // one state at a time t): loss = -log(a e^u + c) with a, c >= 0, whose third derivative
                   // σ(1 - σ)(1 - 2σ) is below 1/(6√3) < 0.1 in magnitude: truncation <= 0.1 h² / 6. Each forward
                   // value is within k u s of the exact one (the tolerance model): rounding <= 2 k u s / (xp - xm).
                   // The gradient itself is within k u s_grad / |g|, and e^u (long double) adds nothing of weight.
                   const double s_out = tol.output.scale[0], k_out = tol.output.bound_ulps;
                   const double bound = 0.1 * h * h / 6 + 2 * k_out * u * s_out / (xp - xm) +
                                        tol.grads.at("log_probs").bound_ulps * u * tol.grads.at("log_probs").scale[i] / std::fabs(g) +
                                        4 * u * (std::exp(x) + 1);
                   if (std::fabs(static_cast<double>(an - fd)) > bound)
                     fail(fmt::format("grad[{}] - g e^u = {} (over g) but the central difference of the sum is {} "
                                      "(step {}, bound {:.3g})", i, static_cast<double>(an), static_cast<double>(fd),
                                      xp - xm, bound),
                          {{&c, &r}}, ctx.subject);
                 }});
}

}  // namespace losscheck::properties::detail

namespace losscheck::properties {

loss_properties ctc_loss_properties() {
  using namespace ::losscheck::properties::detail::ctc_loss_property_helpers;
  return {.generate = generate, .add = detail::add_ctc_loss, .nonnegative = std::nullopt,
          .own_terms_finite = nullptr, .away_from_kinks = nullptr};
}

}  // namespace losscheck::properties
