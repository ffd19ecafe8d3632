#pragma once
/// @file cross_entropy.h
/// Typed kernels of cross_entropy = nll_loss(log_softmax(x)) with class-index targets, and of its probability-target
/// form. Every row (the C logits of one position (n, k)) is handled in one fused sweep: max and sum of exponentials
/// in a single pass (max-shifted, online), then the loss and the gradient.

#include <cstdint>

#include "losscheck/impl/class_targets.h"
#include "losscheck/problem.h"

namespace losscheck::impl {

/// cross_entropy with class-index targets of an input laid out as `dims` (see class_dims).
template <class T>
struct cross_entropy_args {
  const T* input = nullptr;              ///< batch * classes * inner logits
  const std::int64_t* target = nullptr;  ///< batch * inner class indices, each in [0, classes) or ignore_index
  const T* weight = nullptr;             ///< classes values, or nullptr (ones)
  class_dims dims;
  reduction red = reduction::mean;  ///< none, mean or sum
  std::int64_t ignore_index = -100;
  double label_smoothing = 0.0;  ///< epsilon in [0, 1]; values <= 0 mean no smoothing, as in torch
};

/// Writes the loss: dims.positions() values for `none`, one value otherwise. With p = softmax(x) and epsilon > 0:
///   L_i = (1 - epsilon) w[y_i] (-log p[y_i]) + (epsilon / C) sum_c w_c (-log p_c),  0 where y_i = ignore_index
/// (Loss.cpp cross_entropy_loss_label_smoothing). `mean` divides both terms by W = sum w[y_i] over non-ignored i (the
/// count without weight), so W = 0 makes it NaN; an empty or all-ignored `sum` is 0.
template <class T>
void cross_entropy_forward(const cross_entropy_args<T>& args, T* output);

/// Writes the loss and grad_input, the vector-Jacobian product with `grad_output` (dims.positions() values for
/// `none`, one value otherwise; nullptr means ones):
///   dL/dx_c = s [(1 - epsilon) w[y] (p_c - [c = y]) + (epsilon / C) (p_c sum_j w_j - w_c)],   s = g (g / W for mean)
/// zero on ignored rows; as in torch, W = 0 makes the non-ignored rows NaN. output or grad_input may be nullptr.
template <class T>
void cross_entropy_forward_backward(const cross_entropy_args<T>& args, const T* grad_output, T* output, T* grad_input);

/// cross_entropy with probability targets (the target has the input's shape).
template <class T>
struct cross_entropy_probability_args {
  const T* input = nullptr;   ///< batch * classes * inner logits
  const T* target = nullptr;  ///< batch * classes * inner class probabilities (not checked)
  const T* weight = nullptr;  ///< classes values, or nullptr (ones)
  class_dims dims;
  reduction red = reduction::mean;  ///< none, mean or sum
  double label_smoothing = 0.0;     ///< epsilon in [0, 1]; values <= 0 mean no smoothing
};

/// Writes the loss: dims.positions() values for `none`, one value otherwise. With t' = t (1 - epsilon) + epsilon / C:
///   L_i = -sum_c w_c t'_c log p_c          (Loss.cpp cross_entropy_loss_prob_target)
/// `mean` divides the sum by batch * inner (numel / C, not by the weights); an empty input's mean is NaN.
template <class T>
void cross_entropy_probability_forward(const cross_entropy_probability_args<T>& args, T* output);

/// Doubles of workspace that cross_entropy_probability_forward_backward needs when it computes grad_weight.
inline std::int64_t cross_entropy_probability_workspace_size(const class_dims& dims) { return 2 * dims.classes; }

/// Writes the loss and the vector-Jacobian products with `grad_output` (as for the loss: positions values or one):
///   dL/dx_c = s (p_c sum_j w_j t'_j - w_c t'_c)
///   dL/dt_c = -s w_c log p_c (1 - epsilon)       ((1 - epsilon) only when smoothing)
///   dL/dw_c = -sum over positions of s t'_c log p_c
/// with s = g (g / (batch * inner) for mean). Any of output, grad_input, grad_target and grad_weight may be nullptr;
/// grad_weight (classes values) needs `workspace` of cross_entropy_probability_workspace_size(dims) doubles.
template <class T>
void cross_entropy_probability_forward_backward(const cross_entropy_probability_args<T>& args, const T* grad_output,
                                                T* output, T* grad_input, T* grad_target, T* grad_weight,
                                                double* workspace);

extern template void cross_entropy_forward(const cross_entropy_args<float>&, float*);
extern template void cross_entropy_forward(const cross_entropy_args<double>&, double*);
extern template void cross_entropy_forward_backward(const cross_entropy_args<float>&, const float*, float*, float*);
extern template void cross_entropy_forward_backward(const cross_entropy_args<double>&, const double*, double*, double*);
extern template void cross_entropy_probability_forward(const cross_entropy_probability_args<float>&, float*);
extern template void cross_entropy_probability_forward(const cross_entropy_probability_args<double>&, double*);
extern template void cross_entropy_probability_forward_backward(const cross_entropy_probability_args<float>&,
                                                                const float*, float*, float*, float*, float*, double*);
extern template void cross_entropy_probability_forward_backward(const cross_entropy_probability_args<double>&,
                                                                const double*, double*, double*, double*, double*,
                                                                double*);

}  // namespace losscheck::impl
