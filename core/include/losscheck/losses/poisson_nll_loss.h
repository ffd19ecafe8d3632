#pragma once
/// @file poisson_nll_loss.h
/// poisson_nll_loss(input, target, log_input, full, eps, reduction): the problem a case resolves to
/// (core/src/losses/poisson_nll_loss.cpp checks the case and builds it) and the loss's record. No arithmetic.

#include <cstdint>

#include "losscheck/loss_record.h"
#include "losscheck/tensor.h"

namespace losscheck {

struct resolve_context;

/// poisson_nll_loss(input, target, log_input, full, eps, reduction): input and target broadcast to `shape`
/// (ATen's composite at::poisson_nll_loss multiplies them). `eps` is the Python float as given: each implementation
/// rounds it to the case dtype, as ATen's `input + eps` does.
struct poisson_nll_loss_problem {
  const tensor* input;
  const tensor* target;
  shape_t shape;
  reduction red;
  bool log_input;
  bool full;
  double eps;
};

/// The shape of the `none` output.
inline shape_t none_shape_of(const poisson_nll_loss_problem& p) { return p.shape; }

/// The record of poisson_nll_loss.
loss_record poisson_nll_loss_record();
/// Checks `r`'s case against poisson_nll_loss's shape and option rules and returns the typed problem; throws
/// loss_error.
poisson_nll_loss_problem resolve_poisson_nll_loss(const resolve_context& r);

}  // namespace losscheck
