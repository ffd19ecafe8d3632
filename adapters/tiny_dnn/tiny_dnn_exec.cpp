// tiny_dnn_exec: an exec target (docs/format.md) over tiny-dnn 1.0.0a3's loss functions (Debian tiny-dnn, header
// only), so that `losscheck audit --target exec:build/tiny_dnn_exec` audits them against torch 1.13's semantics.
//
// tiny-dnn's losses are classes with static f(y, t) (the loss of one sample's output vector y against its target
// vector t) and df(y, t) (its gradient with respect to y); a network sums f over samples (network::get_loss,
// network.h:421-430) and backpropagates df through the output layer's activation (network::bprop, network.h:926-927;
// feedforward_layer::backward_activation, layers/feedforward_layer.h:57-79). float_t is float (config.h:89-93: double
// only with CNN_USE_DOUBLE). What they compute (header /usr/include/tiny_dnn/lossfunctions/loss_function.h):
//
//   mse (loss_function.h:33-55):
//     f = sum_i (y_i - t_i)^2 / n                        (a mean over the vector, accumulated in float_t)
//     df_i = (2 / n) * (y_i - t_i)
//   cross_entropy (loss_function.h:127-148), "for (multiple independent) binary classifications", y = probabilities:
//     f = sum_i [-t_i log(y_i) - (1 - t_i) log(1 - y_i)]  (a SUM over the vector; no clamp of the logs)
//     df_i = (y_i - t_i) / (y_i (1 - y_i))               (no epsilon in the denominator)
//   cross_entropy_multiclass (loss_function.h:151-172), y = softmax probabilities:
//     f = -sum_i t_i log(y_i),  df_i = -t_i / y_i
//   activation::sigmoid (activations/activation_function.h): y = 1 / (1 + exp(-x)), dy/dx = y (1 - y)
//   activation::softmax: y_i = exp(x_i - max x) / sum_j exp(x_j - max x), Jacobian J_ci = (i == c ? y_c (1 - y_c) :
//     -y_i y_c), applied as delta_c = sum_i prev_i J_ci (feedforward_layer.h:72-76)
//
// The mapping onto torch.nn.functional (float32 only; the reduction each f computes, nothing else):
//   mse_loss                          reduction 'mean': mse on the flattened input (target broadcast to it)
//   binary_cross_entropy              reduction 'sum': cross_entropy on the flattened input
//   binary_cross_entropy_with_logits  reduction 'sum': linear_layer<activation::sigmoid> forward, cross_entropy,
//                                     the layer's back_propagation (what a sigmoid output layer + cross_entropy does)
//   cross_entropy                     reduction 'sum' (a network's loss: the sum over samples), input (C) or (N, C):
//                                     per sample linear_layer<activation::softmax> forward, cross_entropy_multiclass
//                                     (class indices become label2vec's one-hot vectors, nodes.h:186-195; probability
//                                     targets are used as they are), the layer's back_propagation
// Everything else (other losses and reductions, float64, weights, pos_weight, label smoothing, an ignored target,
// K-dimensional cross_entropy, an input smaller than the broadcast shape) is answered `unsupported` with the reason.
// tiny-dnn computes no gradient with respect to targets: those are listed in `unsupported_grads`. tiny-dnn checks no
// values (BCE inputs outside [0, 1] go straight into the logs); a class index outside [0, C) is rejected here, since
// label2vec only assert()s it and would write out of bounds.

#include <algorithm>  // before tiny-dnn's headers, which use std::max_element without including it
// Debian's tiny-dnn lacks third_party/stb, which node.h includes through util/image.h: see stb_shim/.
#include "tiny_dnn/util/util.h"
#include "tiny_dnn/activations/activation_function.h"
#include "tiny_dnn/layers/feedforward_layer.h"
#include "tiny_dnn/layers/linear_layer.h"
#include "tiny_dnn/lossfunctions/loss_function.h"

#include <fmt/format.h>

#include <iostream>
#include <string>
#include <type_traits>
#include <vector>

#include "losscheck/error.h"
#include "losscheck/protocol.h"

namespace {

using namespace losscheck;
using protocol::unsupported;
using tiny_dnn::float_t;
using tiny_dnn::tensor_t;
using tiny_dnn::vec_t;

static_assert(std::is_same_v<float_t, float>, "tiny_dnn_exec reports float32: build without CNN_USE_DOUBLE");

const std::string no_target_gradient = "tiny-dnn's loss functions compute no gradient with respect to the target";

vec_t to_vec(const std::vector<double>& v, std::size_t begin, std::size_t end) {
  vec_t out(end - begin);
  for (std::size_t i = begin; i < end; ++i) out[i - begin] = static_cast<float_t>(v[i]);  // exact: float32 case
  return out;
}

/// A float32 tensor of `shape` holding `values` times the scalar grad_output `g` (the one product the adapter
/// computes: exact in double for float operands, rounded once).
tensor scaled(const shape_t& shape, const std::vector<float_t>& values, double g) {
  std::vector<double> v(values.size());
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(static_cast<float>(static_cast<double>(values[i]) * g));
  return tensor::floats(dtype::float32, shape, std::move(v));
}

tensor scalar(float_t value) { return tensor::floats(dtype::float32, {}, {static_cast<double>(value)}); }

void require_float32(const loss_case& c) {
  if (c.type != dtype::float32)
    throw unsupported("float64: tiny-dnn's float_t is float (config.h: double only when built with CNN_USE_DOUBLE)");
}

/// Forward through a linear_layer<Activation> (scale 1, bias 0: a = x exactly, then out = h(a)) for each sample,
/// loss E per sample summed as network::get_loss sums, E::df per sample, back through the layer's
/// back_propagation. Returns the summed loss and the gradient with respect to x, sample after sample.
template <typename Activation, typename E>
std::pair<float_t, std::vector<float_t>> through_layer(const tensor_t& x, const tensor_t& t) {
  const auto dim = static_cast<tiny_dnn::serial_size_t>(x.empty() ? 0 : x[0].size());
  tiny_dnn::linear_layer<Activation> layer(dim);
  layer.set_parallelize(false);
  tensor_t in = x, out(x.size(), vec_t(dim)), a(x.size(), vec_t(dim));
  std::vector<tensor_t*> in_data{&in}, out_data{&out, &a};
  layer.forward_propagation(in_data, out_data);
  float_t loss = 0;
  for (std::size_t s = 0; s < x.size(); ++s) loss += E::f(out[s], t[s]);
  tensor_t delta = tiny_dnn::gradient<E>(out, t);  // df per sample (loss_function.h:180-190)
  tensor_t curr(x.size(), vec_t(dim)), prev(x.size(), vec_t(dim));
  std::vector<tensor_t*> out_grad{&delta, &curr}, in_grad{&prev};
  layer.back_propagation(in_data, out_data, out_grad, in_grad);
  std::vector<float_t> grad;
  for (const vec_t& row : prev) grad.insert(grad.end(), row.begin(), row.end());
  return {loss, grad};
}

loss_result mse_loss(const loss_case& c, const mse_loss_problem& p) {
  require_float32(c);
  protocol::require_reduction(p.red, reduction::mean, "tiny_dnn::mse::f is the mean over the vector");
  if (p.input->shape != p.shape)
    throw unsupported(fmt::format("input {} broadcast to {}: tiny-dnn has no broadcasting",
                                  format_shape(p.input->shape), format_shape(p.shape)));
  const vec_t y = to_vec(p.input->values, 0, p.input->values.size());
  const std::vector<double> tv = protocol::broadcast_values(*p.target, p.shape);
  const vec_t t = to_vec(tv, 0, tv.size());
  loss_result r;
  r.output = scalar(tiny_dnn::mse::f(y, t));
  const vec_t d = tiny_dnn::mse::df(y, t);
  r.grads["input"] = scaled(p.input->shape, {d.begin(), d.end()}, protocol::scalar_grad_output(c));
  r.unsupported_grads["target"] = no_target_gradient;
  return r;
}

loss_result binary_cross_entropy(const loss_case& c, const binary_cross_entropy_problem& p) {
  require_float32(c);
  protocol::require_reduction(p.red, reduction::sum, "tiny_dnn::cross_entropy::f is the sum over the vector");
  if (p.weight) throw unsupported("weight: tiny_dnn::cross_entropy::f takes no weights");
  const vec_t y = to_vec(p.input->values, 0, p.input->values.size());
  const vec_t t = to_vec(p.target->values, 0, p.target->values.size());
  loss_result r;
  r.output = scalar(tiny_dnn::cross_entropy::f(y, t));
  const vec_t d = tiny_dnn::cross_entropy::df(y, t);
  r.grads["input"] = scaled(p.input->shape, {d.begin(), d.end()}, protocol::scalar_grad_output(c));
  r.unsupported_grads["target"] = no_target_gradient;
  return r;
}

loss_result binary_cross_entropy_with_logits(const loss_case& c, const binary_cross_entropy_with_logits_problem& p) {
  require_float32(c);
  protocol::require_reduction(p.red, reduction::sum, "tiny_dnn::cross_entropy::f is the sum over the vector");
  if (p.weight) throw unsupported("weight: tiny_dnn::cross_entropy::f takes no weights");
  if (p.pos_weight) throw unsupported("pos_weight: tiny-dnn has no positive-class weight");
  const std::size_t n = p.input->values.size();
  const tensor_t x{to_vec(p.input->values, 0, n)};
  const tensor_t t{to_vec(p.target->values, 0, n)};
  const auto [loss, grad] = through_layer<tiny_dnn::activation::sigmoid, tiny_dnn::cross_entropy>(x, t);
  loss_result r;
  r.output = scalar(loss);
  r.grads["input"] = scaled(p.input->shape, grad, protocol::scalar_grad_output(c));
  r.unsupported_grads["target"] = no_target_gradient;
  return r;
}

loss_result cross_entropy(const loss_case& c, const cross_entropy_problem& p) {
  require_float32(c);
  const class_layout& l = p.layout;
  protocol::require_reduction(p.red, reduction::sum, "a tiny-dnn network's loss is the sum over samples "
                                                     "(network::get_loss) of cross_entropy_multiclass::f");
  if (p.input->dim() > 2)
    throw unsupported("K-dimensional input: tiny-dnn's softmax acts on one vector per sample, (C) or (N, C)");
  if (p.weight) throw unsupported("class weights: cross_entropy_multiclass::f takes no weights");
  if (p.label_smoothing > 0) throw unsupported("label_smoothing: tiny-dnn has no label smoothing");
  const auto C = static_cast<std::size_t>(l.classes);
  tensor_t x, t;
  tiny_dnn::linear_layer<tiny_dnn::activation::softmax> range_of(1);
  const auto [t_min, t_max] = range_of.out_value_range();  // label2vec's target_value_min/max: (0, 1) for softmax
  for (std::int64_t n = 0; n < l.batch; ++n) {
    const std::size_t begin = static_cast<std::size_t>(n) * C;
    x.push_back(to_vec(p.input->values, begin, begin + C));
    if (p.probability_target) {
      t.push_back(to_vec(p.target->values, begin, begin + C));
      continue;
    }
    const std::int64_t k = p.target->ints[static_cast<std::size_t>(n)];
    if (k == p.ignore_index)
      throw unsupported(fmt::format("target {} == ignore_index: tiny-dnn ignores no sample", k));
    if (k < 0 || k >= l.classes)
      throw loss_error(fmt::format("cross_entropy: target {} is out of bounds for {} classes (tiny-dnn's label2vec "
                                   "requires label < outdim, nodes.h:191)", k, l.classes));
    vec_t onehot(C, t_min);
    onehot[static_cast<std::size_t>(k)] = t_max;
    t.push_back(std::move(onehot));
  }
  const auto [loss, grad] = through_layer<tiny_dnn::activation::softmax, tiny_dnn::cross_entropy_multiclass>(x, t);
  loss_result r;
  r.output = scalar(loss);
  r.grads["input"] = scaled(p.input->shape, grad, protocol::scalar_grad_output(c));
  if (p.probability_target) r.unsupported_grads["target"] = no_target_gradient;
  return r;
}

loss_result evaluate(const loss_case& c, const problem& p) {
  if (auto* q = std::get_if<mse_loss_problem>(&p)) return mse_loss(c, *q);
  if (auto* q = std::get_if<binary_cross_entropy_problem>(&p)) return binary_cross_entropy(c, *q);
  if (auto* q = std::get_if<binary_cross_entropy_with_logits_problem>(&p)) return binary_cross_entropy_with_logits(c, *q);
  if (auto* q = std::get_if<cross_entropy_problem>(&p)) return cross_entropy(c, *q);
  throw unsupported(fmt::format("tiny-dnn has no loss function for {} (supported: mse_loss, binary_cross_entropy, "
                                "binary_cross_entropy_with_logits, cross_entropy)", c.loss));
}

}  // namespace

int main() {
  std::ios::sync_with_stdio(false);
  return losscheck::protocol::serve(evaluate, std::cin, std::cout);
}
