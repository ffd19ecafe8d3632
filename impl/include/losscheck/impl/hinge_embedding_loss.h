#pragma once
/// @file hinge_embedding_loss.h
/// Typed kernels of hinge_embedding_loss: L = [y != 1] max(0, margin - x) + [y != -1] x per element, then torch's
/// reduction.

#include <cstdint>

#include "losscheck/problem.h"

namespace losscheck::impl {

/// hinge_embedding_loss over `numel` elements; input and target are already broadcast to one shape (an int64
/// target converted to T keeps exactly the values equal to 1 and -1).
template <class T>
struct hinge_embedding_loss_args {
  const T* input = nullptr;   ///< numel values
  const T* target = nullptr;  ///< numel values
  std::int64_t numel = 0;
  double margin = 1.0;
  reduction red = reduction::mean;  ///< none, mean or sum
};

/// Writes the loss: numel values for `none`, one value otherwise (an empty mean is NaN, an empty sum 0).
template <class T>
void hinge_embedding_loss_forward(const hinge_embedding_loss_args<T>& args, T* output);

/// Writes the loss and the vector-Jacobian product with `grad_output` (numel values for `none`, one value otherwise;
/// nullptr means ones): grad_input = (-[y != 1][margin - x >= 0] + [y != -1]) g (/ numel for mean), numel values
/// in G (double for float inputs, to be summed over broadcast dimensions). Either of output and grad_input may be
/// nullptr and is then not computed.
template <class T, class G = T>
void hinge_embedding_loss_forward_backward(const hinge_embedding_loss_args<T>& args, const T* grad_output, T* output,
                                           G* grad_input);

extern template void hinge_embedding_loss_forward(const hinge_embedding_loss_args<float>&, float*);
extern template void hinge_embedding_loss_forward(const hinge_embedding_loss_args<double>&, double*);
extern template void hinge_embedding_loss_forward_backward(const hinge_embedding_loss_args<float>&, const float*,
                                                           float*, float*);
extern template void hinge_embedding_loss_forward_backward(const hinge_embedding_loss_args<float>&, const float*,
                                                           float*, double*);
extern template void hinge_embedding_loss_forward_backward(const hinge_embedding_loss_args<double>&, const double*,
                                                           double*, double*);

}  // namespace losscheck::impl
