#include "losscheck/impl.h"

#include "half_round.h"
#include "losscheck/error.h"
#include "losses.h"

namespace losscheck::impl {

namespace {

/// `t`'s float32 values rounded once to half dtype `type`.
void round_tensor(tensor& t, dtype type) {
  t.type = type;
  round_float32_values_to_half(t.values, type);
}

}  // namespace

loss_result evaluate(const loss_case& c) {
  if (is_half(c.type)) {
    // bfloat16 and float16 as most half kernels compute them: in float32 (the float32 kernels, on the same values),
    // each result rounded once to the half dtype (docs/tolerances.md "Half precision")
    loss_result r = evaluate(with_dtype(c, dtype::float32));
    if (r.output) round_tensor(*r.output, c.type);
    for (auto& [name, g] : r.grads) round_tensor(g, c.type);
    return r;
  }
  try {
    const problem p = resolve_problem(c);
    const detail::context ctx{c.type, c.grad_output ? &*c.grad_output : nullptr};
    loss_result r = std::visit(
        [&](const auto& q) { return detail::evaluate(q, ctx); }, p);
    r.id = c.id;
    return r;
  } catch (const loss_error& e) {
    return loss_result::failure(c.id, e.what());
  }
}

namespace {
class impl_target final : public target {
 public:
  std::string name() const override { return "impl"; }
  loss_result evaluate(const loss_case& c) override { return impl::evaluate(c); }
};
}  // namespace

std::unique_ptr<target> make_target() { return std::make_unique<impl_target>(); }

}  // namespace losscheck::impl
