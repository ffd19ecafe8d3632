#pragma once
/// @file binary_cross_entropy.h
/// Typed kernels of binary_cross_entropy: L = -w [y max(log x, -100) + (1 - y) max(log(1 - x), -100)] per element,
/// then torch's reduction.

#include <cstdint>

#include "losscheck/problem.h"

namespace losscheck::impl {

/// binary_cross_entropy over `numel` elements.
template <class T>
struct binary_cross_entropy_args {
  const T* input = nullptr;   ///< numel probabilities, each in [0, 1] (see binary_cross_entropy_invalid_input)
  const T* target = nullptr;  ///< numel values (not checked: torch accepts any)
  const T* weight = nullptr;  ///< numel values already broadcast to the target's shape, or nullptr (ones)
  std::int64_t numel = 0;
  reduction red = reduction::mean;  ///< none, mean or sum
};

/// The index of the first input that is not in [0, 1] (NaN included), or -1. torch rejects such inputs ("all
/// elements of input should be between 0 and 1"); the kernels require that there is none.
template <class T>
std::int64_t binary_cross_entropy_invalid_input(const T* input, std::int64_t numel);

/// Writes the loss: numel values for `none`, one value otherwise (an empty mean is NaN, an empty sum 0). The logs are
/// clamped at -100 before they are multiplied (torch), so x = 0, y = 0 gives 0 and x = 0, y = 1 gives 100.
template <class T>
void binary_cross_entropy_forward(const binary_cross_entropy_args<T>& args, T* output);

/// Writes the loss and the vector-Jacobian products with `grad_output` (numel values for `none`, one value otherwise;
/// nullptr means ones), numel values each (/ numel for mean):
///   grad_input  = g w (x - y) / max(x (1 - x), 1e-12f)   (torch's clamp of the denominator, Loss.cpp; the
///                                                        constant is the float 1e-12f in both dtypes)
///   grad_target = g w (log(1 - x) - log x)               (not clamped: +-inf at x = 0 or 1)
/// Any of output, grad_input and grad_target may be nullptr and is then not computed.
template <class T>
void binary_cross_entropy_forward_backward(const binary_cross_entropy_args<T>& args, const T* grad_output, T* output,
                                           T* grad_input, T* grad_target);

extern template std::int64_t binary_cross_entropy_invalid_input(const float*, std::int64_t);
extern template std::int64_t binary_cross_entropy_invalid_input(const double*, std::int64_t);
extern template void binary_cross_entropy_forward(const binary_cross_entropy_args<float>&, float*);
extern template void binary_cross_entropy_forward(const binary_cross_entropy_args<double>&, double*);
extern template void binary_cross_entropy_forward_backward(const binary_cross_entropy_args<float>&, const float*,
                                                           float*, float*, float*);
extern template void binary_cross_entropy_forward_backward(const binary_cross_entropy_args<double>&, const double*,
                                                           double*, double*, double*);

}  // namespace losscheck::impl
