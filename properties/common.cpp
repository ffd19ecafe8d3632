// Properties that apply to every loss. Tolerances: agreement and identities between two float results use
// check::compare (docs/tolerances.md: each side within k·u·s of the exact value, so they differ by ≤ k ULPs of s);
// where one side is computed here in long double (64-bit significand) from the other, its own error is below
// 2^-63 relative per operation and does not enter the bound.

#include <fmt/format.h>

#include <cmath>
#include <numeric>

#include "losscheck/dtype_traits.h"
#include "losscheck/json.h"
#include "losscheck/problem.h"
#include "loss_properties.h"
#include "support.h"

namespace losscheck::properties::detail {

bool is_class_loss(const std::string& loss) { return record_of(loss).class_index_target(); }

std::string main_input(const std::string& loss) { return std::string(record_of(loss).main_input); }

bool has_probability_target(const loss_case& c) {
  const auto* spec = record_of(c.loss).input("target");
  const tensor* target = c.input("target");
  return spec && spec->role == input_role::class_index_or_probabilities && target && target->is_floating();
}

namespace {

using rc::gen::inRange;

loss_case gen(const std::string& loss, dtype t, case_profile p) { return pick(gen_case(loss, t, p)); }

/// Scales every value of a result (output and grads) by `f` in long double, rounded to the dtype.
loss_result scaled(const loss_result& r, long double f, dtype t) {
  loss_result s = r;
  auto scale = [&](tensor& x) {
    std::vector<long double> v(x.values.begin(), x.values.end());
    for (auto& e : v) e *= f;
    x = rounded(t, x.shape, v);
  };
  if (s.output) scale(*s.output);
  for (auto& [n, g] : s.grads) scale(g);
  return s;
}

/// A 0-D result holding `v` rounded to `t`, with the grads of `grads_from`.
loss_result scalar_with_grads(long double v, dtype t, const loss_result& grads_from) {
  loss_result r;
  r.output = rounded(t, {}, {v});
  r.grads = grads_from.grads;
  return r;
}

/// Discards a case whose none output overflowed from finite inputs: Σ of the rounded terms (inf − inf = NaN, as
/// torch's float32 sum does) and the sum of the exact terms (finite + inf) differ there, and which one is wanted is
/// an open question (reported), not something this property decides.
void skip_overflowed_terms(const loss_case& c, const loss_result& none) {
  for (const auto& [n, t] : c.inputs)
    for (double v : t.values)
      if (!std::isfinite(v)) return;
  for (double v : none.output->values) RC_PRE(!std::isinf(v));
}

/// Discards a case of a loss with terms_before_broadcast (kl_div, cosine_embedding_loss) where a non-empty float input
/// is broadcast against an empty one and holds a value whose own terms are not finite in the dtype (NaN, ±inf, or
/// what the loss's own_terms_finite hook names: a kl_div log_target e^t beyond the range, or a kl_div target 0, whose
/// t / t is 0 / 0). torch's composite losses evaluate such an input's terms on its own shape (xlogy(t, t), e^t, Σx²)
/// before broadcasting, so the zero gradient of the empty broadcast meets them as 0 · NaN = NaN; the exact gradient,
/// an empty sum, is 0, which the reference returns (docs/torch-quirks.md, "Where losscheck deliberately differs").
void skip_nonfinite_terms_broadcast_to_empty(const loss_case& c) {
  const loss_record& record = record_of(c.loss);
  if (!record.terms_before_broadcast) return;
  bool empty = false;
  for (const auto& [n, t] : c.inputs)
    if (t.is_floating() && t.numel() == 0) empty = true;
  if (!empty) return;
  const auto own_terms_finite = properties_of(record).own_terms_finite;
  for (const auto& [n, t] : c.inputs)
    if (t.is_floating())
      for (double v : t.values) {
        const bool finite_terms = own_terms_finite ? own_terms_finite(c, n, v) : std::isfinite(v);
        RC_PRE(finite_terms);
      }
}

/// Whether dimension 0 of input `name` (tensor `t`) is the batch dimension of the main input `in` (the record's
/// batch_axis; the caller checks that its size is the batch size).
bool on_batch_axis(const loss_record& record, const std::string& name, const tensor& t, const tensor& in) {
  const auto* spec = record.input(name);
  if (!spec) return false;
  switch (spec->batch) {
    case batch_axis::leading: return true;
    case batch_axis::leading_if_full_rank: return t.dim() == in.dim();
    case batch_axis::last_if_one_dim: return t.dim() == 1 && in.dim() == 1;
    case batch_axis::none: return false;
  }
  return false;
}

long double sum_of(const tensor& t) {
  long double s = 0;
  for (double v : t.values) s += v;
  return s;
}

}  // namespace

property agrees_with_the_reference(const std::string& loss) {
  return {loss, loss + "_agrees_with_the_reference",
          "outputs and every gradient within the documented bound of the 256-bit reference (all options, all edges)",
          {loss}, [loss](const context& ctx) {
            case_profile p;
            p.nonfinite = pick(inRange(0, 100)) < 30;
            const loss_case c = gen(loss, pick_dtype(ctx), p);
            skip_nonfinite_terms_broadcast_to_empty(c);
            cover(c);
            const auto e = evaluate(ctx.reference, c);
            const auto g = evaluate(ctx.subject, c);
            if (e.error) RC_DISCARD("invalid case (rejection parity is its own property)");
            expect_agreement(c, e, g, ctx.subject, "reference");
          }};
}

property is_finite_and_accurate_at_the_extremes(const std::string& loss) {
  return {loss, loss + "_is_finite_and_accurate_at_the_extremes",
          "logits near ±1e4, probabilities within ULPs of 0 and 1, subnormals, ±0: finite exact results give finite "
          "outputs and torch's clamps are reproduced (agreement with the reference)",
          {loss}, [loss](const context& ctx) {
            case_profile p;
            p.extreme = true;
            const loss_case c = gen(loss, pick_dtype(ctx), p);
            skip_nonfinite_terms_broadcast_to_empty(c);
            cover(c);
            const auto e = evaluate(ctx.reference, c);
            if (e.error) RC_DISCARD("invalid case");
            expect_agreement(c, e, evaluate(ctx.subject, c), ctx.subject, "reference");
          }};
}

property nan_inputs_propagate_like_torch(const std::string& loss) {
  return {loss, "nan_inputs_propagate_like_torch",
          "a NaN or ±inf placed in a float input gives NaN/inf exactly where the reference (torch's semantics) does",
          {loss}, [loss](const context& ctx) {
            loss_case c = gen(loss, pick_dtype(ctx), case_profile{});
            std::vector<std::string> names;
            // not into weights: check/'s scales of every element use max|w| (a NaN weight makes them all exact)
            for (const auto& [n, t] : c.inputs)
              if (t.is_floating() && t.numel() > 0 && n != "weight" && n != "pos_weight") names.push_back(n);
            RC_PRE(!names.empty());
            auto& t = c.inputs[pick(rc::gen::elementOf(names))];
            // ±inf too, except into logits / cosine inputs: there check/'s row scale (2·max|x| + …) becomes infinite
            // and demands bit-exact gradients for the whole row (a gap of check/, reported).
            const bool nan_only = record_of(loss).rowwise();
            t.values[pick(inRange<std::size_t>(0, t.values.size()))] =
                nan_only ? std::nan("") : pick(rc::gen::element(std::nan(""), HUGE_VAL, -HUGE_VAL, std::nan("")));
            skip_nonfinite_terms_broadcast_to_empty(c);
            cover(c);
            const auto e = evaluate(ctx.reference, c);
            if (e.error) RC_DISCARD("invalid case");
            expect_agreement(c, e, evaluate(ctx.subject, c), ctx.subject, "reference");
          }};
}

property sum_reduction_is_sum_of_none(const std::string& loss) {
  return {loss, "sum_reduction_is_sum_of_none",
          "sum = Σ none, and the gradient of sum(g) is that of none with grad_output g everywhere",
          {loss}, [loss](const context& ctx) {
            case_profile p;
            p.reduction = "none";
            p.grad_output = false;
            p.nonfinite = pick(inRange(0, 100)) < 15;
            loss_case none = gen(loss, pick_dtype(ctx), p);
            loss_case sum = with_reduction(none, "sum");
            pick_grad_output(sum);
            const double g = sum.grad_output ? sum.grad_output->values[0] : 1.0;
            none.grad_output = tensor::floats(none.type, output_shape_of(none),
                                              std::vector<double>(static_cast<std::size_t>(checked_numel(output_shape_of(none))), g));
            cover(sum);
            const auto rn = evaluate(ctx.subject, none);
            const auto rs = evaluate(ctx.subject, sum);
            require_ok(none, rn, ctx.subject);
            skip_overflowed_terms(none, rn);
            discard_if_half_overflow(ctx.subject, none, rn);
            expect_agreement(sum, scalar_with_grads(sum_of(*rn.output), sum.type, rn), rs, ctx.subject,
                             "the sum of the subject's none output", {&none});
          }};
}

property mean_reduction_is_mean_of_none(const std::string& loss) {
  const loss_record& record = record_of(loss);
  std::string doc = "mean = Σ none / numel";
  // the nll family's weighted mean (multi_margin_loss's class indices have no ignore_index and a plain mean)
  if (record.class_index_target() && record.option("ignore_index"))
    doc = "mean = Σ w[y_i]·l_i / Σ w[y_i] over non-ignored i (class indices)";
  if (const auto* target = record.input("target"); target && target->role == input_role::class_index_or_probabilities)
    doc += "; probability targets divide by N·d1…dk";
  if (record.allows_batchmean) doc += "; batchmean = Σ none / input.size(0)";
  return {loss, record.allows_batchmean ? "mean_is_sum_over_numel_and_batchmean_is_sum_over_batch_size"
                                        : "mean_reduction_is_mean_of_none",
          doc, {loss}, [loss, &record](const context& ctx) {
            case_profile p;
            p.reduction = "none";
            p.grad_output = false;
            loss_case none = gen(loss, pick_dtype(ctx), p);
            const bool batchmean = record.allows_batchmean && pick(rc::gen::arbitrary<bool>());
            loss_case mean = with_reduction(none, batchmean ? "batchmean" : "mean");
            pick_grad_output(mean);
            const double g = mean.grad_output ? mean.grad_output->values[0] : 1.0;
            const double divisor = batchmean ? batchmean_divisor(none) : mean_divisor(none);
            cover(mean);
            RC_TAG(divisor == 0 ? "divisor 0" : "divisor > 0");
            const auto n_out = static_cast<std::size_t>(checked_numel(output_shape_of(none)));
            none.grad_output = rounded(none.type, output_shape_of(none),
                                       std::vector<long double>(n_out, static_cast<long double>(g) / divisor));
            const auto rn = evaluate(ctx.subject, none);
            const auto rm = evaluate(ctx.subject, mean);
            require_ok(none, rn, ctx.subject);
            skip_overflowed_terms(none, rn);
            discard_if_half_overflow(ctx.subject, none, rn);
            require_ok(mean, rm, ctx.subject);
            const long double m = sum_of(*rn.output) / static_cast<long double>(divisor);
            if (divisor == 0) {  // empty, all ignored or Σ w[y_i] = 0: x/0 (torch), the gradients are not compared
              auto ls = mean.options.find("label_smoothing");
              if (ls != mean.options.end() && std::holds_alternative<double>(ls->second) && std::get<double>(ls->second) > 0) {
                // torch's smoothed mean is (1 − ε)·(Σ w l_nll)/0 + (ε/C)·(Σ smooth)/0: two quotients by 0 (NaN where
                // either numerator is 0 or their signs differ), which Σ none / 0 does not determine (weights
                // [0, −0.125], targets [ignored, 0]: NaN, where Σ none / 0 = −inf). Compared with the reference's.
                const auto ref = evaluate(ctx.reference, mean);
                RC_ASSERT(ref.output.has_value());
                expect_close(mean, "output (divisor 0, label smoothing: the reference's)", *ref.output, *rm.output,
                             {0.0}, 0, ctx.subject, {&none});
                return;
              }
              const tensor expected = rounded(mean.type, {}, {m});
              expect_close(mean, "output (divisor 0)", expected, *rm.output, {0.0}, 0, ctx.subject, {&none});
              return;
            }
            expect_agreement(mean, scalar_with_grads(m, mean.type, rn), rm, ctx.subject,
                             fmt::format("the subject's none output summed and divided by {}", divisor), {&none});
          }};
}

property legacy_flags_equal_their_mapped_reduction(const std::string& loss) {
  return {loss, "legacy_flags_equal_their_mapped_reduction",
          "each of the nine size_average/reduce combinations (with any explicit reduction) equals the reduction it "
          "maps to (reduce=False → none, else size_average=False → sum, else mean; kl_div's batchmean quirk)",
          {loss}, [loss, &record = record_of(loss)](const context& ctx) {
            case_profile p;
            p.reduction = "none";
            p.grad_output = false;
            loss_case c = gen(loss, pick_dtype(ctx), p);
            const int sa = pick(inRange(0, 3)), rd = pick(inRange(0, 3));  // null, true, false
            RC_PRE(sa != 0 || rd != 0);
            std::vector<std::string> reds = {"none", "mean", "sum"};
            if (record.allows_batchmean) reds.push_back("batchmean");
            const std::string explicit_red = pick(rc::gen::elementOf(reds));
            c.options["reduction"] = explicit_red;
            auto flag = [](int v) -> option_value { return v == 0 ? option_value{} : option_value{v == 1}; };
            c.options["size_average"] = flag(sa);
            c.options["reduce"] = flag(rd);
            const std::string mapped = rd == 2 ? "none" : sa == 2 ? "sum" : "mean";
            pick_grad_output(c);
            loss_case m = with_reduction(c, mapped);
            m.grad_output = c.grad_output;
            cover(c);
            auto expected = evaluate(ctx.subject, m);
            require_ok(m, expected, ctx.subject);
            std::string from = "the subject with reduction='" + mapped + "'";
            if (record.allows_batchmean && explicit_red == "batchmean") {  // functional.py: legacy result / input.size(0)
              const long double divisor = batchmean_divisor(c);
              discard_if_half_overflow(ctx.subject, m, expected);  // scaled below: an overflowed sum stays inf
              if (divisor != 0) {
                const auto grads_unscaled = expected.grads;
                expected = scaled(expected, 1.0L / divisor, c.type);
                // The gradients as torch forms them: grad_output / size(0) enters the mapped reduction's backward.
                // Scaling the gradients of grad_output itself instead can overflow where the true ones do not
                // (float32 log_target t = 81.3, g = -64: g e^t (t - x + 1) = -1.1e39 = -inf, / 4 = -inf where the
                // legacy batchmean's gradient is -2.7e38).
                bool overflowed = false;
                for (const auto& [name, t] : grads_unscaled)
                  for (double v : t.values) overflowed = overflowed || !std::isfinite(v);
                if (overflowed) {
                  const auto n_out = static_cast<std::size_t>(checked_numel(output_shape_of(m)));
                  std::vector<long double> g_scaled(n_out, 1.0L / divisor);
                  if (m.grad_output)
                    for (std::size_t i = 0; i < n_out; ++i)
                      g_scaled[i] = static_cast<long double>(m.grad_output->values[m.grad_output->values.size() == 1 ? 0 : i]) / divisor;
                  loss_case m_scaled = m;
                  m_scaled.grad_output = rounded(m.type, output_shape_of(m), g_scaled);
                  const auto r_scaled = evaluate(ctx.subject, m_scaled);
                  require_ok(m_scaled, r_scaled, ctx.subject);
                  expected.grads = r_scaled.grads;
                }
              } else if (expected.output) {
                // An empty batch: the output divides by 0, but every gradient is a sum over no elements and stays 0
                // (torch: F.kl_div(x[0], t[1], reduce=True, reduction='batchmean') has target gradient [0]).
                for (auto& v : expected.output->values) v = static_cast<double>(static_cast<long double>(v) / divisor);
              }
              from += " divided by input.size(0) (torch's legacy batchmean quirk)";
            }
            expect_agreement(c, expected, evaluate(ctx.subject, c), ctx.subject, from, {&m});
          }};
}

property backward_is_linear_in_grad_output(const std::string& loss) {
  return {loss, "backward_is_linear_in_grad_output",
          "scaling grad_output by α scales every gradient by α (a grad_output that is ignored is caught)",
          {loss}, [loss](const context& ctx) {
            case_profile p;
            p.grad_output = false;
            p.smooth = true;  // no overflow: α·g must not push a finite gradient past the dtype's range
            loss_case c = gen(loss, pick_dtype(ctx), p);
            pick_grad_output(c);
            const auto r = evaluate(ctx.subject, c);
            RC_PRE(r.ok());
            if (r.grads.empty()) nothing_to_check("the subject computes none of the gradients (unsupported_grads)");
            const double alpha = pick(rc::gen::element(2.0, -1.0, 0.5, 3.0, -0.25));
            loss_case d = c;
            const auto shape = output_shape_of(c);
            d.grad_output = c.grad_output ? *c.grad_output
                                          : tensor::floats(c.type, shape, std::vector<double>(
                                                static_cast<std::size_t>(checked_numel(shape)), 1.0));
            for (auto& v : d.grad_output->values) v = round_to(v * alpha, c.type);
            cover(d);
            discard_if_half_overflow(ctx.subject, c, r);  // α · inf where the exact gradient is finite
            loss_result expected = scaled(r, alpha, c.type);
            expected.output = r.output;  // the forward does not depend on grad_output
            expect_agreement(d, expected, evaluate(ctx.subject, d), ctx.subject,
                             fmt::format("{} × the gradients for the unscaled grad_output", alpha), {&c});
          }};
}

property gradients_match_finite_differences_of_the_forward(const std::string& loss) {
  return {loss, "gradients_match_finite_differences_of_the_forward",
          "every reported gradient equals a Richardson-extrapolated central difference of the subject's own forward, "
          "in the row's dtype (smooth inputs away from kinks and clamps; a kink inside the step is detected and the "
          "gradient there must be a one-sided derivative or lie between them)",
          {loss}, [loss](const context& ctx) {
            // The row's dtype: float64 where the subject offers it; in a float32 row the subject's float32 forward,
            // so that a float32-only library (tiny-dnn, dlib) is checked against itself too. A half row checks the
            // subject's half gradients against the finite differences of its float32 forward on the same values (a
            // forward rounded to 8 or 11 bits has no difference quotient worth the name); each half gradient is
            // allowed its own bound (check::tolerance_for the half case) on top of the difference's.
            const dtype row_type = pick_dtype(ctx);
            const bool half = is_half(row_type);
            const dtype type = half ? dtype::float32 : row_type;
            const bool f32 = type == dtype::float32;
            case_profile p;
            p.smooth = true;
            p.float32_exact = true;  // x ± h and x ± h/2 are then exact in float64
            p.grad_output = false;
            p.nonnegative_weights = true;
            p.unit_targets = true;
            p.broadcast = false;
            loss_case c = gen(loss, row_type, p);
            pick_grad_output(c);
            if (half) round_values_to_dtype(c);
            if (const auto away = properties_of(record_of(loss)).away_from_kinks) away(c);
            const loss_case checked = c;  // the case whose gradients are checked (the half case in a half row)
            if (half) c = with_dtype(c, dtype::float32);
            cover(checked);
            const auto r = evaluate(ctx.subject, c);
            RC_PRE(r.ok());
            for (double v : r.output->values) RC_PRE(std::isfinite(v));  // e.g. the NaN mean of all-ignored rows
            const auto r_checked = half ? evaluate(ctx.subject, checked) : r;
            if (half) require_ok(checked, r_checked, ctx.subject);
            if (r_checked.grads.empty())
              nothing_to_check("the subject computes none of the gradients (unsupported_grads)");
            // a half gradient's own error: its bound in ULPs of the half dtype at its scale (0 in other rows)
            const check::tolerance half_tol = half ? check::tolerance_for(checked) : check::tolerance{};
            auto own_error = [&](const std::string& name, std::size_t i) -> long double {
              if (!half) return 0;
              const auto& g = half_tol.grads.at(name);
              const double scale = i < g.scale.size() ? g.scale[i] : 0.0;
              return g.bound_ulps * check::error_unit(scale, row_type);
            };
            const auto shape = output_shape_of(c);
            const auto n_out = static_cast<std::size_t>(checked_numel(shape));
            std::vector<double> g(n_out, 1.0);
            if (c.grad_output) g = c.grad_output->values;
            const auto tol = check::tolerance_for(c);
            long double noise_scale = 0;  // Σ_j |g_j|·s_j: what the forward's rounding moves the objective by
            for (std::size_t j = 0; j < n_out; ++j) noise_scale += std::fabs(g[j]) * tol.output.scale[j];
            const long double eps = dtype_traits(type).epsilon;
            // The forward's rounding (64 ULPs of its scale) moves an objective value by at most `noise`.
            const long double noise = 64 * eps * noise_scale;
            auto objective = [&](const loss_case& d) -> long double {
              const auto rd = evaluate(ctx.subject, d);
              if (!rd.ok()) return NAN;
              long double s = 0;
              for (std::size_t j = 0; j < n_out; ++j) s += static_cast<long double>(g[j]) * rd.output->values[j];
              return s;
            };
            int compared = 0;
            for (const auto& [name, grad] : r_checked.grads) {
              const auto& x = c.inputs.at(name);
              const std::size_t n = x.values.size();
              std::vector<std::size_t> idx(n);
              std::iota(idx.begin(), idx.end(), 0);
              if (n > 4) idx = {pick(inRange<std::size_t>(0, n)), pick(inRange<std::size_t>(0, n)), pick(inRange<std::size_t>(0, n))};
              for (auto i : idx) {
                const double an = grad.values[i];
                if (!std::isfinite(an)) continue;
                const double xi = x.values[i];
                // float64: h = 2^-12·|x|; float32: 2^-6·|x| (a smaller step would drown in the forward's rounding)
                const double h = std::ldexp(1.0, std::ilogb(std::max(1.0, std::fabs(xi))) - (f32 ? 6 : 12));
                // the points x ± s must be numbers of the dtype (x near a binade edge with low bits set is not)
                auto representable = [&](double st) {
                  return !f32 || (static_cast<double>(static_cast<float>(xi + st)) == xi + st &&
                                  static_cast<double>(static_cast<float>(xi - st)) == xi - st);
                };
                if (f32)
                  for (double st : {h, h / 2, h / 4}) RC_PRE(representable(st));
                auto at = [&](double step) {
                  loss_case d = c;
                  d.inputs[name].values[i] = xi + step;
                  return objective(d);
                };
                // The central difference at step s, Richardson-extrapolated, and the bound of its error.
                // Truncation O(s^4) of the extrapolation plus the forward's rounding / s: the extrapolation combines
                // four forward values with weights summing to 3/s in magnitude, so a rounding of `noise` in each
                // moves fd by at most 3·noise/s (64·ε·Σ|g|s/s counted as before). float64: s^4 = 2^-48·|x|^4 makes
                // the truncation negligible against 1e-6 relative.
                struct estimate {
                  long double fd, bound;
                };
                auto central = [&](double st) {
                  const long double d1 = (at(st) - at(-st)) / (2 * st), d2 = (at(st / 2) - at(-st / 2)) / st;
                  const long double fd = (4 * d2 - d1) / 3;
                  if (!f32) return estimate{fd, 1e-6L * (std::fabs(an) + std::fabs(fd)) + noise / st + 1e-300L};
                  // float32: the step is only 2^-6·|x|, and near a pole (BCE's p → 1) the O(s^4) term is not small.
                  // Richardson once more at s/2: its truncation is ~1/16 of the s estimate's, so
                  // |fd(s) − fd(s/2)| (≈ 15/16 of fd(s)'s error) bounds fd(s/2)'s truncation with room to spare; the
                  // rounding term doubles with the halved step. 1e-5 relative covers the float32 gradient's own
                  // rounding (k·2^-24 relative, k ≤ ~100).
                  const long double d3 = (at(st / 4) - at(-st / 4)) / (st / 2);
                  const long double fd2 = (4 * d3 - d2) / 3;
                  return estimate{fd2, 1e-5L * (std::fabs(an) + std::fabs(fd2)) + std::fabs(fd - fd2) +
                                           noise / (st / 2) + 1e-300L};
                };
                const long double own = own_error(name, i);
                const estimate first = central(h);
                if (std::fabs(an - first.fd) <= first.bound + own) {
                  ++compared;
                  continue;
                }
                // Disagreement. A kink of the forward (a clamp, max(0, ·), |·|) within ±h of x makes the central
                // difference average two one-sided slopes: then neither disagreement nor agreement is evidence.
                // (1) A kink at a distance δ > 0 from x leaves the window once the step is below δ: try 2^-3 h and
                //     2^-6 h (the noise term grows as 1/s, so the check stays honest, only less sharp).
                bool passed = false;
                double smallest = h;
                for (int shrink : {3, 6}) {
                  const double st = std::ldexp(h, -shrink);
                  if (!representable(st) || !representable(st / 4)) break;
                  smallest = st;
                  const estimate e = central(st);
                  if (std::fabs(an - e.fd) <= e.bound + own) {
                    passed = true;
                    break;
                  }
                }
                if (passed) {
                  ++compared;
                  continue;
                }
                // (2) A kink at x itself (δ = 0 as far as the dtype can tell): the one-sided slopes L and R differ
                //     by a jump that does not shrink with the step, and any value between them is a derivative the
                //     forward admits there (a subgradient: torch returns one of the sides, or sign(0) = 0 for |x|).
                //     Measured at the original step h, where the rounding weighs least (a kink at x leaves both
                //     one-sided windows clean). For a smooth forward R − L ≈ f''·s/2: `margin` (the change of each
                //     slope between s and s/2, ≈ f''·s/2 together, plus the rounding: the slopes weigh two forward
                //     values by 2/s each) bounds it; a kink is a jump of more than 4 margins.
                const double s = h;
                const long double f0 = at(0);
                const long double r1 = (at(s) - f0) / s, r2 = (at(s / 2) - f0) / (s / 2);
                const long double l1 = (f0 - at(-s)) / s, l2 = (f0 - at(-s / 2)) / (s / 2);
                const long double margin = std::fabs(r1 - r2) + std::fabs(l1 - l2) + 8 * noise / s +
                                           (f32 ? 1e-5L : 1e-6L) * (std::fabs(r2) + std::fabs(l2)) + 1e-300L;
                const bool kink = std::fabs(r2 - l2) > 4 * margin;
                const long double lo = std::min(l2, r2) - margin - own, hi = std::max(l2, r2) + margin + own;
                if (kink && an >= lo && an <= hi) {
                  ++compared;
                  continue;
                }
                fail(fmt::format("gradient {}[{}] = {} but the finite difference of the forward is {} (step {}, "
                                 "bound {:.3g}{}){}",
                                 name, i, an, static_cast<double>(first.fd), h, static_cast<double>(first.bound),
                                 half ? fmt::format(" + the {} gradient's own {:.3g}", to_string(row_type),
                                                    static_cast<double>(own))
                                      : std::string(),
                                 kink ? fmt::format("; the forward has a kink at x = {} (one-sided slopes {:.6g} and "
                                                    "{:.6g}) and the gradient lies outside them",
                                                    xi, static_cast<double>(l2), static_cast<double>(r2))
                                      : fmt::format("; also at steps down to {} (one-sided slopes {:.6g} and {:.6g}: "
                                                    "no kink at x the step can resolve)",
                                                    smallest, static_cast<double>(l2), static_cast<double>(r2))),
                     half ? std::vector<std::pair<const loss_case*, const loss_result*>>{{&checked, &r_checked}, {&c, &r}}
                          : std::vector<std::pair<const loss_case*, const loss_result*>>{{&c, &r}},
                     ctx.subject);
              }
            }
            if (compared == 0) nothing_to_check("no finite gradient to compare with a finite difference");
          }};
}

property reduced_loss_is_unchanged_by_permuting_the_batch(const std::string& loss) {
  return {loss, "reduced_loss_is_unchanged_by_permuting_the_batch",
          "sum/mean (and batchmean) are unchanged, within the bound, by permuting dimension 0; gradients permute along",
          {loss}, [loss, &record = record_of(loss)](const context& ctx) {
            case_profile p;
            p.unbatched = false;
            p.grad_output = false;
            p.broadcast = false;  // dimension 0 of every input is then the batch
            p.reduction = pick(rc::gen::element<std::string>("sum", "mean", record.allows_batchmean ? "batchmean" : "sum"));
            loss_case c = gen(loss, pick_dtype(ctx), p);
            const tensor& in = c.inputs.at(main_input(loss));
            RC_PRE(in.dim() >= 1 && in.shape[0] >= 2);
            const auto n = in.shape[0];
            std::vector<std::int64_t> perm(static_cast<std::size_t>(n));
            std::iota(perm.begin(), perm.end(), 0);
            for (std::int64_t i = n - 1; i > 0; --i) std::swap(perm[i], perm[pick(inRange<std::int64_t>(0, i + 1))]);
            pick_grad_output(c);
            auto aligned = [&](const std::string& name, const tensor& t) {
              return t.dim() != 0 && t.shape[0] == n && on_batch_axis(record, name, t, in);
            };
            auto permute = [&](tensor t) {
              const auto row = static_cast<std::size_t>(t.numel() / n);
              tensor out = t;
              for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i)
                for (std::size_t k = 0; k < row; ++k) {
                  const auto src = static_cast<std::size_t>(perm[i]) * row + k;
                  if (t.is_floating()) out.values[i * row + k] = t.values[src];
                  else out.ints[i * row + k] = t.ints[src];
                }
              return out;
            };
            loss_case q = c;
            for (auto& [name, t] : q.inputs)
              if (aligned(name, t)) t = permute(t);
            cover(q);
            const auto r = evaluate(ctx.subject, c);
            require_ok(c, r, ctx.subject);
            loss_result expected = r;
            for (auto& [name, g] : expected.grads)
              if (aligned(name, c.inputs.at(name))) g = permute(g);
            expect_agreement(q, expected, evaluate(ctx.subject, q), ctx.subject, "the unpermuted batch", {&c});
          }};
}

property unbatched_input_equals_a_batch_of_one(const std::string& loss) {
  const loss_record& record = record_of(loss);
  return {loss, "unbatched_input_equals_a_batch_of_one",
          record.rowwise() ? "an unbatched (C) / (D) input gives what the batch of one (1, C) / (1, D) gives"
                           : "a 0-D input gives what the same value as a (1) tensor gives",
          {loss}, [loss, &record](const context& ctx) {
            case_profile p;
            p.broadcast = false;
            p.grad_output = false;
            p.kdim = false;
            p.max_batch = 1;
            loss_case b = gen(loss, pick_dtype(ctx), p);
            const tensor& in = b.inputs.at(main_input(loss));
            const bool elementwise = !record.rowwise();
            const bool batch_of_one = elementwise ? (in.dim() == 1 && in.shape[0] == 1) : (in.dim() == 2 && in.shape[0] == 1);
            RC_PRE(batch_of_one);
            loss_case u = b;  // drop the leading 1 of every batch-aligned tensor
            for (auto& [name, t] : u.inputs) {
              const bool aligned = t.dim() >= 1 && t.shape[0] == 1 && on_batch_axis(record, name, t, in);
              if (aligned && (t.dim() == in.dim() || !elementwise)) t.shape.erase(t.shape.begin());
            }
            pick_grad_output(u);
            if (u.grad_output) {
              b.grad_output = *u.grad_output;
              b.grad_output->shape = output_shape_of(b);
            }
            cover(u);
            const auto rb = evaluate(ctx.subject, b);
            require_ok(b, rb, ctx.subject);
            loss_result expected = rb;
            expected.output->shape = output_shape_of(u);
            for (auto& [name, g] : expected.grads) g.shape = u.inputs.at(name).shape;
            expect_agreement(u, expected, evaluate(ctx.subject, u), ctx.subject, "the batch of one", {&b});
          }};
}

property loss_is_nonnegative(const std::string& loss, case_profile profile) {
  return {loss, loss + "_is_nonnegative",
          "every element of the none output is ≥ 0 (down to the rounding bound) where the mathematics says so",
          {loss}, [loss, profile](const context& ctx) {
            case_profile p = profile;
            p.reduction = "none";
            const loss_case c = gen(loss, pick_dtype(ctx), p);
            cover(c);
            const auto r = evaluate(ctx.subject, c);
            require_ok(c, r, ctx.subject);
            const auto tol = check::tolerance_for(c);
            for (std::size_t i = 0; i < r.output->values.size(); ++i) {
              const double v = r.output->values[i];
              // the overflow regime (docs/tolerances.md): terms beyond the dtype's range, any non-finite result
              // (a half dtype's terms are float32's: docs/tolerances.md "Half precision")
              if (!std::isfinite(v) && tol.output.scale[i] >= check::max_finite(is_half(c.type) ? dtype::float32 : c.type))
                continue;
              const double allowed = tol.output.bound_ulps * check::error_unit(tol.output.scale[i], c.type);
              if (std::isnan(v)) {
                const auto want = evaluate(ctx.reference, c);
                const std::string exact = want.ok() && i < want.output->values.size()
                                              ? format_float(want.output->values[i], c.type)
                                              : std::string("not available");
                fail(fmt::format("output[{}] is NaN where the loss is ≥ 0 (the reference's value: {})", i, exact),
                     {{&c, &r}}, ctx.subject);
              }
              if (v < -allowed)
                fail(fmt::format("output[{}] = {} is negative beyond the rounding bound {:.3g}", i,
                                 format_float(v, c.type), allowed),
                     {{&c, &r}}, ctx.subject);
            }
          }};
}

property float32_result_lies_within_the_float32_bound_of_float64(const std::string& loss) {
  property prop{loss, "float32_result_lies_within_the_float32_bound_of_float64",
          "the float32 result lies within the float32 bound of the float64 result of the same (float32-exact) case",
          {loss}, [loss](const context& ctx) {
            RC_PRE(std::find(ctx.dtypes.begin(), ctx.dtypes.end(), dtype::float32) != ctx.dtypes.end() &&
                   std::find(ctx.dtypes.begin(), ctx.dtypes.end(), dtype::float64) != ctx.dtypes.end());
            case_profile p;
            p.nonfinite = pick(inRange(0, 100)) < 20;
            const loss_case c32 = gen(loss, dtype::float32, p);
            loss_case c64 = c32;
            c64.type = dtype::float64;
            for (auto& [n, t] : c64.inputs)
              if (t.is_floating()) t.type = dtype::float64;
            if (c64.grad_output) c64.grad_output->type = dtype::float64;
            cover(c32);
            const auto r32 = evaluate(ctx.subject, c32);
            const auto r64 = evaluate(ctx.subject, c64);
            if (r32.error || r64.error) {
              if (r32.error.has_value() != r64.error.has_value())
                fail("float32 and float64 disagree on rejecting the case", {{&c32, &r32}, {&c64, &r64}}, ctx.subject);
              return;
            }
            loss_result expected = r64;  // rounded to float32: the float64 error (2^-53·k·s) is below the bound's slack
            auto to32 = [](tensor& t) {
              t.type = dtype::float32;
              for (auto& v : t.values) v = round_to(v, dtype::float32);
            };
            if (expected.output) to32(*expected.output);
            for (auto& [n, g] : expected.grads) to32(g);
            expect_agreement(c32, expected, r32, ctx.subject, "the subject's float64 result", {&c64});
          }};
  prop.spans_dtypes = true;
  return prop;
}

property half_result_lies_within_the_half_bound_of_float32(const std::string& loss) {
  property prop{loss, "half_result_lies_within_the_half_bound_of_float32",
             "a bfloat16/float16 result lies within the half bound of the subject's float32 result of the same case "
             "(the half values as float32) rounded once to the half dtype",
             {loss}, [loss](const context& ctx) {
               const dtype type = pick_dtype(ctx);
               RC_PRE(is_half(type));
               case_profile p;
               p.nonfinite = pick(inRange(0, 100)) < 20;
               const loss_case ch = gen(loss, type, p);
               const loss_case c32 = with_dtype(ch, dtype::float32);
               cover(ch);
               const auto rh = evaluate(ctx.subject, ch);
               const auto r32 = evaluate(ctx.subject, c32);
               if (rh.error || r32.error) {
                 if (rh.error.has_value() != r32.error.has_value())
                   fail(fmt::format("{} and float32 disagree on rejecting the case", to_string(type)),
                        {{&ch, &rh}, {&c32, &r32}}, ctx.subject);
                 return;
               }
               // Both are within u_h·|e| + k·u_32·s of the exact value e (the half one by the model, the float32 one
               // rounded once more), so they differ by at most ε_h·s + k·ε_32·s: the half bound (docs/tolerances.md
               // "Half precision"). A half kernel that rounds intermediates to the half dtype misses it.
               loss_result expected = r32;
               auto to_half = [type](tensor& t) {
                 t.type = type;
                 for (auto& v : t.values) v = round_to(v, type);
               };
               if (expected.output) to_half(*expected.output);
               for (auto& [n, g] : expected.grads) to_half(g);
               expect_agreement(ch, expected, rh, ctx.subject, float32_rounded_once, {&c32});
             }};
  prop.half_only = true;
  return prop;
}

property rejects_exactly_what_the_reference_rejects(const std::string& loss) {
  return {loss, "rejects_exactly_what_the_reference_rejects",
          "what the reference rejects (bad targets, BCE input outside [0,1], shapes, options), the subject rejects, "
          "and the other way round",
          {loss}, [loss](const context& ctx) {
            case_profile p;
            p.invalid = true;
            p.nonfinite = pick(inRange(0, 100)) < 20;
            const loss_case c = gen(loss, pick_dtype(ctx), p);
            cover(c);
            const auto e = evaluate(ctx.reference, c);
            const auto g = evaluate(ctx.subject, c);
            RC_TAG(e.error ? "rejected" : "accepted");
            if (e.error.has_value() != g.error.has_value())
              fail(e.error ? "the reference rejects the case (" + *e.error + ") but the subject accepts it"
                           : "the subject rejects the case (" + *g.error + ") but the reference accepts it",
                   {{&c, &g}}, ctx.subject);
          }};
}

void add_generic(std::vector<property>& out, const loss_record& record) {
  const std::string loss(record.name);
  for (const auto family : record.properties) {
    switch (family) {
      case generic_property::agrees_with_the_reference: out.push_back(agrees_with_the_reference(loss)); break;
      case generic_property::accurate_at_the_extremes: out.push_back(is_finite_and_accurate_at_the_extremes(loss)); break;
      case generic_property::nan_inputs_propagate: out.push_back(nan_inputs_propagate_like_torch(loss)); break;
      case generic_property::sum_is_sum_of_none: out.push_back(sum_reduction_is_sum_of_none(loss)); break;
      case generic_property::mean_is_mean_of_none: out.push_back(mean_reduction_is_mean_of_none(loss)); break;
      case generic_property::legacy_flags: out.push_back(legacy_flags_equal_their_mapped_reduction(loss)); break;
      case generic_property::backward_linear_in_grad_output: out.push_back(backward_is_linear_in_grad_output(loss)); break;
      case generic_property::finite_differences:
        out.push_back(gradients_match_finite_differences_of_the_forward(loss));
        break;
      case generic_property::batch_permutation: out.push_back(reduced_loss_is_unchanged_by_permuting_the_batch(loss)); break;
      case generic_property::unbatched_is_batch_of_one: out.push_back(unbatched_input_equals_a_batch_of_one(loss)); break;
      case generic_property::nonnegative: {
        const auto& profile = properties_of(record).nonnegative;
        if (!profile)
          throw std::logic_error(fmt::format("{}: the record lists nonnegative but properties/{}.cpp gives no profile",
                                             loss, loss));
        out.push_back(loss_is_nonnegative(loss, *profile));
        break;
      }
      case generic_property::float32_within_float64:
        out.push_back(float32_result_lies_within_the_float32_bound_of_float64(loss));
        out.push_back(half_result_lies_within_the_half_bound_of_float32(loss));  // its half counterpart
        break;
      case generic_property::rejection_parity: out.push_back(rejects_exactly_what_the_reference_rejects(loss)); break;
      case generic_property::ignore_index_and_kdim: add_class_index(out, loss); break;
    }
  }
}

}  // namespace losscheck::properties::detail
