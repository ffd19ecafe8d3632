#pragma once
/// @file multilabel_margin_loss.h
/// Typed kernels of multilabel_margin_loss: per row, with the targets T = the class indices before the first -1,
/// L = Σ_{t in T} Σ_{i not in T} max(0, 1 - x[t] + x[i]) / C, then torch's reduction (mean over rows).

#include <cstdint>

#include "losscheck/problem.h"

namespace losscheck::impl {

/// multilabel_margin_loss over `rows` rows of `classes` scores.
template <class T>
struct multilabel_margin_loss_args {
  const T* input = nullptr;              ///< rows * classes values
  const std::int64_t* target = nullptr;  ///< rows * classes values in [-1, classes) (not checked here)
  std::int64_t rows = 0;
  std::int64_t classes = 1;
  reduction red = reduction::mean;  ///< none, mean or sum
};

/// Writes the loss and grad_input, the vector-Jacobian product with `grad_output` (rows values for `none`, one value
/// otherwise; nullptr means ones). Each row is computed in double (z = 1 - x[t] + x[i] as a compensated sum of three
/// terms); a NaN z counts as inactive, as in torch; a repeated target counts each time. An empty mean is NaN, an
/// empty sum 0. output or grad_input may be nullptr.
template <class T>
void multilabel_margin_loss_forward_backward(const multilabel_margin_loss_args<T>& args, const T* grad_output,
                                             T* output, T* grad_input);

extern template void multilabel_margin_loss_forward_backward(const multilabel_margin_loss_args<float>&, const float*,
                                                             float*, float*);
extern template void multilabel_margin_loss_forward_backward(const multilabel_margin_loss_args<double>&,
                                                             const double*, double*, double*);

}  // namespace losscheck::impl
