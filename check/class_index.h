#pragma once
// Private to check/: the tolerance of class-index targets, which cross_entropy (check/cross_entropy.cpp) and nll_loss
// (check/nll_loss.cpp) share (docs/tolerances.md "cross_entropy and nll_loss (class-index targets)").

#include <cstdint>

#include "losscheck/class_layout.h"
#include "tolerance_support.h"

namespace losscheck::check::detail {

/// The tolerance of a class-index case with the given layout, inputs and options. `eps` is the label smoothing
/// (0 for none); `nll` selects nll_loss's rule (l_i = -w[y_i] x_{i,y_i}) over cross_entropy's (log_softmax first).
/// Throws loss_error for a target that is neither ignore_index nor in [0, classes) (a case torch rejects).
tolerance class_index_tolerance(const loss_case& c, const class_layout& l, const tensor* input, const tensor* target,
                                const tensor* weight, std::int64_t ignore_index, reduction red, double eps, bool nll);

}  // namespace losscheck::check::detail
