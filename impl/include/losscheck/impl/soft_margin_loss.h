#pragma once
/// @file soft_margin_loss.h
/// Typed kernels of soft_margin_loss: L = log(1 + exp(-y x)) per element, then torch's reduction.

#include <cstdint>

#include "losscheck/problem.h"

namespace losscheck::impl {

/// soft_margin_loss over `numel` elements; the target is already broadcast to the input's shape.
template <class T>
struct soft_margin_loss_args {
  const T* input = nullptr;   ///< numel values
  const T* target = nullptr;  ///< numel values
  std::int64_t numel = 0;
  reduction red = reduction::mean;  ///< none, mean or sum
};

/// Writes the loss: numel values for `none`, one value otherwise (an empty mean is NaN, an empty sum 0).
template <class T>
void soft_margin_loss_forward(const soft_margin_loss_args<T>& args, T* output);

/// Writes the loss and the vector-Jacobian product with `grad_output` (numel values for `none`, one value otherwise;
/// nullptr means ones): grad_input = -y σ(-y x) g (/ numel for mean), numel values. Either of output and grad_input
/// may be nullptr and is then not computed.
template <class T>
void soft_margin_loss_forward_backward(const soft_margin_loss_args<T>& args, const T* grad_output, T* output,
                                       T* grad_input);

extern template void soft_margin_loss_forward(const soft_margin_loss_args<float>&, float*);
extern template void soft_margin_loss_forward(const soft_margin_loss_args<double>&, double*);
extern template void soft_margin_loss_forward_backward(const soft_margin_loss_args<float>&, const float*, float*,
                                                       float*);
extern template void soft_margin_loss_forward_backward(const soft_margin_loss_args<double>&, const double*, double*,
                                                       double*);

}  // namespace losscheck::impl
