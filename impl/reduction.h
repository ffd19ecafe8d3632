#pragma once
// Private to impl: torch's reductions (apply_loss_reduction in Loss.cpp) for the kernels: the reduced value of a sum
// and the gradient each element receives from grad_output.

#include <cstdint>

#include "losscheck/problem.h"

namespace losscheck::impl {

/// The elements a loss of reduction `red` over `count` elements is divided by: count for mean (0 for an empty mean,
/// which makes it 0/0 = NaN as torch's mean of nothing is), `batch` for kl_div's batchmean, 1 for sum and none.
inline double reduction_divisor(reduction red, std::int64_t count, std::int64_t batch = 1) {
  switch (red) {
    case reduction::mean: return static_cast<double>(count);
    case reduction::batchmean: return static_cast<double>(batch);
    default: return 1.0;
  }
}

/// The incoming gradient of element i: grad_output[i] / divisor for `none` (divisor is 1 there except for kl_div's
/// legacy batchmean), grad_output[0] / divisor for the reduced forms; a null grad_output means ones.
template <class T>
class upstream_gradient {
 public:
  upstream_gradient(reduction red, const T* grad_output, double divisor)
      : per_element_(red == reduction::none ? grad_output : nullptr),
        divisor_(divisor),
        scalar_((red == reduction::none || grad_output == nullptr ? 1.0 : static_cast<double>(grad_output[0])) /
                divisor) {}
  double at(std::int64_t i) const { return per_element_ ? static_cast<double>(per_element_[i]) / divisor_ : scalar_; }

 private:
  const T* per_element_;
  double divisor_;
  double scalar_;
};

}  // namespace losscheck::impl
