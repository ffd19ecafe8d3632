// The LibTorch target: converts a case to ATen tensors, marks the inputs torch 1.13 differentiates (the loss's
// record), calls the loss's forward (libtorch/<loss>.cpp, as torch/nn/functional.py writes it) through a table
// indexed by loss_record::index, runs autograd for the gradients and turns torch's errors into error results.

#include <ATen/ops/empty.h>
#include <ATen/ops/ones_like.h>
#include <ATen/ops/zeros_like.h>
#include <fmt/format.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/version.h>

#include <array>

#include "losscheck/error.h"
#include "losscheck/libtorch.h"
#include "losscheck/problem.h"
#include "support.h"

namespace losscheck::libtorch {
namespace {

at::ScalarType scalar_type(dtype t) {
  switch (t) {
    case dtype::float32: return at::kFloat;
    case dtype::float64: return at::kDouble;
    case dtype::int64: return at::kLong;
    case dtype::bfloat16: return at::kBFloat16;
    case dtype::float16: return at::kHalf;
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
  } else if (is_half(t.type)) {  // through float32, exactly: every half value is a float32 one
    auto f = at::empty(t.shape, at::TensorOptions().dtype(at::kFloat));
    auto* p = f.data_ptr<float>();
    for (std::size_t i = 0; i < t.values.size(); ++i) p[i] = static_cast<float>(t.values[i]);
    out = f.to(scalar_type(t.type));
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

/// Each loss's forward, in loss_catalog() order.
using forward_fn = at::Tensor (*)(const loss_case&, const detail::tensors&);
constexpr std::array<forward_fn, LOSSCHECK_LOSS_COUNT> forwards{
#define LOSSCHECK_X(name) &detail::name,
    LOSSCHECK_FOR_EACH_LOSS(LOSSCHECK_X)
#undef LOSSCHECK_X
};

/// Whether ATen's error `what` says it has no kernel for the half case `c`'s dtype ("... not implemented for
/// 'BFloat16'"), in the forward or the backward.
bool missing_half_kernel(const loss_case& c, const std::string& what) {
  return is_half(c.type) && what.find("not implemented for '") != std::string::npos;
}

/// A half case whose kernel LibTorch 1.13 lacks: `unsupported`, naming the kernel.
loss_result unsupported_result(const loss_case& c, const std::string& what) {
  loss_result r;
  r.id = c.id;
  r.unsupported = fmt::format("LibTorch 1.13 has no CPU kernel for {} in {}: {}", c.loss, to_string(c.type),
                              what.substr(0, what.find('\n')));
  return r;
}

}  // namespace

loss_result evaluate(const loss_case& c) {
  try {
    check_names(c);  // functional.py's signatures: unknown losses, arguments and options are errors
    const loss_record& record = record_of(c.loss);
    std::map<std::string, at::Tensor> by_name;
    for (const auto& [name, t] : c.inputs) by_name[name] = to_aten(t);
    const auto names = record.differentiable(c);
    std::vector<at::Tensor> wrt;
    for (const auto& n : names) {
      by_name.at(n).set_requires_grad(true);
      wrt.push_back(by_name.at(n));
    }
    const detail::tensors in(std::move(by_name));
    at::Tensor out;
    try {
      out = forwards.at(record.index)(c, in);
    } catch (const c10::Error& e) {
      const std::string what = e.what_without_backtrace();
      if (missing_half_kernel(c, what)) return unsupported_result(c, what);
      throw loss_error(fmt::format("{}: {}", c.loss, what));
    }
    loss_result r;
    r.id = c.id;
    r.output = from_aten(out, c.type);
    const at::Tensor g = c.grad_output ? to_aten(*c.grad_output) : at::ones_like(out);
    if (g.sizes() != out.sizes())
      throw loss_error(fmt::format("{}: grad_output has shape {} but the output has shape {}", c.loss,
                                   detail::sizes(g), detail::sizes(out)));
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
    // LibTorch 1.13 has no CPU kernel for some losses in the half dtypes ("\"mse_cpu\" not implemented for
    // 'BFloat16'"): outside what it implements, not an error of the case
    const std::string what = e.what_without_backtrace();
    if (missing_half_kernel(c, what)) return unsupported_result(c, what);
    return loss_result::failure(c.id, fmt::format("{}: {}", c.loss, what));
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
