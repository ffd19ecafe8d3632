#pragma once
// Private to the reference: one entry point per loss (reference/<loss>.cpp), called by reference.cpp.

#include "losscheck/case.h"
#include "losscheck/problem.h"

namespace losscheck::reference::detail {

/// What every loss needs besides its problem: the precision, the dtype to round results to, and grad_output
/// (nullptr means ones).
struct context {
  unsigned precision_bits;
  dtype out_type;
  const tensor* grad_output;
};

loss_result mse_loss(const mse_loss_problem& p, const context& ctx);
loss_result binary_cross_entropy(const binary_cross_entropy_problem& p, const context& ctx);
loss_result binary_cross_entropy_with_logits(const binary_cross_entropy_with_logits_problem& p, const context& ctx);
loss_result cross_entropy(const cross_entropy_problem& p, const context& ctx);
loss_result nll_loss(const nll_loss_problem& p, const context& ctx);
loss_result kl_div(const kl_div_problem& p, const context& ctx);
loss_result cosine_embedding_loss(const cosine_embedding_loss_problem& p, const context& ctx);

}  // namespace losscheck::reference::detail
