#pragma once
/// @file multi_margin_loss.h
/// Typed kernels of multi_margin_loss: per row with target y, L = Σ_{j≠y} w[y] max(0, margin - x[y] + x[j])^p / C
/// (p = 1 or 2), then torch's reduction (mean over rows).

#include <cstdint>

#include "losscheck/problem.h"

namespace losscheck::impl {

/// multi_margin_loss over `rows` rows of `classes` scores.
template <class T>
struct multi_margin_loss_args {
  const T* input = nullptr;              ///< rows * classes values
  const std::int64_t* target = nullptr;  ///< rows class indices, each in [0, classes) (not checked here)
  const T* weight = nullptr;             ///< classes values, or nullptr (ones)
  std::int64_t rows = 0;
  std::int64_t classes = 1;
  int p = 1;                        ///< 1 or 2
  T margin = T(1);                  ///< already converted to T, as torch converts the scalar
  reduction red = reduction::mean;  ///< none, mean or sum
};

/// Writes the loss and grad_input, the vector-Jacobian product with `grad_output` (rows values for `none`, one value
/// otherwise; nullptr means ones). Each row is computed in double (z = margin - x[y] + x[j] as a compensated sum of
/// three terms) and rounded once per value; a NaN z counts as inactive, as in torch. An empty mean is NaN, an empty
/// sum 0. output or grad_input may be nullptr.
template <class T>
void multi_margin_loss_forward_backward(const multi_margin_loss_args<T>& args, const T* grad_output, T* output,
                                        T* grad_input);

extern template void multi_margin_loss_forward_backward(const multi_margin_loss_args<float>&, const float*, float*,
                                                        float*);
extern template void multi_margin_loss_forward_backward(const multi_margin_loss_args<double>&, const double*,
                                                        double*, double*);

}  // namespace losscheck::impl
