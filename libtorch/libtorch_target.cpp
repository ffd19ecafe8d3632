// The LibTorch target: ATen loss functions called the way torch/nn/functional.py (1.13) calls them, autograd for
// the gradients. One of the few files that include LibTorch.

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/version.h>

#include "losscheck/error.h"
#include "losscheck/libtorch.h"
#include "losscheck/problem.h"

namespace losscheck::libtorch {
namespace {

at::ScalarType scalar_type(dtype t) {
  switch (t) {
    case dtype::float32: return at::kFloat;
    case dtype::float64: return at::kDouble;
    case dtype::int64: return at::kLong;
  }
  return at::kDouble;
}

at::Tensor to_aten(const tensor& t) {
  auto out = at::empty(t.shape, at::TensorOptions().dtype(scalar_type(t.type)));
  if (t.type == dtype::int64) {
    std::copy(t.ints.begin(), t.ints.end(), out.data_ptr<std::int64_t>());
  } else if (t.type == dtype::float32) {
    auto* p = out.data_ptr<float>();
    for (std::size_t i = 0; i < t.values.size(); ++i) p[i] = static_cast<float>(t.values[i]);
  } else {
    std::copy(t.values.begin(), t.values.end(), out.data_ptr<double>());
  }
  return out;
}

tensor from_aten(const at::Tensor& a, dtype type) {
  auto c = a.detach().to(at::kDouble).contiguous();
  tensor t;
  t.type = type;
  t.shape.assign(a.sizes().begin(), a.sizes().end());
  t.values.assign(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
  return t;
}

/// torch.nn._reduction: returns the reduction string after the legacy flags, as functional.py passes it on.
std::string reduction_string(const loss_case& c) {
  auto flag = [&](const char* name) -> std::optional<bool> {
    auto it = c.options.find(name);
    if (it == c.options.end() || std::holds_alternative<std::monostate>(it->second)) return std::nullopt;
    if (const auto* b = std::get_if<bool>(&it->second)) return *b;
    throw loss_error(fmt::format("option '{}' must be a boolean or null", name));
  };
  const auto size_average = flag("size_average");
  const auto reduce = flag("reduce");
  if (size_average || reduce) {
    if (!reduce.value_or(true)) return "none";
    if (!size_average.value_or(true)) return "sum";
    return "mean";
  }
  auto it = c.options.find("reduction");
  if (it == c.options.end()) return "mean";
  if (const auto* s = std::get_if<std::string>(&it->second)) return *s;
  throw loss_error("option 'reduction' must be a string");
}

bool has_legacy_flag(const loss_case& c) {
  for (const char* name : {"size_average", "reduce"}) {
    auto it = c.options.find(name);
    if (it != c.options.end() && !std::holds_alternative<std::monostate>(it->second)) return true;
  }
  return false;
}

/// _Reduction.get_enum.
std::int64_t reduction_enum(const std::string& r) {
  if (r == "none") return at::Reduction::None;
  if (r == "mean" || r == "elementwise_mean") return at::Reduction::Mean;
  if (r == "sum") return at::Reduction::Sum;
  throw loss_error(fmt::format("{} is not a valid value for reduction", r));
}

std::int64_t int_option(const loss_case& c, const char* name, std::int64_t fallback) {
  auto it = c.options.find(name);
  if (it == c.options.end()) return fallback;
  if (const auto* i = std::get_if<std::int64_t>(&it->second)) return *i;
  throw loss_error(fmt::format("option '{}' must be an integer", name));
}

double float_option(const loss_case& c, const char* name, double fallback) {
  auto it = c.options.find(name);
  if (it == c.options.end()) return fallback;
  if (const auto* d = std::get_if<double>(&it->second)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&it->second)) return static_cast<double>(*i);
  throw loss_error(fmt::format("option '{}' must be a number", name));
}

bool bool_option(const loss_case& c, const char* name, bool fallback) {
  auto it = c.options.find(name);
  if (it == c.options.end()) return fallback;
  if (const auto* b = std::get_if<bool>(&it->second)) return *b;
  throw loss_error(fmt::format("option '{}' must be a boolean", name));
}

std::string sizes(const at::Tensor& t) { return format_shape(shape_t(t.sizes().begin(), t.sizes().end())); }

/// The forward pass as functional.py writes it.
at::Tensor forward(const loss_case& c, std::map<std::string, at::Tensor>& in) {
  auto opt = [&](const char* name) -> c10::optional<at::Tensor> {
    auto it = in.find(name);
    return it == in.end() ? c10::nullopt : c10::optional<at::Tensor>(it->second);
  };
  const auto& loss = c.loss;
  const auto red = reduction_string(c);
  if (loss == "mse_loss") {
    auto expanded = at::broadcast_tensors({in.at("input"), in.at("target")});
    return at::mse_loss(expanded[0], expanded[1], reduction_enum(red));
  }
  if (loss == "binary_cross_entropy") {
    const auto r = reduction_enum(red);
    const auto& input = in.at("input");
    const auto& target = in.at("target");
    if (target.sizes() != input.sizes())
      throw loss_error(fmt::format("Using a target size ({}) that is different to the input size ({}) is deprecated. "
                                   "Please ensure they have the same size.", sizes(target), sizes(input)));
    auto weight = opt("weight");
    if (weight) weight = weight->expand(at::infer_size(target.sizes(), weight->sizes()));
    return at::binary_cross_entropy(input, target, weight, r);
  }
  if (loss == "binary_cross_entropy_with_logits") {
    const auto r = reduction_enum(red);
    const auto& input = in.at("input");
    const auto& target = in.at("target");
    if (target.sizes() != input.sizes())
      throw loss_error(fmt::format("Target size ({}) must be the same as input size ({})", sizes(target), sizes(input)));
    return at::binary_cross_entropy_with_logits(input, target, opt("weight"), opt("pos_weight"), r);
  }
  if (loss == "cross_entropy")
    return at::cross_entropy_loss(in.at("input"), in.at("target"), opt("weight"), reduction_enum(red),
                                  int_option(c, "ignore_index", -100), float_option(c, "label_smoothing", 0.0));
  if (loss == "nll_loss")
    return at::nll_loss_nd(in.at("input"), in.at("target"), opt("weight"), reduction_enum(red),
                           int_option(c, "ignore_index", -100));
  if (loss == "kl_div") {
    // functional.py: legacy flags pick the enum; 'batchmean' is computed as 'sum' and divided by input.size(0) --
    // and that division happens whenever the reduction string is 'batchmean', legacy flags or not.
    const auto& input = in.at("input");
    std::string given = "mean";
    if (auto it = c.options.find("reduction"); it != c.options.end())
      if (const auto* s = std::get_if<std::string>(&it->second)) given = *s;
    const std::int64_t r = has_legacy_flag(c) ? reduction_enum(red)
                                              : given == "batchmean" ? at::Reduction::Sum : reduction_enum(given);
    auto reduced = at::kl_div(input, in.at("target"), r, bool_option(c, "log_target", false));
    if (given == "batchmean" && input.dim() != 0) reduced = reduced / input.size(0);
    return reduced;
  }
  if (loss == "cosine_embedding_loss")
    return at::cosine_embedding_loss(in.at("input1"), in.at("input2"), in.at("target"),
                                     float_option(c, "margin", 0.0), reduction_enum(red));
  throw loss_error(fmt::format("unknown loss '{}' (valid losses: {})", loss, loss_names()));
}

/// The inputs autograd differentiates for this case (docs/format.md).
std::vector<std::string> differentiable(const loss_case& c) {
  if (c.loss == "mse_loss" || c.loss == "binary_cross_entropy" || c.loss == "binary_cross_entropy_with_logits" ||
      c.loss == "kl_div")
    return {"input", "target"};
  if (c.loss == "cosine_embedding_loss") return {"input1", "input2"};
  if (c.loss == "cross_entropy") {
    const auto* input = c.input("input");
    const auto* target = c.input("target");
    if (input && target && target->is_floating() && input->shape == target->shape) {
      if (c.input("weight")) return {"input", "target", "weight"};
      return {"input", "target"};
    }
  }
  return {"input"};
}

}  // namespace

loss_result evaluate(const loss_case& c) {
  try {
    check_names(c);  // functional.py's signatures: unknown losses, arguments and options are errors
    std::map<std::string, at::Tensor> in;
    for (const auto& [name, t] : c.inputs) in[name] = to_aten(t);
    const auto names = differentiable(c);
    std::vector<at::Tensor> wrt;
    for (const auto& n : names) {
      in.at(n).set_requires_grad(true);
      wrt.push_back(in.at(n));
    }
    at::Tensor out;
    try {
      out = forward(c, in);
    } catch (const c10::Error& e) {
      throw loss_error(fmt::format("{}: {}", c.loss, e.what_without_backtrace()));
    }
    loss_result r;
    r.id = c.id;
    r.output = from_aten(out, c.type);
    const at::Tensor g = c.grad_output ? to_aten(*c.grad_output) : at::ones_like(out);
    if (g.sizes() != out.sizes())
      throw loss_error(fmt::format("{}: grad_output has shape {} but the output has shape {}", c.loss, sizes(g), sizes(out)));
    if (out.requires_grad()) {
      auto grads = torch::autograd::grad({out}, wrt, {g}, /*retain_graph=*/false, /*create_graph=*/false,
                                         /*allow_unused=*/true);
      for (std::size_t i = 0; i < names.size(); ++i)
        r.grads[names[i]] = grads[i].defined() ? from_aten(grads[i], c.type) : from_aten(at::zeros_like(wrt[i]), c.type);
    } else {
      for (std::size_t i = 0; i < names.size(); ++i) r.grads[names[i]] = from_aten(at::zeros_like(wrt[i]), c.type);
    }
    return r;
  } catch (const loss_error& e) {
    return loss_result::failure(c.id, e.what());
  } catch (const c10::Error& e) {
    return loss_result::failure(c.id, fmt::format("{}: {}", c.loss, e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return loss_result::failure(c.id, fmt::format("{}: {}", c.loss, e.what()));
  }
}

namespace {
class libtorch_target final : public target {
 public:
  std::string name() const override { return "libtorch"; }
  loss_result evaluate(const loss_case& c) override { return libtorch::evaluate(c); }
};
}  // namespace

std::unique_ptr<target> make_target() { return std::make_unique<libtorch_target>(); }

const char* version() { return TORCH_VERSION; }

}  // namespace losscheck::libtorch
