#pragma once
/// @file huber_loss.h
/// Typed kernels of huber_loss: with d = x - t, L = 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta) per
/// element, then torch's reduction.

#include <cstdint>

#include "losscheck/problem.h"

namespace losscheck::impl {

/// huber_loss over `numel` elements; input and target are already broadcast to one shape.
template <class T>
struct huber_loss_args {
  const T* input = nullptr;   ///< numel values
  const T* target = nullptr;  ///< numel values
  std::int64_t numel = 0;
  double delta = 1.0;  ///< as given; rounded to T as ATen does (`scalar_t delta_val(delta)`)
  reduction red = reduction::mean;  ///< none, mean or sum
};

/// Writes the loss: numel values for `none`, one value otherwise (an empty mean is NaN, an empty sum 0).
template <class T>
void huber_loss_forward(const huber_loss_args<T>& args, T* output);

/// Writes the loss and the vector-Jacobian products with `grad_output` (numel values for `none`, one value otherwise;
/// nullptr means ones), numel values each, as ATen's huber_loss_backward (the target's with input and target swapped).
/// Any of output, grad_input and grad_target may be nullptr and is then not computed. The gradients may be written
/// in double for float inputs (G = double), e.g. to be summed over broadcast dimensions without rounding every term.
template <class T, class G = T>
void huber_loss_forward_backward(const huber_loss_args<T>& args, const T* grad_output, T* output, G* grad_input,
                              G* grad_target);

extern template void huber_loss_forward(const huber_loss_args<float>&, float*);
extern template void huber_loss_forward(const huber_loss_args<double>&, double*);
extern template void huber_loss_forward_backward(const huber_loss_args<float>&, const float*, float*, float*, float*);
extern template void huber_loss_forward_backward(const huber_loss_args<float>&, const float*, float*, double*, double*);
extern template void huber_loss_forward_backward(const huber_loss_args<double>&, const double*, double*, double*, double*);

}  // namespace losscheck::impl
