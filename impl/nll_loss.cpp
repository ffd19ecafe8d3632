// PLACEHOLDER: replaced by the real implementation.
#include "losscheck/error.h"
#include "losses.h"

namespace losscheck::impl::detail {
loss_result nll_loss(const nll_loss_problem&, const context&) { throw loss_error("nll_loss: not implemented yet in impl"); }
}  // namespace losscheck::impl::detail
