// PLACEHOLDER: replaced by the real implementation.
#include "losscheck/error.h"
#include "losses.h"

namespace losscheck::reference::detail {
loss_result cosine_embedding_loss(const cosine_embedding_loss_problem&, const context&) { throw loss_error("cosine_embedding_loss: not implemented yet in reference"); }
}  // namespace losscheck::reference::detail
