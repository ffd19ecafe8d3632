#include "losscheck/reference.h"

#include "losscheck/error.h"
#include "losses.h"
#include "mp.h"

namespace losscheck::reference {

loss_result evaluate(const loss_case& c, unsigned precision_bits) {
  try {
    const problem p = resolve_problem(c);
    const detail::context ctx{precision_bits, c.type, c.grad_output ? &*c.grad_output : nullptr};
    loss_result r = std::visit(
        [&](const auto& q) { return detail::evaluate(q, ctx); }, p);
    r.id = c.id;
    return r;
  } catch (const loss_error& e) {
    return loss_result::failure(c.id, e.what());
  }
}

loss_result evaluate_via_float32(const loss_case& c, unsigned precision_bits) {
  if (!is_half(c.type)) return evaluate(c, precision_bits);
  loss_result r = evaluate(with_dtype(c, dtype::float32), precision_bits);
  auto to_half = [&](tensor& t) {
    t.type = c.type;
    const detail::working_precision precision(precision_bits);
    for (auto& v : t.values) v = detail::round_to(detail::mp(v), c.type);  // a float32 value, rounded once more
  };
  if (r.output) to_half(*r.output);
  for (auto& [name, g] : r.grads) to_half(g);
  return r;
}

namespace {
class reference_target final : public target {
 public:
  reference_target(unsigned bits, bool via_float32) : bits_(bits), via_float32_(via_float32) {}
  std::string name() const override { return via_float32_ ? "reference:float32" : "reference"; }
  loss_result evaluate(const loss_case& c) override {
    return via_float32_ ? reference::evaluate_via_float32(c, bits_) : reference::evaluate(c, bits_);
  }

 private:
  unsigned bits_;
  bool via_float32_;
};
}  // namespace

std::unique_ptr<target> make_target(unsigned precision_bits, bool via_float32) {
  return std::make_unique<reference_target>(precision_bits, via_float32);
}

}  // namespace losscheck::reference
