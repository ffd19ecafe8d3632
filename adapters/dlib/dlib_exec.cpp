// dlib_exec: an exec target (docs/format.md) over dlib 19.24's DNN loss layers (Debian libdlib-dev), so that
// `losscheck audit --target exec:build/dlib_exec` audits them against torch 1.13's semantics.
//
// Each case is handed to the loss layer's own compute_loss_value_and_gradient() through a stand-in SUBNET whose
// output tensor holds the case's input; the adapter reports the returned loss and the gradient the layer writes,
// unchanged except for the product with a scalar grad_output (see protocol.h). What dlib computes (float tensors,
// loss accumulated in double; x = the output tensor, N = num_samples(), header /usr/include/dlib/dnn/loss.h):
//
//   loss_mean_squared_ (loss.h:2399, compute at 2437-2471), N samples of one value each:
//     L = sum_i (y_i - x_i)^2 / N                 (loss += scale*(y-x)*(y-x), scale = 1/N, loss.h:2459-2468)
//     dL/dx_i = (x_i - y_i) / N                   (g = -scale*(y-x), loss.h:2469): HALF the derivative of L,
//     although loss_abstract.h:123-128 promises "the gradient of L() with respect to the outputs".
//   loss_mean_squared_multioutput_ (loss.h:2637), N samples of k values:
//     L = sum_{i,j} (y_ij - x_ij)^2 / N           (divides by N, not N*k: loss.h:2702-2717)
//     dL/dx_ij = (x_ij - y_ij) / N
//   loss_binary_log_ (loss.h:132, compute at 169-215), labels y_i != 0, sign = class, |y_i| = weight
//   (loss_abstract.h:236-241):
//     L = sum_i |y_i| * (y_i > 0 ? log1pexp(-x_i) : x_i + log1pexp(-x_i)) / N      (loss.h:192-212)
//     dL/dx_i = |y_i| * (sigmoid(x_i) - [y_i > 0]) / N                              (loss.h:206, 212)
//   loss_multibinary_log_ (loss.h:767, gamma = 0), N samples of k labels: the same per element, summed over
//     i and j and divided by N (not N*k); log1pexp is evaluated in float there (loss.h:832-861).
//   loss_multiclass_log_ (loss.h:249, compute at 287-331), N samples of k scores, label y_i in [0, k):
//     L = -sum_i safe_log(softmax(x_i)[y_i]) / N  (safe_log(p) = log(max(p, 1e-10)), dlib/dnn/utilities.h:68)
//     dL/dx_ik = (softmax(x_i)_k - [k == y_i]) / N    (loss.h:323-328; y_i < k: DLIB_CASSERT, loss.h:317)
//   loss_multiclass_log_per_pixel_ (loss.h:2873; cpu_dlib.h:713-771), N x k x nr x nc, labels uint16 with 65535
//   = ignored:
//     L = -sum_{i,r,c not ignored} safe_log(softmax_k(x_i..rc)[y_irc]) / (N*nr*nc)  (divisor counts ignored pixels)
//     dL/dx = (softmax - onehot) / (N*nr*nc), 0 at ignored pixels
//
// The mapping onto torch.nn.functional (only reduction='mean': every dlib loss layer returns the mini-batch mean;
// only float32: dlib tensors hold float):
//   mse_loss                          (N) or () -> loss_mean_squared_; (N, M) -> loss_mean_squared_multioutput_
//   binary_cross_entropy_with_logits  targets 0/1 -> labels -w/+w with w the torch weight (1 when absent, must be
//                                     > 0); (N) or () -> loss_binary_log_; (N, M) -> loss_multibinary_log_
//   cross_entropy                     class indices only; (C) or (N, C) -> loss_multiclass_log_;
//                                     (N, C, d1[, d2]) -> loss_multiclass_log_per_pixel_ (ignore_index -> 65535)
// Everything else (other losses, reductions, float64, probability targets, class weights, label smoothing,
// pos_weight, soft BCE targets, broadcasting an input, empty batches) is answered `unsupported` with the reason.
// dlib computes no gradient with respect to the labels: those are listed in `unsupported_grads`.

#include <dlib/dnn.h>
#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "losscheck/error.h"
#include "losscheck/protocol.h"

namespace {

using namespace losscheck;
using protocol::unsupported;

/// The SUBNET interface of layers_abstract.h as compute_loss_value_and_gradient() uses it: an output tensor (the
/// case's input) and a zero-initialized gradient tensor of the same dimensions.
struct stand_in_subnet {
  dlib::resizable_tensor output;
  dlib::resizable_tensor gradient;

  stand_in_subnet(long n, long k, long nr, long nc, const std::vector<double>& values) {
    output.set_size(n, k, nr, nc);
    gradient.set_size(n, k, nr, nc);
    float* o = output.host();
    for (std::size_t i = 0; i < values.size(); ++i) o[i] = static_cast<float>(values[i]);  // exact: float32 case
    gradient = 0;
  }
  const dlib::tensor& get_output() const { return output; }
  dlib::tensor& get_gradient_input() { return gradient; }
  unsigned int sample_expansion_factor() const { return 1; }
};

/// Runs the loss layer and copies its answer into a result: output () and the gradient of `grad_name` shaped
/// `grad_shape`, times the scalar grad_output.
template <typename Loss, typename Labels>
loss_result run(const Loss& loss, stand_in_subnet& sub, const Labels& labels, const loss_case& c,
                const shape_t& grad_shape) {
  double value = 0;
  try {
    value = loss.compute_loss_value_and_gradient(sub.output, labels.begin(), sub);
  } catch (const dlib::fatal_error& e) {
    // A DLIB_CASSERT fired: every precondition the loss layers assert is checked before the call, so this is a bug
    // of the adapter. dlib aborts the process at the second fatal_error (dlib/error.h:264-276: "the first was
    // inappropriately ignored"), so answer and end here; the auditor restarts the program and reports the incident.
    std::string what = e.what();  // "Error detected at line ... Failing expression was <expr>.\n<message>"
    if (auto at = what.find("Failing expression was"); at != std::string::npos) what.erase(0, at);
    for (char& ch : what) if (ch == '\n') ch = ' ';
    std::cerr << "dlib_exec: unexpected dlib assertion for " << c.loss << ": " << what << std::endl;
    std::exit(3);
  }
  const double g = protocol::scalar_grad_output(c);
  loss_result r;
  r.output = tensor::floats(dtype::float32, {}, {static_cast<double>(static_cast<float>(value))});
  const float* gp = sub.gradient.host();
  std::vector<double> grad(sub.gradient.size());
  for (std::size_t i = 0; i < grad.size(); ++i)
    grad[i] = static_cast<double>(static_cast<float>(static_cast<double>(gp[i]) * g));
  r.grads["input"] = tensor::floats(dtype::float32, grad_shape, std::move(grad));
  return r;
}

const std::string no_label_gradient = "dlib's loss layers compute no gradient with respect to the labels";
const std::string mean_only = "dlib's loss layers return the mean over the mini-batch only (dlib/dnn/loss.h: "
                              "\"The loss we output is the average loss over the mini-batch\")";

void require_float32_nonempty(const loss_case& c, std::int64_t numel) {
  if (c.type != dtype::float32) throw unsupported("float64: dlib's tensors hold float only (dlib/dnn/tensor.h)");
  if (numel == 0)
    throw unsupported("an empty mini-batch: dlib's loss layers require num_samples() > 0 (DLIB_CASSERT, loss.h)");
}

loss_result mse_loss(const loss_case& c, const mse_loss_problem& p) {
  require_float32_nonempty(c, checked_numel(p.shape));
  protocol::require_reduction(p.red, reduction::mean, mean_only);
  if (p.input->shape != p.shape)
    throw unsupported(fmt::format("input {} broadcast to {}: dlib takes one label per output and has no broadcasting",
                                  format_shape(p.input->shape), format_shape(p.shape)));
  const std::vector<double> y = protocol::broadcast_values(*p.target, p.shape);
  const std::int64_t n = p.input->numel();
  loss_result r;
  if (p.input->dim() <= 1) {
    stand_in_subnet sub(n, 1, 1, 1, p.input->values);
    const std::vector<float> labels(y.begin(), y.end());
    r = run(dlib::loss_mean_squared_(), sub, labels, c, p.input->shape);
  } else if (p.input->dim() == 2) {
    const long rows = p.input->shape[0], cols = p.input->shape[1];
    stand_in_subnet sub(rows, cols, 1, 1, p.input->values);
    std::vector<dlib::matrix<float>> labels(static_cast<std::size_t>(rows), dlib::matrix<float>(cols, 1));
    for (long i = 0; i < rows; ++i)
      for (long j = 0; j < cols; ++j) labels[i](j) = static_cast<float>(y[static_cast<std::size_t>(i * cols + j)]);
    r = run(dlib::loss_mean_squared_multioutput_(), sub, labels, c, p.input->shape);
  } else {
    throw unsupported(fmt::format("input of {} dimensions: dlib's regression losses take (N) or (N, M) outputs",
                                  p.input->dim()));
  }
  r.unsupported_grads["target"] = no_label_gradient;
  return r;
}

loss_result binary_cross_entropy_with_logits(const loss_case& c, const binary_cross_entropy_with_logits_problem& p) {
  require_float32_nonempty(c, p.input->numel());
  protocol::require_reduction(p.red, reduction::mean, mean_only);
  if (p.pos_weight) throw unsupported("pos_weight: dlib's binary log loss has no per-class positive weight");
  if (p.input->dim() > 2)
    throw unsupported(fmt::format("input of {} dimensions: loss_binary_log_ takes (N), loss_multibinary_log_ (N, M)",
                                  p.input->dim()));
  std::vector<double> w(p.input->values.size(), 1.0);
  if (p.weight) w = protocol::broadcast_values(*p.weight, p.input->shape);
  std::vector<float> labels(w.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const double t = p.target->values[i];
    if (t != 0.0 && t != 1.0)
      throw unsupported(fmt::format("target {}: dlib's binary labels are hard (sign = class), not probabilities", t));
    if (!(w[i] > 0.0) || !std::isfinite(w[i]))
      throw unsupported(fmt::format("weight {}: dlib's label magnitude is the weight and must be finite and > 0", w[i]));
    labels[i] = static_cast<float>(t == 1.0 ? w[i] : -w[i]);  // sign flip only: exact
  }
  loss_result r;
  if (p.input->dim() <= 1) {
    stand_in_subnet sub(p.input->numel(), 1, 1, 1, p.input->values);
    r = run(dlib::loss_binary_log_(), sub, labels, c, p.input->shape);
  } else {
    const long rows = p.input->shape[0], cols = p.input->shape[1];
    stand_in_subnet sub(rows, cols, 1, 1, p.input->values);
    std::vector<std::vector<float>> rows_labels(static_cast<std::size_t>(rows));
    for (long i = 0; i < rows; ++i)
      rows_labels[i].assign(labels.begin() + i * cols, labels.begin() + (i + 1) * cols);
    r = run(dlib::loss_multibinary_log_(), sub, rows_labels, c, p.input->shape);
  }
  r.unsupported_grads["target"] = no_label_gradient;
  return r;
}

loss_result cross_entropy(const loss_case& c, const cross_entropy_problem& p) {
  const class_layout& l = p.layout;
  require_float32_nonempty(c, p.input->numel());
  protocol::require_reduction(p.red, reduction::mean, mean_only);
  if (p.probability_target) throw unsupported("probability targets: dlib's labels are class indices");
  if (p.weight) throw unsupported("class weights: dlib's multiclass log loss has no per-class weight");
  if (p.label_smoothing > 0) throw unsupported("label_smoothing: dlib has no label smoothing");
  const std::vector<std::int64_t>& t = p.target->ints;
  for (std::int64_t v : t)
    if (v < 0 && v != p.ignore_index)
      throw loss_error(fmt::format("cross_entropy: target {} is out of bounds (dlib's labels are unsigned)", v));
  const int dims = static_cast<int>(p.input->dim());
  if (dims <= 2) {
    for (std::int64_t v : t)
      if (v == p.ignore_index)
        throw unsupported(fmt::format("target {} == ignore_index: loss_multiclass_log_ ignores no label", v));
    for (std::int64_t v : t)
      if (v >= l.classes)  // DLIB_CASSERT(y < output_tensor.k()), loss.h:317
        throw loss_error(fmt::format("cross_entropy: target {} is out of bounds for {} classes (dlib: "
                                     "loss_multiclass_log_ requires y < k, loss.h:317)", v, l.classes));
    stand_in_subnet sub(l.batch, l.classes, 1, 1, p.input->values);
    const std::vector<unsigned long> labels(t.begin(), t.end());
    return run(dlib::loss_multiclass_log_(), sub, labels, c, p.input->shape);
  }
  if (dims > 4)
    throw unsupported(fmt::format("input of {} dimensions: loss_multiclass_log_per_pixel_ takes (N, C, rows, cols)",
                                  dims));
  if (l.classes > 65535) throw unsupported("more than 65535 classes: dlib's per-pixel labels are uint16");
  const long nr = static_cast<long>(p.input->shape[2]);
  const long nc = dims == 4 ? static_cast<long>(p.input->shape[3]) : 1;
  stand_in_subnet sub(l.batch, l.classes, nr, nc, p.input->values);
  std::vector<dlib::matrix<std::uint16_t>> labels(static_cast<std::size_t>(l.batch),
                                                  dlib::matrix<std::uint16_t>(nr, nc));
  for (std::int64_t n = 0; n < l.batch; ++n)
    for (std::int64_t k = 0; k < l.inner; ++k) {
      const std::int64_t v = t[static_cast<std::size_t>(n * l.inner + k)];
      std::uint16_t label = dlib::loss_multiclass_log_per_pixel_::label_to_ignore;
      if (v != p.ignore_index) {
        if (v >= l.classes)  // DLIB_CASSERT(y < k || y == label_to_ignore), dlib/cuda/cpu_dlib.h:749
          throw loss_error(fmt::format("cross_entropy: target {} is out of bounds for {} classes (dlib: "
                                       "loss_multiclass_log_per_pixel_ requires y < k, cpu_dlib.h:749)", v, l.classes));
        label = static_cast<std::uint16_t>(v);
      }
      labels[n](static_cast<long>(k / nc), static_cast<long>(k % nc)) = label;
    }
  return run(dlib::loss_multiclass_log_per_pixel_(), sub, labels, c, p.input->shape);
}

loss_result evaluate(const loss_case& c, const problem& p) {
  if (auto* q = std::get_if<mse_loss_problem>(&p)) return mse_loss(c, *q);
  if (auto* q = std::get_if<binary_cross_entropy_with_logits_problem>(&p)) return binary_cross_entropy_with_logits(c, *q);
  if (auto* q = std::get_if<cross_entropy_problem>(&p)) return cross_entropy(c, *q);
  throw unsupported(fmt::format("dlib has no loss layer for {} (supported: mse_loss, "
                                "binary_cross_entropy_with_logits, cross_entropy)", c.loss));
}

}  // namespace

int main() {
  std::ios::sync_with_stdio(false);
  return losscheck::protocol::serve(evaluate, std::cin, std::cout);
}
