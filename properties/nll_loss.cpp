// Properties of nll_loss, and those it shares with cross_entropy's class-index form: ignore_index and K-dim inputs.

#include <fmt/format.h>

#include <cmath>

#include "generator_support.h"
#include "loss_properties.h"
#include "support.h"

namespace losscheck::properties::detail {
namespace nll_loss_property_helpers {
namespace {

std::int64_t classes_of(const tensor& in) { return in.dim() == 1 ? in.shape[0] : in.shape[1]; }
std::int64_t inner_of(const tensor& in) {
  std::int64_t k = 1;
  for (std::int64_t d = 2; d < in.dim(); ++d) k *= in.shape[static_cast<std::size_t>(d)];
  return in.dim() == 1 ? 1 : k;
}

/// (N, C, d1..dk) → (N·d, C), classes last; `back` inverts it.
tensor classes_last(const tensor& x, std::int64_t n, std::int64_t c, std::int64_t inner, bool back) {
  tensor out = x;
  out.shape = back ? x.shape : shape_t{n * inner, c};
  for (std::int64_t b = 0; b < n; ++b)
    for (std::int64_t j = 0; j < c; ++j)
      for (std::int64_t k = 0; k < inner; ++k) {
        const auto kd = static_cast<std::size_t>((b * c + j) * inner + k), fl = static_cast<std::size_t>((b * inner + k) * c + j);
        if (back) out.values[kd] = x.values[fl];
        else out.values[fl] = x.values[kd];
      }
  return out;
}

}  // namespace
}  // namespace nll_loss_property_helpers

std::vector<long double> log_softmax(const tensor& input) {
  using namespace ::losscheck::properties::detail::nll_loss_property_helpers;
  const std::int64_t c = classes_of(input), inner = inner_of(input);
  const std::int64_t n = input.dim() == 1 ? 1 : input.shape[0];
  std::vector<long double> out(input.values.size());
  for (std::int64_t b = 0; b < n; ++b)
    for (std::int64_t k = 0; k < inner; ++k) {
      auto at = [&](std::int64_t j) { return static_cast<std::size_t>((b * c + j) * inner + k); };
      long double m = -INFINITY;
      for (std::int64_t j = 0; j < c; ++j) m = std::max<long double>(m, input.values[at(j)]);
      long double s = 0;
      for (std::int64_t j = 0; j < c; ++j) s += std::exp(input.values[at(j)] - m);
      for (std::int64_t j = 0; j < c; ++j) out[at(j)] = input.values[at(j)] - m - std::log(s);
    }
  return out;
}

void add_class_index(std::vector<property>& out, const std::string& loss) {
  using namespace ::losscheck::properties::detail::nll_loss_property_helpers;
  out.push_back({loss, "ignored_positions_give_zero_loss_and_zero_gradient",
                 "targets equal to ignore_index (any integer: negative, in range, ≥ C) give 0 in none and a zero "
                 "gradient row, whatever the reduction", {loss}, [loss](const context& ctx) {
                   case_profile p;
                   p.targets = case_profile::target_kind::index;
                   loss_case c = pick(gen_case(loss, pick_dtype(ctx), p));
                   c.options["ignore_index"] = pick(rc::gen::element<std::int64_t>(-100, -1, 0, 1, 2, 9));
                   const std::int64_t ig = ignore_index_of(c);
                   auto& y = c.inputs["target"].ints;
                   for (auto& v : y)
                     if (pick(rc::gen::inRange(0, 3)) == 0) v = ig;
                   bool any = false;
                   for (auto v : y) any |= v == ig;
                   RC_PRE(any);
                   pick_grad_output(c);
                   cover(c);
                   const auto r = evaluate(ctx.subject, c);
                   if (r.error) return;  // another target out of range (parity is checked elsewhere)
                   const tensor& in = c.inputs["input"];
                   const std::int64_t cl = classes_of(in), inner = inner_of(in);
                   const bool none = effective_reduction(c) == "none";
                   const tensor* gx = subject_grad(c, r, "input", ctx.subject);
                   if (!none && !gx) nothing_to_check("the subject computes no gradient of input");
                   for (std::size_t i = 0; i < y.size(); ++i) {
                     if (y[i] != ig) continue;
                     if (none && r.output->values[i] != 0)
                       fail(fmt::format("output[{}] = {} at an ignored position", i, r.output->values[i]), {{&c, &r}}, ctx.subject);
                     const auto b = static_cast<std::int64_t>(i) / inner, k = static_cast<std::int64_t>(i) % inner;
                     for (std::int64_t j = 0; gx && j < cl; ++j) {
                       const double g = gx->values[static_cast<std::size_t>((b * cl + j) * inner + k)];
                       if (g != 0)
                         fail(fmt::format("gradient {} for class {} at the ignored position {}", g, j, i), {{&c, &r}}, ctx.subject);
                     }
                   }
                 }});
  out.push_back({loss, "a_batch_with_ignored_rows_equals_the_batch_without_them",
                 "for sum and mean, ignored rows change nothing: the batch equals the batch with those rows removed "
                 "(they are out of the mean's denominator; all ignored → the empty batch: mean NaN, sum 0)",
                 {loss}, [loss](const context& ctx) {
                   case_profile p;
                   p.targets = case_profile::target_kind::index;
                   p.kdim = false;
                   p.unbatched = false;
                   p.grad_output = false;
                   p.reduction = pick(rc::gen::element<std::string>("sum", "mean"));
                   loss_case c = pick(gen_case(loss, pick_dtype(ctx), p));
                   c.options["ignore_index"] = pick(rc::gen::element<std::int64_t>(-100, -1, 0, 1, 7));
                   const std::int64_t ig = ignore_index_of(c);
                   auto& y = c.inputs["target"].ints;
                   for (auto& v : y)
                     if (pick(rc::gen::inRange(0, 3)) == 0) v = ig;
                   pick_grad_output(c);
                   loss_case k = c;  // the kept rows
                   const tensor& in = c.inputs["input"];
                   const auto cl = static_cast<std::size_t>(in.shape[1]);
                   tensor& kin = k.inputs["input"];
                   tensor& ky = k.inputs["target"];
                   kin.values.clear();
                   ky.ints.clear();
                   std::vector<std::size_t> kept;
                   for (std::size_t i = 0; i < y.size(); ++i)
                     if (y[i] != ig) {
                       kept.push_back(i);
                       ky.ints.push_back(y[i]);
                       kin.values.insert(kin.values.end(), in.values.begin() + static_cast<std::ptrdiff_t>(i * cl),
                                         in.values.begin() + static_cast<std::ptrdiff_t>((i + 1) * cl));
                     }
                   kin.shape = {static_cast<std::int64_t>(kept.size()), in.shape[1]};
                   ky.shape = {static_cast<std::int64_t>(kept.size())};
                   RC_TAG(kept.empty() ? "all ignored" : kept.size() == y.size() ? "none ignored" : "some ignored");
                   cover(c);
                   const auto rk = evaluate(ctx.subject, k);
                   if (rk.error) return;
                   loss_result expected = rk;
                   if (const tensor* gk = subject_grad(k, rk, "input", ctx.subject)) {
                     tensor g = tensor::zeros(c.type, in.shape);
                     for (std::size_t r = 0; r < kept.size(); ++r)
                       for (std::size_t j = 0; j < cl; ++j) g.values[kept[r] * cl + j] = gk->values[r * cl + j];
                     expected.grads["input"] = g;
                   }
                   expect_agreement(c, expected, evaluate(ctx.subject, c), ctx.subject, "the batch without its ignored rows", {&k});
                 }});
  out.push_back({loss, "all_ignored_mean_is_nan_and_sum_is_zero",
                 "every target ignored: mean is NaN, sum is 0, none is all zeros, and every gradient is 0",
                 {loss}, [loss](const context& ctx) {
                   case_profile p;
                   p.targets = case_profile::target_kind::index;
                   p.nonfinite = false;
                   loss_case c = pick(gen_case(loss, pick_dtype(ctx), p));
                   c.options["ignore_index"] = pick(rc::gen::element<std::int64_t>(-100, -1, 0, 1, 7));
                   for (auto& v : c.inputs["target"].ints) v = ignore_index_of(c);
                   RC_PRE(c.inputs["target"].numel() > 0);
                   pick_grad_output(c);
                   cover(c);
                   const auto r = evaluate(ctx.subject, c);
                   require_ok(c, r, ctx.subject);
                   const std::string red = effective_reduction(c);
                   for (double v : r.output->values) {
                     const bool ok = red == "mean" ? std::isnan(v) : v == 0;
                     if (!ok) fail(fmt::format("{} output {} with every target ignored", red, v), {{&c, &r}}, ctx.subject);
                   }
                   if (const tensor* gx = subject_grad(c, r, "input", ctx.subject))
                     for (double v : gx->values)
                       if (v != 0) fail(fmt::format("gradient {} with every target ignored", v), {{&c, &r}}, ctx.subject);
                 }});
  out.push_back({loss, "k_dimensional_input_equals_the_flattened_problem_with_classes_last",
                 "(N, C, d1..dk) gives what (N·d1…dk, C) with the classes moved last gives (outputs and gradients)",
                 {loss}, [loss](const context& ctx) {
                   case_profile p;
                   p.kdim_percent = 100;
                   p.unbatched = false;
                   p.grad_output = false;
                   loss_case c = pick(gen_case(loss, pick_dtype(ctx), p));
                   const tensor in = c.inputs["input"];
                   RC_PRE(in.dim() > 2);
                   const std::int64_t n = in.shape[0], cl = in.shape[1], inner = inner_of(in);
                   pick_grad_output(c);
                   loss_case f = c;
                   f.inputs["input"] = classes_last(in, n, cl, inner, false);
                   tensor& ft = f.inputs["target"];
                   const bool prob = ft.is_floating();
                   if (prob) ft = classes_last(ft, n, cl, inner, false);
                   else ft.shape = {n * inner};
                   if (f.grad_output && f.grad_output->dim() > 0) f.grad_output->shape = {n * inner};
                   cover(c);
                   const auto rf = evaluate(ctx.subject, f);
                   if (rf.error) return;
                   loss_result expected = rf;
                   expected.output->shape = output_shape_of(c);
                   for (auto& [name, g] : expected.grads) {
                     if (name == "input" || (name == "target" && prob)) {
                       tensor back = c.inputs.at(name);
                       back.values = g.values;
                       g = classes_last(back, n, cl, inner, true);
                       // classes_last(back=true) reads the flat layout from back.values
                       tensor src = g;
                       src.values = rf.grads.at(name).values;  // (a gradient of expected.grads: present)
                       g = classes_last(src, n, cl, inner, true);
                     }
                   }
                   expect_agreement(c, expected, evaluate(ctx.subject, c), ctx.subject, "the flattened problem", {&f});
                 }});
}

}  // namespace losscheck::properties::detail

namespace losscheck::properties {

loss_properties nll_loss_properties() {
  using namespace ::losscheck::properties::detail::nll_loss_property_helpers;
  return {.generate = detail::generate_class_index_case,
          .add = nullptr,  // the class-index family above is all of nll_loss's own
          .nonnegative = std::nullopt};
}

}  // namespace losscheck::properties
