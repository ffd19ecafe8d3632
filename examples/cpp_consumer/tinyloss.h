#pragma once
/// @file tinyloss.h
/// A small loss library, standing for yours: mse_loss forward and backward over contiguous arrays.

#include <cstddef>
#include <vector>

namespace tinyloss {

enum class reduction { none, mean, sum };

/// The loss (one value, or one per element for `none`) and its gradients with respect to input and target.
struct mse_result {
  std::vector<double> loss, grad_input, grad_target;
};

/// mean/sum/none of (x_i − y_i)² over n elements; `grad_output` is the upstream gradient (one value for mean and sum,
/// one per element for none). `rows` is the size of dimension 0 (for the planted bug). Computed in double; the
/// caller rounds to its dtype. `planted_bug`: the mean divides by `rows` instead of n (a mistake libraries make).
mse_result mse_loss(const std::vector<double>& x, const std::vector<double>& y, reduction r,
                    const std::vector<double>& grad_output, std::size_t rows, bool planted_bug = false);

}  // namespace tinyloss
