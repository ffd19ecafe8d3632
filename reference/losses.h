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

// One entry point per loss, defined in reference/<loss>.cpp: loss_result <loss>(const <loss>_problem&, const context&).
#define LOSSCHECK_X(name) loss_result name(const name##_problem& p, const context& ctx);
LOSSCHECK_FOR_EACH_LOSS(LOSSCHECK_X)
#undef LOSSCHECK_X

/// The entry point of the problem's loss (overloaded on the problem type, for std::visit).
#define LOSSCHECK_X(name) \
  inline loss_result evaluate(const name##_problem& p, const context& ctx) { return name(p, ctx); }
LOSSCHECK_FOR_EACH_LOSS(LOSSCHECK_X)
#undef LOSSCHECK_X

}  // namespace losscheck::reference::detail
