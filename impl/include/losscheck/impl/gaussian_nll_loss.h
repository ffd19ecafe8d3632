#pragma once
/// @file gaussian_nll_loss.h
/// Typed kernels of gaussian_nll_loss: (log v + (x - t)^2 / v) / 2 per element with v = max(var, eps), plus
/// log(2 pi) / 2 with full, then torch's reduction.

#include <cstdint>

#include "losscheck/problem.h"

namespace losscheck::impl {

/// gaussian_nll_loss over `numel` elements; input, target and var are already broadcast to one shape. var holds no
/// negative value (detail::gaussian_nll_loss checks it, as functional.py does).
template <class T>
struct gaussian_nll_loss_args {
  const T* input = nullptr;   ///< numel means
  const T* target = nullptr;  ///< numel samples
  const T* var = nullptr;     ///< numel variances, clamped to eps here
  std::int64_t numel = 0;
  reduction red = reduction::mean;  ///< none, mean or sum
  bool full = false;
  double eps = 1e-6;  ///< as given; rounded to T as ATen's clamp_ does
};

/// Writes the loss: numel values for `none`, one value otherwise (an empty mean is NaN, an empty sum 0).
template <class T>
void gaussian_nll_loss_forward(const gaussian_nll_loss_args<T>& args, T* output);

/// Writes the loss and the vector-Jacobian products with `grad_output` (numel values for `none`, one value otherwise;
/// nullptr means ones), numel values each, with g the gradient reaching each element, d = x - t, v = max(var, eps):
///   grad_input = g d / v = -grad_target,   grad_var = g (1 / v - d^2 / v^2) / 2
/// (the clamp passes var's gradient as the identity: functional.py clamps a clone under no_grad).
/// Any of output, grad_input, grad_target and grad_var may be nullptr. The gradients may be written in double for
/// float inputs (G = double), to be summed over broadcast dimensions without rounding every term.
template <class T, class G = T>
void gaussian_nll_loss_forward_backward(const gaussian_nll_loss_args<T>& args, const T* grad_output, T* output,
                                        G* grad_input, G* grad_target, G* grad_var);

extern template void gaussian_nll_loss_forward(const gaussian_nll_loss_args<float>&, float*);
extern template void gaussian_nll_loss_forward(const gaussian_nll_loss_args<double>&, double*);
extern template void gaussian_nll_loss_forward_backward(const gaussian_nll_loss_args<float>&, const float*, float*,
                                                        float*, float*, float*);
extern template void gaussian_nll_loss_forward_backward(const gaussian_nll_loss_args<float>&, const float*, float*,
                                                        double*, double*, double*);
extern template void gaussian_nll_loss_forward_backward(const gaussian_nll_loss_args<double>&, const double*, double*,
                                                        double*, double*, double*);

}  // namespace losscheck::impl
