#pragma once
/// @file cosine_embedding_loss.h
/// Typed kernels of cosine_embedding_loss: per row, cos = sum x1 x2 / sqrt((sum x1^2 + 1e-12)(sum x2^2 + 1e-12)) and
/// L = 1 - cos for y = 1, max(0, cos - margin) for y = -1, 0 for any other y; then torch's reduction.

#include <cstdint>

#include "losscheck/problem.h"

namespace losscheck::impl {

/// cosine_embedding_loss over `rows` pairs of rows. The rows of the two inputs may be broadcast along the feature
/// dimension (torch broadcasts input1 * input2, while each |x|^2 sums over the input's own elements only): row r of
/// input1 is input1[r * columns1, (r + 1) * columns1), with columns1 either the pair dimension or 1; likewise input2.
/// The pair dimension is the larger of the two (columns1 == 1 ? columns2 : columns1).
template <class T>
struct cosine_embedding_loss_args {
  const T* input1 = nullptr;  ///< rows * columns1 values
  std::int64_t columns1 = 0;
  const T* input2 = nullptr;  ///< rows * columns2 values
  std::int64_t columns2 = 0;
  std::int64_t rows = 1;          ///< pairs (1 for 1-D inputs)
  const T* target = nullptr;      ///< target_count values; compared with 1 and -1 only
  std::int64_t target_count = 1;  ///< rows, or 1 (broadcast over the rows); with rows = 1 any count (cos broadcast)
  double margin = 0.0;
  reduction red = reduction::mean;  ///< none, mean or sum

  /// Loss elements: rows, or target_count when rows = 1 (the broadcast of the target against cos).
  std::int64_t count() const { return rows == 1 ? target_count : rows; }
};

/// Writes the loss: count() values for `none`, one value otherwise (an empty mean is NaN, an empty sum 0).
/// Sums are accumulated in double for float32 (products of floats are exact there) and in double-double for float64
/// (exact products), 4 lanes at a time; float64 cos and 1 - cos are formed in double-double and rounded once. Nearly
/// parallel rows, whose 1 - cos and gradients cancel (they are of the size of eps for a 1-column row), are evaluated in
/// double-double with eps kept apart; float64 rows whose squares would overflow or underflow are rescaled by powers of
/// two. Zero vectors give cos = 0 through
/// torch's 1e-12, which LibTorch 1.13 holds as the float 1e-12f in both dtypes. margin is converted to T, as torch
/// converts the scalar of cos - margin.
template <class T>
void cosine_embedding_loss_forward(const cosine_embedding_loss_args<T>& args, T* output);

/// Writes the loss and the vector-Jacobian products with `grad_output` (count() values for `none`, one value
/// otherwise; nullptr means ones). With c = sum over the row's loss elements of g dL/dcos (-g for y = 1; g for y = -1
/// where cos - margin >= 0, as torch's clamp_min backward lets equality through; 0 otherwise):
///   grad_input1[r, e] = c (sum_{d -> e} x2_d / sqrt(A B) - cos x1_e / A),   A = sum x1^2 + 1e-12, B likewise
/// and symmetrically for input2; rows * columns1 and rows * columns2 values. Any of output, grad_input1 and
/// grad_input2 may be nullptr. The gradients may be written in double for float inputs (G = double), e.g. to be summed
/// over broadcast rows without rounding every term.
template <class T, class G = T>
void cosine_embedding_loss_forward_backward(const cosine_embedding_loss_args<T>& args, const T* grad_output, T* output,
                                            G* grad_input1, G* grad_input2);

extern template void cosine_embedding_loss_forward(const cosine_embedding_loss_args<float>&, float*);
extern template void cosine_embedding_loss_forward(const cosine_embedding_loss_args<double>&, double*);
extern template void cosine_embedding_loss_forward_backward(const cosine_embedding_loss_args<float>&, const float*,
                                                            float*, float*, float*);
extern template void cosine_embedding_loss_forward_backward(const cosine_embedding_loss_args<float>&, const float*,
                                                            float*, double*, double*);
extern template void cosine_embedding_loss_forward_backward(const cosine_embedding_loss_args<double>&, const double*,
                                                            double*, double*, double*);

}  // namespace losscheck::impl
