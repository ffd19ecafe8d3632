#pragma once
/// @file poisson_nll_loss.h
/// Typed kernels of poisson_nll_loss: e^x - t x (log_input) or x - t log(x + eps) per element, plus the Stirling term
/// where t > 1 with full, then torch's reduction.

#include <cstdint>

#include "losscheck/problem.h"

namespace losscheck::impl {

/// poisson_nll_loss over `numel` elements; input and target are already broadcast to one shape.
template <class T>
struct poisson_nll_loss_args {
  const T* input = nullptr;   ///< numel values: the rate, or its log with log_input
  const T* target = nullptr;  ///< numel values
  std::int64_t numel = 0;
  reduction red = reduction::mean;  ///< none, mean or sum
  bool log_input = true;
  bool full = false;
  double eps = 1e-8;  ///< as given; rounded to T as ATen's `input + eps` does
};

/// Writes the loss: numel values for `none`, one value otherwise (an empty mean is NaN, an empty sum 0).
template <class T>
void poisson_nll_loss_forward(const poisson_nll_loss_args<T>& args, T* output);

/// Writes the loss and the vector-Jacobian products with `grad_output` (numel values for `none`, one value otherwise;
/// nullptr means ones), numel values each, with g the gradient reaching each element:
///   log_input:  grad_input = g e^x - g t          grad_target = -g x
///   otherwise:  grad_input = g - g t / (x + eps)  grad_target = -g log(x + eps)
///   full, t > 1: grad_target += g (log t + 1 / (2 t)), as autograd's sum of paths (NaN at t = inf).
/// The NaN torch gives the target's gradient at t <= 0 with full (its masked 0 · log t) is not written here: it
/// belongs to the target's own shape, after the sum over broadcast copies (detail::poisson_nll_loss sets it).
/// Any of output, grad_input and grad_target may be nullptr. The gradients may be written in double for float inputs
/// (G = double), to be summed over broadcast dimensions without rounding every term.
template <class T, class G = T>
void poisson_nll_loss_forward_backward(const poisson_nll_loss_args<T>& args, const T* grad_output, T* output,
                                       G* grad_input, G* grad_target);

extern template void poisson_nll_loss_forward(const poisson_nll_loss_args<float>&, float*);
extern template void poisson_nll_loss_forward(const poisson_nll_loss_args<double>&, double*);
extern template void poisson_nll_loss_forward_backward(const poisson_nll_loss_args<float>&, const float*, float*,
                                                       float*, float*);
extern template void poisson_nll_loss_forward_backward(const poisson_nll_loss_args<float>&, const float*, float*,
                                                       double*, double*);
extern template void poisson_nll_loss_forward_backward(const poisson_nll_loss_args<double>&, const double*, double*,
                                                       double*, double*);

}  // namespace losscheck::impl
