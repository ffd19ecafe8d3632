// Properties of triplet_margin_loss: the common ones, non-negativity, swap never decreasing the loss, and torch's
// zero gradient of a zero distance.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "losscheck/dtype_traits.h"

#include "generator_support.h"
#include "loss_properties.h"
#include "support.h"

namespace losscheck::properties::detail {

namespace triplet_margin_loss_property_helpers {
namespace {

using rc::gen::element;
using rc::gen::inRange;
using rc::gen::weightedElement;

/// The cases of triplet_margin_loss (loss_properties::generate): (N, D) or (D) rows, positive or negative sometimes
/// a broadcast row (1, D); margin, p (1, 2, 3 and fractional orders), eps (including 0) and swap.
void generate(loss_case& c, const case_profile& p) {
  const dtype t = c.type;
  const auto d = pick(inRange<std::int64_t>(1, 5));
  const auto rows = static_cast<std::int64_t>(pick(weightedElement<int>({{1, 0}, {3, 1}, {4, 2}, {2, 3}})));
  const bool unbatched = p.unbatched && chance(15);
  const shape_t s = unbatched ? shape_t{d} : shape_t{rows, d};
  auto row_values = [&](shape_t shape) {
    tensor x = floats(t, shape, [&] { return pick_real(t, p); });
    if (!p.smooth && chance(20)) {  // whole rows scaled far down or up (underflow and overflow of |z|^p)
      const int e = pick(element(-40, -20, 20, 40));
      for (auto& v : x.values) {
        const double scaled = round_to(std::ldexp(v, e), t);
        if (std::isfinite(scaled) || p.nonfinite) v = scaled;  // an overflow to ±inf is a non-finite input
      }
    }
    return x;
  };
  c.inputs["anchor"] = row_values(s);
  shape_t sp = s, sn = s;
  if (p.broadcast && !unbatched && chance(15)) (chance(50) ? sp : sn)[0] = 1;
  if (p.invalid && chance(10)) {
    if (chance(50)) sn.back() += 1;  // does not broadcast
    else sn = unbatched ? shape_t{1, d} : shape_t{d};  // ranks differ
  }
  c.inputs["positive"] = row_values(sp);
  c.inputs["negative"] = row_values(sn);
  if (!p.smooth && chance(10)) c.inputs["positive"] = c.inputs["anchor"];  // d(a, p) = eps·D^(1/p)
  if (chance(40)) c.options["margin"] = pick(element(0.0, 0.5, 1.0, -0.5, 2.0));
  if (chance(40)) c.options["p"] = pick(weightedElement<double>({{4, 1.0}, {4, 2.0}, {3, 3.0}, {2, 1.5}, {2, 0.5}}));
  if (chance(30)) c.options["eps"] = pick(element(0.0, 1e-6, 1e-3));
  if (chance(40)) c.options["swap"] = pick(element(false, true));
  // (p <= 0, which losscheck rejects and torch accepts, is left to the spot tests: docs/torch-quirks.md)
}

/// The distance ‖x_r - y_r + eps‖_p of rows of the (broadcast) inputs, in double, for the RC_PREs below.
struct rows_view {
  const loss_case& c;
  double p = 2, eps = 1e-6;
  std::size_t d = 1;
  double at(const char* name, std::size_t r, std::size_t k) const {
    const auto& v = c.inputs.at(name).values;
    return v[(v.size() == d ? 0 : r) * d + k];
  }
};

/// Finite differences: rows away from the hinge's kink (h = 0), from the swap's tie d(a, n) = d(p, n), and from
/// z_k = 0 where the norm is not twice differentiable (p < 2) or its gradient jumps (p = 1).
void away_from_kinks(const loss_case& c) {
  const auto opt = [&](const char* name, double fallback) {
    auto it = c.options.find(name);
    return it == c.options.end() ? fallback : std::get<double>(it->second);
  };
  const double p = opt("p", 2.0), eps = opt("eps", 1e-6), margin = opt("margin", 1.0);
  auto it = c.options.find("swap");
  const bool swap = it != c.options.end() && std::get<bool>(it->second);
  const auto& a = c.inputs.at("anchor");
  const std::size_t d = a.shape.empty() ? 1 : static_cast<std::size_t>(a.shape.back());
  const rows_view v{c, p, eps, d};
  const std::size_t rows = std::max({c.inputs.at("anchor").values.size(), c.inputs.at("positive").values.size(),
                                     c.inputs.at("negative").values.size()}) / d;
  for (std::size_t r = 0; r < rows; ++r) {
    auto dist = [&](const char* x, const char* y) {
      double s = 0;
      for (std::size_t k = 0; k < d; ++k) {
        const double z = v.at(x, r, k) - v.at(y, r, k) + eps;
        RC_PRE(p >= 2 || std::fabs(z) > 0.05);
        s += std::pow(std::fabs(z), p);
      }
      const double n = std::pow(s, 1 / p);
      RC_PRE(n > 0.1);
      return n;
    };
    const double ap = dist("anchor", "positive"), an = dist("anchor", "negative");
    double dn = an;
    if (swap) {
      const double pn = dist("positive", "negative");
      RC_PRE(std::fabs(an - pn) > 0.05);
      dn = std::min(an, pn);
    }
    RC_PRE(std::fabs(margin + ap - dn) > 0.05);
  }
}

void add_triplet_margin_loss(std::vector<property>& out) {
  const std::string loss = "triplet_margin_loss";
  out.push_back({loss, "triplet_margin_loss_with_swap_is_never_below_the_loss_without_it",
                 "swap replaces d(a, n) by min(d(a, n), d(p, n)) <= d(a, n), so each element of the `none` output "
                 "with swap = true is at least the one with swap = false (down to both results' tolerances)",
                 {loss}, [loss](const context& ctx) {
                   case_profile p;
                   p.reduction = "none";
                   p.grad_output = false;
                   loss_case c = pick(gen_case(loss, pick_dtype(ctx), p));
                   c.options["swap"] = false;
                   loss_case s = c;
                   s.options["swap"] = true;
                   cover(s);
                   const auto r0 = evaluate(ctx.subject, c), r1 = evaluate(ctx.subject, s);
                   require_ok(c, r0, ctx.subject);
                   require_ok(s, r1, ctx.subject);
                   const auto t0 = check::tolerance_for(c), t1 = check::tolerance_for(s);
                   const double e = dtype_traits(c.type).epsilon, l = dtype_traits(c.type).min_normal;
                   for (std::size_t i = 0; i < r0.output->values.size(); ++i) {
                     const double without = r0.output->values[i], with = r1.output->values[i];
                     if (std::isnan(without) || std::isnan(with)) continue;
                     const auto bound = [&](const check::tensor_tolerance& t) {
                       return t.bound_ulps * (e * t.scale[i] + l) + (t.slack.empty() ? 0.0 : t.slack[i]);
                     };
                     if (!(with >= without - bound(t0.output) - bound(t1.output)))
                       fail(fmt::format("output[{}]: {} with swap is below {} without it", i, with, without),
                            {{&c, &r0}, {&s, &r1}}, ctx.subject);
                   }
                 }});
  out.push_back({loss, "triplet_margin_loss_gives_a_zero_distance_a_zero_gradient",
                 "with positive = anchor and eps = 0, d(a, p) = 0 and torch's norm backward masks its gradient: "
                 "the positive's gradient is exactly 0 without swap (finite inputs)",
                 {loss}, [loss](const context& ctx) {
                   case_profile p;
                   p.broadcast = false;
                   loss_case c = pick(gen_case(loss, pick_dtype(ctx), p));
                   c.inputs["positive"] = c.inputs["anchor"];
                   c.options["eps"] = 0.0;
                   c.options["swap"] = false;
                   for (const auto& [name, t] : c.inputs)
                     for (double v : t.values) RC_PRE(std::isfinite(v));
                   if (c.grad_output)
                     for (double v : c.grad_output->values) RC_PRE(std::isfinite(v));
                   cover(c);
                   const auto r = evaluate(ctx.subject, c);
                   require_ok(c, r, ctx.subject);
                   require_grads(c, r, {"positive"}, ctx.subject);
                   for (std::size_t i = 0; i < r.grads.at("positive").values.size(); ++i)
                     if (r.grads.at("positive").values[i] != 0)
                       fail(fmt::format("grads.positive[{}] = {}, expected 0 (d(a, p) = 0)", i,
                                        r.grads.at("positive").values[i]),
                            {{&c, &r}}, ctx.subject);
                 }});
}

}  // namespace
}  // namespace triplet_margin_loss_property_helpers
}  // namespace losscheck::properties::detail

namespace losscheck::properties {

loss_properties triplet_margin_loss_properties() {
  using namespace ::losscheck::properties::detail::triplet_margin_loss_property_helpers;
  // max(·, 0) >= 0
  return {.generate = generate,
          .add = add_triplet_margin_loss,
          .nonnegative = case_profile{},
          .away_from_kinks = away_from_kinks};
}

}  // namespace losscheck::properties
