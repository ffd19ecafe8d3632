#pragma once
/// @file tinyloss_losscheck.h
/// tinyloss answering losscheck's cases: the one function both the in-process target (tinyloss_test.cpp) and the
/// exec program (tinyloss_exec.cpp) use. losscheck has validated the case and resolved it to a problem (shapes,
/// reduction with the legacy flags applied); this maps it onto tinyloss and rounds the answers to the case's dtype.

#include <cmath>
#include <string>
#include <variant>

#include "losscheck/case.h"
#include "losscheck/problem.h"
#include "tinyloss.h"

namespace tinyloss {

inline losscheck::loss_result answer(const losscheck::loss_case& c, const losscheck::problem& p, bool planted_bug) {
  losscheck::loss_result r;
  r.id = c.id;
  const auto* mse = std::get_if<losscheck::mse_loss_problem>(&p);
  if (!mse) {
    r.unsupported = "tinyloss has only mse_loss";
    return r;
  }
  if (mse->input->shape != mse->target->shape) {
    r.unsupported = "tinyloss does not broadcast";
    return r;
  }
  const reduction red = mse->red == losscheck::reduction::none ? reduction::none
                        : mse->red == losscheck::reduction::sum ? reduction::sum
                                                                : reduction::mean;
  std::vector<double> g = c.grad_output ? c.grad_output->values : std::vector<double>{};
  if (!c.grad_output) g.assign(red == reduction::none ? mse->input->values.size() : 1, 1.0);
  const std::size_t rows = mse->input->shape.empty() ? 1 : static_cast<std::size_t>(mse->input->shape[0]);
  const mse_result m = mse_loss(mse->input->values, mse->target->values, red, g, rows, planted_bug);
  auto rounded = [&](losscheck::shape_t shape, std::vector<double> v) {
    if (c.type == losscheck::dtype::float32)
      for (auto& x : v) x = static_cast<double>(static_cast<float>(x));
    return losscheck::tensor::floats(c.type, std::move(shape), std::move(v));
  };
  r.output = rounded(red == reduction::none ? mse->input->shape : losscheck::shape_t{}, m.loss);
  r.grads["input"] = rounded(mse->input->shape, m.grad_input);
  r.grads["target"] = rounded(mse->target->shape, m.grad_target);
  return r;
}

}  // namespace tinyloss
