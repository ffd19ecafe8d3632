#pragma once
/// @file margin_ranking_loss.h
/// Typed kernels of margin_ranking_loss: L = max(0, -y (x1 - x2) + margin) per element, then torch's reduction.

#include <cstdint>

#include "losscheck/problem.h"

namespace losscheck::impl {

/// margin_ranking_loss over `numel` elements; input1, input2 and target are already broadcast to one shape (an
/// int64 target converted to T).
template <class T>
struct margin_ranking_loss_args {
  const T* input1 = nullptr;  ///< numel values
  const T* input2 = nullptr;  ///< numel values
  const T* target = nullptr;  ///< numel values
  std::int64_t numel = 0;
  double margin = 0.0;
  reduction red = reduction::mean;  ///< none, mean or sum
};

/// Writes the loss: numel values for `none`, one value otherwise (an empty mean is NaN, an empty sum 0).
template <class T>
void margin_ranking_loss_forward(const margin_ranking_loss_args<T>& args, T* output);

/// Writes the loss and the vector-Jacobian products with `grad_output` (numel values for `none`, one value
/// otherwise; nullptr means ones): with G = g [z >= 0] (g / numel for mean), grad_input1 = -y G, grad_input2 = y G,
/// grad_target = -(x1 - x2) G, numel values each in G_t (double for float inputs, to be summed over broadcast
/// dimensions). Any of output and the gradients may be nullptr and is then not computed.
template <class T, class Gt = T>
void margin_ranking_loss_forward_backward(const margin_ranking_loss_args<T>& args, const T* grad_output, T* output,
                                          Gt* grad_input1, Gt* grad_input2, Gt* grad_target);

extern template void margin_ranking_loss_forward(const margin_ranking_loss_args<float>&, float*);
extern template void margin_ranking_loss_forward(const margin_ranking_loss_args<double>&, double*);
extern template void margin_ranking_loss_forward_backward(const margin_ranking_loss_args<float>&, const float*, float*,
                                                          float*, float*, float*);
extern template void margin_ranking_loss_forward_backward(const margin_ranking_loss_args<float>&, const float*, float*,
                                                          double*, double*, double*);
extern template void margin_ranking_loss_forward_backward(const margin_ranking_loss_args<double>&, const double*,
                                                          double*, double*, double*, double*);

}  // namespace losscheck::impl
