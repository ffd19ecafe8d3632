// Properties of triplet_margin_with_distance_loss: the common ones (no legacy flags), non-negativity, and its
// identity with triplet_margin_loss (p = 2) for the pairwise distance.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "generator_support.h"
#include "loss_properties.h"
#include "support.h"

namespace losscheck::properties::detail {

namespace triplet_margin_with_distance_loss_property_helpers {
namespace {

using rc::gen::element;
using rc::gen::inRange;
using rc::gen::weightedElement;

/// The cases of triplet_margin_with_distance_loss (loss_properties::generate): (N, D) or (D) rows (ranks may differ:
/// a (D) positive against (N, D) rows), broadcast rows; distance_function null, "pairwise_distance" or "cosine";
/// margin and swap.
void generate(loss_case& c, const case_profile& p) {
  const dtype t = c.type;
  const auto d = pick(inRange<std::int64_t>(1, 5));
  const auto rows = static_cast<std::int64_t>(pick(weightedElement<int>({{1, 0}, {3, 1}, {4, 2}, {2, 3}})));
  const bool unbatched = p.unbatched && chance(15);
  const shape_t s = unbatched ? shape_t{d} : shape_t{rows, d};
  auto row_values = [&](shape_t shape) {
    tensor x = floats(t, shape, [&] { return pick_real(t, p); });
    if (!p.smooth && chance(20)) {
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
  if (p.broadcast && !unbatched && chance(15)) (chance(50) ? sp : sn) = chance(50) ? shape_t{1, d} : shape_t{d};
  if (p.invalid && chance(10)) sn.back() += 1;  // does not broadcast
  c.inputs["positive"] = row_values(sp);
  c.inputs["negative"] = row_values(sn);
  if (chance(60)) {
    const char* which = pick(element("pairwise_distance", "cosine", "cosine"));
    c.options["distance_function"] = std::string(which);
  } else if (chance(20)) {
    c.options["distance_function"] = std::monostate{};
  }
  if (chance(40)) c.options["margin"] = pick(element(0.0, 0.5, 1.0, -0.5, 2.0));
  if (chance(40)) c.options["swap"] = pick(element(false, true));
  if (p.invalid && chance(5)) c.options["distance_function"] = std::string("euclidean");
}

/// Finite differences: rows away from the hinge's and the swap's ties, from zero pairwise distances, and (cosine)
/// from the norms' clamp at 1e-8.
void away_from_kinks(const loss_case& c) {
  auto find = [&](const char* name) { return c.options.find(name); };
  const bool cosine = find("distance_function") != c.options.end() &&
                      std::holds_alternative<std::string>(find("distance_function")->second) &&
                      std::get<std::string>(find("distance_function")->second) == "cosine";
  const double margin = find("margin") == c.options.end() ? 1.0 : std::get<double>(find("margin")->second);
  const bool swap = find("swap") != c.options.end() && std::get<bool>(find("swap")->second);
  const auto& a = c.inputs.at("anchor");
  const std::size_t d = a.shape.empty() ? 1 : static_cast<std::size_t>(a.shape.back());
  std::size_t rows = 0;
  for (const char* n : {"anchor", "positive", "negative"}) rows = std::max(rows, c.inputs.at(n).values.size() / d);
  auto at = [&](const char* name, std::size_t r, std::size_t k) {
    const auto& v = c.inputs.at(name).values;
    return v[(v.size() == d ? 0 : r) * d + k];
  };
  for (std::size_t r = 0; r < rows; ++r) {
    auto dist = [&](const char* x, const char* y) {
      double xx = 0, yy = 0, xy = 0, zz = 0;
      for (std::size_t k = 0; k < d; ++k) {
        const double xv = at(x, r, k), yv = at(y, r, k), z = xv - yv + 1e-6;
        xx += xv * xv, yy += yv * yv, xy += xv * yv, zz += z * z;
      }
      if (!cosine) {
        RC_PRE(zz > 0.01);
        return std::sqrt(zz);
      }
      RC_PRE(xx > 0.01 && yy > 0.01);
      return 1 - xy / std::sqrt(xx * yy);
    };
    const double ap = dist("anchor", "positive"), an = dist("anchor", "negative");
    double dn = an;
    if (swap) {
      const double pn = dist("positive", "negative");
      RC_PRE(std::fabs(an - pn) > 0.05);
      dn = std::min(an, pn);
    }
    RC_PRE(std::fabs(ap - dn + margin) > 0.05);
  }
}

void add_triplet_margin_with_distance_loss(std::vector<property>& out) {
  const std::string loss = "triplet_margin_with_distance_loss";
  out.push_back(
      {loss, "triplet_margin_with_distance_loss_with_pairwise_distance_equals_triplet_margin_loss_with_p_2",
       "with distance_function null or \"pairwise_distance\", the loss and its gradients equal triplet_margin_loss's "
       "with p = 2, eps = 1e-6 and the same margin, swap and reduction (same-rank inputs)",
       {loss, "triplet_margin_loss"}, [loss](const context& ctx) {
         loss_case c = pick(gen_case(loss, pick_dtype(ctx), case_profile{}));
         if (chance(50)) c.options["distance_function"] = std::string("pairwise_distance");
         else c.options.erase("distance_function");
         const auto& in = c.inputs;
         RC_PRE(in.at("anchor").dim() == in.at("positive").dim() && in.at("anchor").dim() == in.at("negative").dim());
         loss_case t = c;
         t.loss = "triplet_margin_loss";
         t.options.erase("distance_function");
         t.options["p"] = 2.0;
         cover(c);
         const auto r = evaluate(ctx.subject, c), e = evaluate(ctx.subject, t);
         require_ok(c, r, ctx.subject);
         require_ok(t, e, ctx.subject);
         // both within their tolerances of the same exact values: the wider of the two bounds
         expect_agreement(c, e, r, ctx.subject, "triplet_margin_loss with p = 2", {&t},
                          check::widest(check::tolerance_for(c), check::tolerance_for(t)));
       }});
}

}  // namespace
}  // namespace triplet_margin_with_distance_loss_property_helpers
}  // namespace losscheck::properties::detail

namespace losscheck::properties {

loss_properties triplet_margin_with_distance_loss_properties() {
  using namespace ::losscheck::properties::detail::triplet_margin_with_distance_loss_property_helpers;
  // max(·, 0) >= 0
  return {.generate = generate,
          .add = add_triplet_margin_with_distance_loss,
          .nonnegative = case_profile{},
          .away_from_kinks = away_from_kinks};
}

}  // namespace losscheck::properties
