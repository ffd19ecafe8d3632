#pragma once
/// @file gaussian_nll_loss.h
/// gaussian_nll_loss(input, target, var, full, eps, reduction): the problem a case resolves to
/// (core/src/losses/gaussian_nll_loss.cpp checks the case and builds it) and the loss's record. No arithmetic.

#include <cstdint>

#include "losscheck/loss_record.h"
#include "losscheck/tensor.h"

namespace losscheck {

struct resolve_context;

/// gaussian_nll_loss(input, target, var, full, eps, reduction), as torch/nn/functional.py 1.13 computes it:
/// var is taken as `var_shape` -- its own shape, or with a trailing 1 where it is the input's shape without its last
/// dimension (functional.py's unsqueeze(-1)) -- and input - target (broadcast) and var broadcast to `shape`.
/// `eps` is the Python float as given: each implementation rounds it to the case dtype, as ATen's clamp_ does.
struct gaussian_nll_loss_problem {
  const tensor* input;
  const tensor* target;
  const tensor* var;
  shape_t var_shape;  ///< var's shape as functional.py uses it (same numel and order as var's own)
  shape_t shape;      ///< broadcast(input, target, var_shape): the `none` shape
  reduction red;
  bool full;
  double eps;
};

/// The shape of the `none` output.
inline shape_t none_shape_of(const gaussian_nll_loss_problem& p) { return p.shape; }

/// The record of gaussian_nll_loss.
loss_record gaussian_nll_loss_record();
/// Checks `r`'s case against gaussian_nll_loss's shape and option rules and returns the typed problem; throws
/// loss_error.
gaussian_nll_loss_problem resolve_gaussian_nll_loss(const resolve_context& r);

}  // namespace losscheck
