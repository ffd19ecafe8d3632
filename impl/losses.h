#pragma once
// Private to impl: one case-level entry point per loss (impl/<loss>.cpp), called by impl.cpp. Each converts the
// problem's tensors to T arrays and calls the typed kernels of losscheck/impl/<loss>.h.

#include "losscheck/case.h"
#include "losscheck/problem.h"

namespace losscheck::impl::detail {

/// What every loss needs besides its problem: the dtype to compute in and grad_output (nullptr means ones).
struct context {
  dtype type;
  const tensor* grad_output;
};

loss_result mse_loss(const mse_loss_problem& p, const context& ctx);
loss_result binary_cross_entropy(const binary_cross_entropy_problem& p, const context& ctx);
loss_result binary_cross_entropy_with_logits(const binary_cross_entropy_with_logits_problem& p, const context& ctx);
loss_result cross_entropy(const cross_entropy_problem& p, const context& ctx);
loss_result nll_loss(const nll_loss_problem& p, const context& ctx);
loss_result kl_div(const kl_div_problem& p, const context& ctx);
loss_result cosine_embedding_loss(const cosine_embedding_loss_problem& p, const context& ctx);

}  // namespace losscheck::impl::detail
