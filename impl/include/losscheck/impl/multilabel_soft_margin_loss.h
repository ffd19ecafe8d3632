#pragma once
/// @file multilabel_soft_margin_loss.h
/// Typed kernels of multilabel_soft_margin_loss: per element l = -w [y log σ(x) + (1 - y) log σ(-x)], each row's
/// terms summed over the class dimension and divided by C, then torch's reduction over rows.

#include <cstdint>

#include "losscheck/problem.h"

namespace losscheck::impl {

/// multilabel_soft_margin_loss over `rows` × `k` × `inner` elements (the broadcast terms, row-major, with the summed
/// dimension of size k in the middle); input, target and weight are already broadcast to that shape.
template <class T>
struct multilabel_soft_margin_loss_args {
  const T* input = nullptr;   ///< rows k inner values
  const T* target = nullptr;  ///< rows k inner values
  const T* weight = nullptr;  ///< rows k inner values, or nullptr (ones)
  std::int64_t outer = 0;     ///< the dimensions before the summed one
  std::int64_t k = 0;         ///< the summed dimension
  std::int64_t inner = 1;     ///< the dimensions after it
  std::int64_t classes = 0;   ///< C = input.size(-1), the divisor of each row's sum
  reduction red = reduction::mean;  ///< none, mean or sum
  /// When not nullptr, forward_backward also writes each element's G w (rows k inner values): the incoming gradient
  /// of the unweighted term, before it is summed over a broadcast that only the weight introduced.
  double* weighted_upstream = nullptr;
};

/// Writes the loss: outer × inner row values for `none`, one value otherwise (an empty mean is NaN, C = 0 gives NaN
/// rows).
template <class T>
void multilabel_soft_margin_loss_forward(const multilabel_soft_margin_loss_args<T>& args, T* output);

/// Writes the loss and the vector-Jacobian products with `grad_output` (one value per row for `none`, one value
/// otherwise; nullptr means ones): with G = g_row / C (/ rows for mean),
/// grad_input = G w (σ(x) - y), grad_target = -G w x, grad_weight = G l (l unweighted), one per element in double
/// (to be summed over broadcast dimensions). Any pointer but args' inputs may be nullptr and is then not computed.
template <class T>
void multilabel_soft_margin_loss_forward_backward(const multilabel_soft_margin_loss_args<T>& args, const T* grad_output,
                                                  T* output, double* grad_input, double* grad_target,
                                                  double* grad_weight);

extern template void multilabel_soft_margin_loss_forward(const multilabel_soft_margin_loss_args<float>&, float*);
extern template void multilabel_soft_margin_loss_forward(const multilabel_soft_margin_loss_args<double>&, double*);
extern template void multilabel_soft_margin_loss_forward_backward(const multilabel_soft_margin_loss_args<float>&,
                                                                  const float*, float*, double*, double*, double*);
extern template void multilabel_soft_margin_loss_forward_backward(const multilabel_soft_margin_loss_args<double>&,
                                                                  const double*, double*, double*, double*, double*);

}  // namespace losscheck::impl
