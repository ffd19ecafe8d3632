// PLACEHOLDER: replaced by the real implementation.
#include "losscheck/error.h"
#include "losses.h"

namespace losscheck::reference::detail {
loss_result binary_cross_entropy_with_logits(const binary_cross_entropy_with_logits_problem&, const context&) { throw loss_error("binary_cross_entropy_with_logits: not implemented yet in reference"); }
}  // namespace losscheck::reference::detail
