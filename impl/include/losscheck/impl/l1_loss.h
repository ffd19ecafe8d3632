#pragma once
/// @file l1_loss.h
/// Typed kernels of l1_loss: L = |x - t| per element, then torch's reduction.

#include <cstdint>

#include "losscheck/problem.h"

namespace losscheck::impl {

/// l1_loss over `numel` elements; input and target are already broadcast to one shape.
template <class T>
struct l1_loss_args {
  const T* input = nullptr;   ///< numel values
  const T* target = nullptr;  ///< numel values
  std::int64_t numel = 0;
  reduction red = reduction::mean;  ///< none, mean or sum
};

/// Writes the loss: numel values for `none`, one value otherwise (an empty mean is NaN, an empty sum 0).
template <class T>
void l1_loss_forward(const l1_loss_args<T>& args, T* output);

/// Writes the loss and the vector-Jacobian products with `grad_output` (numel values for `none`, one value otherwise;
/// nullptr means ones): grad_input = sgn(x - t) g (/ numel for mean) with torch's sgn (0 at a zero or NaN
/// difference), grad_target = -grad_input, numel values each. Any of output, grad_input and grad_target may be
/// nullptr and is then not computed. The gradients may be written in double for float inputs (G = double), e.g. to be
/// summed over broadcast dimensions without rounding every term.
template <class T, class G = T>
void l1_loss_forward_backward(const l1_loss_args<T>& args, const T* grad_output, T* output, G* grad_input,
                              G* grad_target);

extern template void l1_loss_forward(const l1_loss_args<float>&, float*);
extern template void l1_loss_forward(const l1_loss_args<double>&, double*);
extern template void l1_loss_forward_backward(const l1_loss_args<float>&, const float*, float*, float*, float*);
extern template void l1_loss_forward_backward(const l1_loss_args<float>&, const float*, float*, double*, double*);
extern template void l1_loss_forward_backward(const l1_loss_args<double>&, const double*, double*, double*, double*);

}  // namespace losscheck::impl
