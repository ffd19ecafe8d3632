#pragma once
/// @file triplet_margin_loss.h
/// Typed kernels of triplet_margin_loss: per row, L = max(margin + d(a, p) - d(a, n), 0) with
/// d(x, y) = ‖x - y + eps‖_p (swap: d(a, n) replaced by min(d(a, n), d(p, n))); then torch's reduction.

#include <cstdint>

#include "losscheck/problem.h"

namespace losscheck::impl {

/// triplet_margin_loss over `rows` contiguous rows of `dim` values of each input (broadcasting is done by the
/// caller).
template <class T>
struct triplet_margin_loss_args {
  const T* anchor = nullptr;    ///< rows * dim values
  const T* positive = nullptr;  ///< rows * dim values
  const T* negative = nullptr;  ///< rows * dim values
  std::int64_t rows = 1;
  std::int64_t dim = 0;
  /// The length of each distance's rows (dim, or 1 where the pair's own last dimension is 1: then only column 0
  /// takes part, and only column 0 gets that distance's gradient); 0 means dim.
  std::int64_t cols_ap = 0, cols_an = 0, cols_pn = 0;
  double margin = 1.0;  ///< converted to T, as torch converts the scalar
  double p = 2.0;       ///< positive and finite
  double eps = 1e-6;    ///< converted to T, as torch converts the scalar
  bool swap = false;
  reduction red = reduction::mean;  ///< none, mean or sum
};

/// Writes the loss: rows values for `none`, one value otherwise (an empty mean is NaN, an empty sum 0).
/// Differences and norms are formed in double (float32 data: every difference, square and sum of a 512-long row
/// is far more accurate than float; float64: 4 lanes of plain double sums).
template <class T>
void triplet_margin_loss_forward(const triplet_margin_loss_args<T>& args, T* output);

/// Writes the loss and the vector-Jacobian products with `grad_output` (rows values for `none`, one value
/// otherwise; nullptr means ones). With gh = g [h >= 0] (h = margin + d_ap - d_n) and torch's norm_backward
/// ∂‖x‖_k = sgn(x_k) |x_k|^(p-1) / ‖x‖^(p-1) (0 where x_k = 0 or ‖x‖ = 0; x_k / ‖x‖ for p = 2):
///   grad_anchor = gh ∂‖u‖ + g_an ∂‖v‖,  grad_positive = -gh ∂‖u‖ + g_pn ∂‖w‖,  grad_negative = -g_an ∂‖v‖ - g_pn ∂‖w‖
/// with u = a - p + eps, v = a - n + eps, w = p - n + eps, g_an = -gh and g_pn = 0 without swap, and minimum's split
/// of -gh (halves at a tie) with swap. Any of the pointers may be nullptr. G = double lets the caller sum the
/// gradients over broadcast rows before rounding.
template <class T, class G = T>
void triplet_margin_loss_forward_backward(const triplet_margin_loss_args<T>& args, const T* grad_output, T* output,
                                          G* grad_anchor, G* grad_positive, G* grad_negative);

extern template void triplet_margin_loss_forward(const triplet_margin_loss_args<float>&, float*);
extern template void triplet_margin_loss_forward(const triplet_margin_loss_args<double>&, double*);
extern template void triplet_margin_loss_forward_backward(const triplet_margin_loss_args<float>&, const float*, float*,
                                                          float*, float*, float*);
extern template void triplet_margin_loss_forward_backward(const triplet_margin_loss_args<float>&, const float*, float*,
                                                          double*, double*, double*);
extern template void triplet_margin_loss_forward_backward(const triplet_margin_loss_args<double>&, const double*,
                                                          double*, double*, double*, double*);

}  // namespace losscheck::impl
