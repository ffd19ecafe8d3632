#pragma once
/// @file kl_div.h
/// Typed kernels of kl_div: L = t (log t - x) per element (e^t (t - x) with log_target), then torch's reduction.

#include <cstdint>

#include "losscheck/problem.h"

namespace losscheck::impl {

/// kl_div over `numel` elements; input and target are already broadcast to one shape.
template <class T>
struct kl_div_args {
  const T* input = nullptr;   ///< numel log-probabilities
  const T* target = nullptr;  ///< numel probabilities (log-probabilities with log_target)
  std::int64_t numel = 0;
  reduction red = reduction::mean;  ///< none, mean, sum or batchmean
  bool log_target = false;
  std::int64_t batch_size = 1;  ///< batchmean's divisor: input.size(0), or 1 for a 0-D input
  /// torch quirk (functional.py kl_div): reduction='batchmean' given together with a legacy size_average/reduce flag
  /// divides the legacy-chosen none/mean/sum result by batch_size as well.
  bool legacy_batchmean = false;
};

/// Writes the loss: numel values for `none`, one value otherwise (mean = sum / numel, batchmean = sum / batch_size;
/// all of them / batch_size more with legacy_batchmean).
/// Without log_target it is torch's xlogy(t, t) - t x: 0 at t = 0, NaN for t < 0. Finite operands get the exact
/// value's rounding (t (log t - x) without the cancellation of t log t - t x; with log_target 0 at t = x even where
/// e^t overflows); inf and NaN operands follow torch's expressions.
template <class T>
void kl_div_forward(const kl_div_args<T>& args, T* output);

/// Writes the loss and the vector-Jacobian products with `grad_output` (numel values for `none`, one value otherwise;
/// nullptr means ones), numel values each, with g the gradient reaching each element:
///   log_target = false:  grad_input = -t g,      grad_target = g (log t + 1 - x)   (NaN at t = 0, as autograd's t/t)
///   log_target = true:   grad_input = -e^t g,    grad_target = g e^t (t - x + 1)
/// (for finite t, x and g: the exact value's rounding, e.g. 0 for g = 0 where torch's overflowing e^t gives NaN).
/// Any of output, grad_input and grad_target may be nullptr. The gradients may be written in double for float inputs
/// (G = double), e.g. to be summed over broadcast dimensions without rounding every term.
template <class T, class G = T>
void kl_div_forward_backward(const kl_div_args<T>& args, const T* grad_output, T* output, G* grad_input,
                             G* grad_target);

extern template void kl_div_forward(const kl_div_args<float>&, float*);
extern template void kl_div_forward(const kl_div_args<double>&, double*);
extern template void kl_div_forward_backward(const kl_div_args<float>&, const float*, float*, float*, float*);
extern template void kl_div_forward_backward(const kl_div_args<float>&, const float*, float*, double*, double*);
extern template void kl_div_forward_backward(const kl_div_args<double>&, const double*, double*, double*, double*);

}  // namespace losscheck::impl
