#pragma once
/// @file nll_loss.h
/// Typed kernels of nll_loss with class-index targets: L_i = -w[y_i] x[n, y_i, k] per position, then torch's reduction
/// (`mean` is the weighted mean sum L_i / sum w[y_i] over non-ignored positions).

#include <cstdint>

#include "losscheck/impl/class_targets.h"
#include "losscheck/problem.h"

namespace losscheck::impl {

/// nll_loss of an input laid out as `dims` (see class_dims).
template <class T>
struct nll_loss_args {
  const T* input = nullptr;              ///< batch * classes * inner values (log-probabilities, not checked)
  const std::int64_t* target = nullptr;  ///< batch * inner class indices, each in [0, classes) or ignore_index
  const T* weight = nullptr;             ///< classes values, or nullptr (ones)
  class_dims dims;
  reduction red = reduction::mean;  ///< none, mean or sum
  std::int64_t ignore_index = -100;
};

/// Writes the loss: dims.positions() values for `none` (0 at ignored positions), one value otherwise. `mean` is NaN
/// when the total weight is 0 (every target ignored, empty input, or zero weights), `sum` is then 0.
template <class T>
void nll_loss_forward(const nll_loss_args<T>& args, T* output);

/// Writes the loss and grad_input, the vector-Jacobian product with `grad_output` (dims.positions() values for `none`,
/// one value otherwise; nullptr means ones): -w[y] g at (n, y, k) (g / total weight for `mean`), 0 elsewhere. As in
/// torch, a zero total weight makes the entries of the non-ignored targets NaN. output or grad_input may be nullptr.
template <class T>
void nll_loss_forward_backward(const nll_loss_args<T>& args, const T* grad_output, T* output, T* grad_input);

extern template void nll_loss_forward(const nll_loss_args<float>&, float*);
extern template void nll_loss_forward(const nll_loss_args<double>&, double*);
extern template void nll_loss_forward_backward(const nll_loss_args<float>&, const float*, float*, float*);
extern template void nll_loss_forward_backward(const nll_loss_args<double>&, const double*, double*, double*);

}  // namespace losscheck::impl
