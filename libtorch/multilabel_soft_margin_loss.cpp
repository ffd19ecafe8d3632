// multilabel_soft_margin_loss in LibTorch, as torch/nn/functional.py (1.13) writes it -- a composite, not an ATen
// loss: the legacy flags give the reduction string (else it is taken as given, unchecked until the end), then
// loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input)), times weight, summed over dimension
// input.dim() - 1 and divided by C = input.size(-1) (a 0-D input fails there), then 'none' / 'mean' / 'sum' or
// ValueError "<reduction> is not valid".

#include <ATen/ops/log_sigmoid.h>
#include <ATen/ops/rsub.h>
#include <fmt/format.h>

#include "losscheck/error.h"
#include "support.h"

namespace losscheck::libtorch::detail {

at::Tensor multilabel_soft_margin_loss(const loss_case& c, const tensors& in) {
  const std::string red = reduction_string(c);
  const at::Tensor& input = in.at("input");
  const at::Tensor& target = in.at("target");
  at::Tensor loss = target.mul(at::log_sigmoid(input)).add(at::rsub(target, 1).mul(at::log_sigmoid(input.neg()))).neg();
  if (const auto weight = in.opt("weight")) loss = loss.mul(*weight);
  const std::int64_t class_dim = input.dim() - 1;
  const std::int64_t classes = input.size(class_dim);
  loss = loss.sum(c10::IntArrayRef(class_dim)).div(classes);
  if (red == "none") return loss;
  if (red == "mean") return loss.mean();
  if (red == "sum") return loss.sum();
  throw loss_error(fmt::format("multilabel_soft_margin_loss: {} is not valid", red));
}

}  // namespace losscheck::libtorch::detail
