// Properties of mse_loss: the common ones, non-negativity and symmetry in (input, target).

#include "generator_support.h"
#include "loss_properties.h"
#include "support.h"

namespace losscheck::properties::detail {

namespace mse_loss_property_helpers {
namespace {

/// The cases of mse_loss (loss_properties::generate).
void generate(loss_case& c, const case_profile& p) {
  const dtype t = c.type;
  const shape_t s = pick_elementwise_shape(p);
  const auto real = [&] { return pick_real(t, p); };
  const bool swap = chance(30);
  tensor a = floats(t, s, real), b = floats(t, pick_broadcast_of(s, p), real);
  c.inputs["input"] = swap ? b : a;
  c.inputs["target"] = swap ? a : b;
  elementwise_invalid_shapes(c, p);
}

}  // namespace
}  // namespace mse_loss_property_helpers

void add_mse_loss(std::vector<property>& out) {
  using namespace ::losscheck::properties::detail::mse_loss_property_helpers;
  out.push_back({"mse_loss", "mse_loss_is_symmetric",
                 "mse_loss(x, t) = mse_loss(t, x), with the two gradients swapped", {"mse_loss"},
                 [](const context& ctx) {
                   case_profile p;
                   p.nonfinite = pick(rc::gen::inRange(0, 100)) < 15;
                   const loss_case c = pick(gen_case("mse_loss", pick_dtype(ctx), p));
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

loss_properties mse_loss_properties() {
  using namespace ::losscheck::properties::detail::mse_loss_property_helpers;
  // (x − t)² ≥ 0 always
  return {.generate = generate,
          .add = detail::add_mse_loss,
          .nonnegative = case_profile{}};
}

}  // namespace losscheck::properties
