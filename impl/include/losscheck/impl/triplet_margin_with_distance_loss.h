#pragma once
/// @file triplet_margin_with_distance_loss.h
/// Typed kernels of triplet_margin_with_distance_loss: per row, L = max(d(a, p) − d(a, n) + margin, 0) with
/// d = pairwise_distance (‖x − y + 1e-6‖_2) or 1 − cosine_similarity (norms clamped to 1e-8); swap replaces d(a, n)
/// by min(d(a, n), d(p, n)); then torch's reduction.

#include <cstdint>

#include "losscheck/losses/triplet_margin_with_distance_loss.h"
#include "losscheck/problem.h"

namespace losscheck::impl {

/// triplet_margin_with_distance_loss over `rows` contiguous rows of `dim` values of each input (broadcasting is
/// done by the caller).
template <class T>
struct triplet_margin_with_distance_loss_args {
  const T* anchor = nullptr;    ///< rows * dim values
  const T* positive = nullptr;  ///< rows * dim values
  const T* negative = nullptr;  ///< rows * dim values
  std::int64_t rows = 1;
  std::int64_t dim = 0;
  /// The length of each distance's rows: dim, or 1 (only column 0 takes part); 0 means dim.
  std::int64_t cols_ap = 0, cols_an = 0, cols_pn = 0;
  triplet_distance distance = triplet_distance::pairwise;
  double margin = 1.0;  ///< converted to T, as torch converts the scalar
  bool swap = false;
  reduction red = reduction::mean;  ///< none, mean or sum
};

/// Writes the loss: rows values for `none`, one value otherwise (an empty mean is NaN, an empty sum 0). Sums are
/// formed in double (4 lanes).
template <class T>
void triplet_margin_with_distance_loss_forward(const triplet_margin_with_distance_loss_args<T>& args, T* output);

/// Writes the loss and the vector-Jacobian products with `grad_output` (rows values for `none`, one value otherwise;
/// nullptr means ones): gh = g [h >= 0] to d(a, p), −gh to d(a, n) (swap: split as torch.min's backward), then
/// each distance's gradient (pairwise: z / ‖z‖, 0 where ‖z‖ = 0; cosine: −(y / (N_x N_y) − cos x / N_x²)). Any of
/// the pointers may be nullptr.
template <class T, class G = T>
void triplet_margin_with_distance_loss_forward_backward(const triplet_margin_with_distance_loss_args<T>& args,
                                                        const T* grad_output, T* output, G* grad_anchor,
                                                        G* grad_positive, G* grad_negative);

extern template void triplet_margin_with_distance_loss_forward(const triplet_margin_with_distance_loss_args<float>&,
                                                               float*);
extern template void triplet_margin_with_distance_loss_forward(const triplet_margin_with_distance_loss_args<double>&,
                                                               double*);
extern template void triplet_margin_with_distance_loss_forward_backward(
    const triplet_margin_with_distance_loss_args<float>&, const float*, float*, float*, float*, float*);
extern template void triplet_margin_with_distance_loss_forward_backward(
    const triplet_margin_with_distance_loss_args<float>&, const float*, float*, double*, double*, double*);
extern template void triplet_margin_with_distance_loss_forward_backward(
    const triplet_margin_with_distance_loss_args<double>&, const double*, double*, double*, double*, double*);

}  // namespace losscheck::impl
