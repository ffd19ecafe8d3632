#pragma once
// Private to impl: the boundary between the data model (tensors of doubles) and the typed kernels (arrays of T).
// Allocation is fine here; the kernels themselves only write into the buffers they are given.

#include <cstdint>
#include <vector>

#include "accumulate.h"
#include "losscheck/tensor.h"
#include "losses.h"

namespace losscheck::impl::detail {

/// Runs `f.template operator()<T>()` with T = float for float32 cases and T = double for float64 ones.
template <class F>
loss_result with_case_type(dtype type, F&& f) {
  if (type == dtype::float32) return f.template operator()<float>();
  return f.template operator()<double>();
}

/// The float data of `t` as T (exact: float32 data is held exactly in double).
template <class T>
std::vector<T> typed_values(const tensor& t) {
  return std::vector<T>(t.values.begin(), t.values.end());
}

/// The int64 data of `t` as T (cosine_embedding_loss compares its target with 1 and -1 only; the conversion keeps
/// exactly the values that equal 1 or -1).
template <class T>
std::vector<T> typed_ints(const tensor& t) {
  std::vector<T> out(t.ints.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<T>(t.ints[i]);
  return out;
}

/// The float data of `t` expanded to the broadcast shape `to` (torch.broadcast_to), as T.
template <class T>
std::vector<T> broadcast_values(const tensor& t, const shape_t& to) {
  if (t.shape == to) return typed_values<T>(t);
  const auto n = static_cast<std::size_t>(checked_numel(to));
  std::vector<T> out(n);
  broadcast_walker walk(t.shape, to);
  for (std::size_t i = 0; i < n; ++i, walk.next()) out[i] = static_cast<T>(t.values[walk.offset()]);
  return out;
}

/// grad_output as T, or an empty vector when it is omitted (the kernels read nullptr as ones).
template <class T>
std::vector<T> grad_output_values(const context& ctx) {
  return ctx.grad_output ? typed_values<T>(*ctx.grad_output) : std::vector<T>{};
}

/// nullptr for an empty vector (an omitted grad_output or weight), the data otherwise.
template <class T>
const T* data_or_null(const std::vector<T>& v) {
  return v.empty() ? nullptr : v.data();
}

/// A result tensor of the case dtype holding `values`.
template <class T>
tensor result_tensor(dtype type, shape_t shape, const std::vector<T>& values) {
  return tensor::floats(type, std::move(shape), std::vector<double>(values.begin(), values.end()));
}

/// The gradient `grad` of a broadcast operand (given over the broadcast shape `full`, in the kernel's gradient type G)
/// summed back to the operand's own shape `to`, as autograd's sum_to_size does, and rounded once to T. The sums are
/// accumulated in double (compensated for float64); kernels write G = double for float32 so that no term is rounded
/// to float before the sum.
template <class T, class G>
tensor sum_to_shape(dtype type, const std::vector<G>& grad, const shape_t& full, const shape_t& to) {
  std::vector<double> values(static_cast<std::size_t>(checked_numel(to)));
  if (full == to) {
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(static_cast<T>(grad[i]));
    return tensor::floats(type, to, std::move(values));
  }
  std::vector<sum_accumulator<T>> sums(values.size());
  broadcast_walker walk(to, full);
  for (std::size_t i = 0; i < grad.size(); ++i, walk.next()) sums[walk.offset()].add(static_cast<double>(grad[i]));
  for (std::size_t i = 0; i < sums.size(); ++i) values[i] = static_cast<double>(static_cast<T>(sums[i].value()));
  return tensor::floats(type, to, std::move(values));
}

}  // namespace losscheck::impl::detail
