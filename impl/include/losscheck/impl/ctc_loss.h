#pragma once
/// @file ctc_loss.h
/// Typed kernels of ctc_loss: the CTC forward-backward recursion in log space in T (float or double) with a
/// max-shifted log-add, one pass per sequence, the sequences of the batch on the impl's threads; then torch's
/// reduction (mean divides each loss by max(target_length, 1)).

#include <cstdint>

#include "losscheck/problem.h"

namespace losscheck::impl {

/// ctc_loss over a (T, N, C) log_probs; the caller has checked lengths and labels (detail::ctc_loss).
template <class T>
struct ctc_loss_args {
  const T* log_probs = nullptr;               ///< T·N·C values, row-major (t, b, k)
  std::int64_t steps = 0, batch = 0, classes = 0;
  const std::int64_t* labels = nullptr;       ///< the labels of sequence b start at labels + label_offset[b]
  const std::int64_t* label_offset = nullptr; ///< N offsets
  const std::int64_t* input_lengths = nullptr;   ///< N values in [1, steps]
  const std::int64_t* target_lengths = nullptr;  ///< N values >= 0
  std::int64_t blank = 0;
  reduction red = reduction::mean;  ///< none, mean or sum
  bool zero_infinity = false;
};

/// Writes the loss (N values for none, one otherwise) and, when grad_log_probs is not nullptr, the gradient torch
/// 1.13 returns: (e^u - γ) ĝ for t < input_length (γ the occupancy, Graves eq. 16; ĝ the gradient reaching the
/// sequence's loss), 0 beyond; zero_infinity zeroes infinite losses and their gradients. grad_output: N values for
/// none, one otherwise, nullptr means ones.
template <class T>
void ctc_loss_forward_backward(const ctc_loss_args<T>& args, const T* grad_output, T* output, T* grad_log_probs);

extern template void ctc_loss_forward_backward(const ctc_loss_args<float>&, const float*, float*, float*);
extern template void ctc_loss_forward_backward(const ctc_loss_args<double>&, const double*, double*, double*);

}  // namespace losscheck::impl
