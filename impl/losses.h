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

// One entry point per loss, defined in impl/<loss>.cpp: loss_result <loss>(const <loss>_problem&, const context&).
#define LOSSCHECK_X(name) loss_result name(const name##_problem& p, const context& ctx);
LOSSCHECK_FOR_EACH_LOSS(LOSSCHECK_X)
#undef LOSSCHECK_X

/// The entry point of the problem's loss (overloaded on the problem type, for std::visit).
#define LOSSCHECK_X(name) \
  inline loss_result evaluate(const name##_problem& p, const context& ctx) { return name(p, ctx); }
LOSSCHECK_FOR_EACH_LOSS(LOSSCHECK_X)
#undef LOSSCHECK_X

}  // namespace losscheck::impl::detail
