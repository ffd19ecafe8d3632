// Properties of l1_loss: the common ones, non-negativity and symmetry in (input, target).

#include <cmath>

#include "generator_support.h"
#include "loss_properties.h"
#include "support.h"

namespace losscheck::properties::detail {

namespace l1_loss_property_helpers {
namespace {

/// The cases of l1_loss (loss_properties::generate). Under the smooth profile (finite differences) every target is
/// drawn away from its input: |x - t| ≥ max(1, |x|)/4, beyond the largest finite-difference step of either
/// (2^-6 max(1, |v|) for a float32 row), so that no step crosses the kink x = t.
void generate(loss_case& c, const case_profile& p) {
  const dtype t = c.type;
  const shape_t s = pick_elementwise_shape(p);
  const auto real = [&] { return pick_real(t, p); };
  tensor a = floats(t, s, real);
  if (p.smooth) {
    tensor b = a;
    for (auto& v : b.values) {
      const double u = (0.25 + pick(rc::gen::inRange(0, 64)) / 32.0) * std::max(1.0, std::fabs(v));
      v = round_to(chance(50) ? v + u : v - u, dtype::float32);  // float32 numbers also serve float32_exact
    }
    c.inputs["input"] = a;
    c.inputs["target"] = b;
    return;
  }
  const bool swap = chance(30);
  tensor b = floats(t, pick_broadcast_of(s, p), real);
  if (chance(20))  // exact ties x = t: torch's sgn(0) = 0 (docs/torch-quirks.md)
    for (std::size_t i = 0; i < b.values.size() && b.shape == a.shape; ++i)
      if (chance(50)) b.values[i] = a.values[i];
  c.inputs["input"] = swap ? b : a;
  c.inputs["target"] = swap ? a : b;
  elementwise_invalid_shapes(c, p);
}

}  // namespace
}  // namespace l1_loss_property_helpers

void add_l1_loss(std::vector<property>& out) {
  using namespace ::losscheck::properties::detail::l1_loss_property_helpers;
  out.push_back({"l1_loss", "l1_loss_is_symmetric",
                 "l1_loss(x, t) = l1_loss(t, x), with the two gradients swapped", {"l1_loss"},
                 [](const context& ctx) {
                   case_profile p;
                   p.nonfinite = pick(rc::gen::inRange(0, 100)) < 15;
                   const loss_case c = pick(gen_case("l1_loss", pick_dtype(ctx), p));
                   loss_case s = c;
                   std::swap(s.inputs["input"], s.inputs["target"]);
                   cover(s);
                   const auto r = evaluate(ctx.subject, c);
                   require_ok(c, r, ctx.subject);
                   loss_result expected = r, swapped = evaluate(ctx.subject, s);
                   if (r.grads.count("input") && r.grads.count("target")) {
                     std::swap(expected.grads["input"], expected.grads["target"]);
                   } else {  // a program that lists a gradient in unsupported_grads: the outputs alone
                     expected.grads.clear(), expected.unsupported_grads.clear();
                     swapped.grads.clear(), swapped.unsupported_grads.clear();
                   }
                   expect_agreement(s, expected, swapped, ctx.subject, "the swapped case", {&c});
                 }});
}

}  // namespace losscheck::properties::detail

namespace losscheck::properties {

loss_properties l1_loss_properties() {
  using namespace ::losscheck::properties::detail::l1_loss_property_helpers;
  // |x − t| ≥ 0 always
  return {.generate = generate,
          .add = detail::add_l1_loss,
          .nonnegative = case_profile{}};
}

}  // namespace losscheck::properties
