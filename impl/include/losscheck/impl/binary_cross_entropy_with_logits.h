#pragma once
/// @file binary_cross_entropy_with_logits.h
/// Typed kernels of binary_cross_entropy_with_logits:
/// L = w [(1 - y) x + (1 + (p - 1) y) softplus(-x)] per element (p = pos_weight), then torch's reduction.

#include <cstdint>

#include "losscheck/problem.h"

namespace losscheck::impl {

/// binary_cross_entropy_with_logits over `numel` elements.
template <class T>
struct binary_cross_entropy_with_logits_args {
  const T* input = nullptr;       ///< numel logits
  const T* target = nullptr;      ///< numel values (any: torch does not check them)
  const T* weight = nullptr;      ///< numel values already broadcast to the target's shape, or nullptr (ones)
  const T* pos_weight = nullptr;  ///< numel values already broadcast to the target's shape, or nullptr (ones)
  std::int64_t numel = 0;
  reduction red = reduction::mean;  ///< none, mean or sum
};

/// Writes the loss: numel values for `none`, one value otherwise (an empty mean is NaN, an empty sum 0). Finite
/// logits are evaluated without overflow or cancellation (float32 x = 20, y = 1 gives 2.0611537e-09, where torch's
/// log(e^-m + e^(-x-m)) gives 0); inf and NaN operands follow torch's expression (a logit of -inf gives NaN, +inf
/// gives (1 - y) inf).
template <class T>
void binary_cross_entropy_with_logits_forward(const binary_cross_entropy_with_logits_args<T>& args, T* output);

/// Writes the loss and the vector-Jacobian products with `grad_output` (numel values for `none`, one value otherwise;
/// nullptr means ones), numel values each (/ numel for mean):
///   grad_input  = g w ((p y + 1 - y) sigmoid(x) - p y) = g w ((1 - y) sigmoid(x) - p y sigmoid(-x))
///   grad_target = g w (p softplus(-x) - softplus(x)), which is -g w x without pos_weight (torch's own formula then)
/// Any of output, grad_input and grad_target may be nullptr and is then not computed.
template <class T>
void binary_cross_entropy_with_logits_forward_backward(const binary_cross_entropy_with_logits_args<T>& args,
                                                       const T* grad_output, T* output, T* grad_input, T* grad_target);

extern template void binary_cross_entropy_with_logits_forward(const binary_cross_entropy_with_logits_args<float>&,
                                                              float*);
extern template void binary_cross_entropy_with_logits_forward(const binary_cross_entropy_with_logits_args<double>&,
                                                              double*);
extern template void binary_cross_entropy_with_logits_forward_backward(
    const binary_cross_entropy_with_logits_args<float>&, const float*, float*, float*, float*);
extern template void binary_cross_entropy_with_logits_forward_backward(
    const binary_cross_entropy_with_logits_args<double>&, const double*, double*, double*, double*);

}  // namespace losscheck::impl
