// PLACEHOLDER: replaced by the real implementation.
#include "losscheck/error.h"
#include "losses.h"

namespace losscheck::reference::detail {
loss_result kl_div(const kl_div_problem&, const context&) { throw loss_error("kl_div: not implemented yet in reference"); }
}  // namespace losscheck::reference::detail
