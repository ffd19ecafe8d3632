#include "losscheck/reference.h"

#include "losscheck/error.h"
#include "losses.h"

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

namespace {
class reference_target final : public target {
 public:
  explicit reference_target(unsigned bits) : bits_(bits) {}
  std::string name() const override { return "reference"; }
  loss_result evaluate(const loss_case& c) override { return reference::evaluate(c, bits_); }

 private:
  unsigned bits_;
};
}  // namespace

std::unique_ptr<target> make_target(unsigned precision_bits) {
  return std::make_unique<reference_target>(precision_bits);
}

}  // namespace losscheck::reference
