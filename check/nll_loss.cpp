// nll_loss's tolerance: the class-index rule it shares with cross_entropy (check/class_index.cpp, docs/tolerances.md
// "cross_entropy and nll_loss (class-index targets)") without log_softmax or smoothing.

#include "class_index.h"

namespace losscheck::check::detail {

tolerance nll_loss_tolerance(const loss_case& c, const nll_loss_problem& p) {
  return class_index_tolerance(c, p.layout, p.input, p.target, p.weight, p.ignore_index, p.red, 0.0, true);
}

}  // namespace losscheck::check::detail
