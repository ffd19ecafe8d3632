#pragma once
/// @file smooth_l1_loss.h
/// smooth_l1_loss(input, target, reduction, beta): the problem a case resolves to (core/src/losses/smooth_l1_loss.cpp
/// checks the case and builds it) and the loss's record. No arithmetic.

#include <cstdint>

#include "losscheck/loss_record.h"
#include "losscheck/tensor.h"

namespace losscheck {

struct resolve_context;

/// smooth_l1_loss(input, target, reduction, beta): input and target broadcast to `shape` (torch.broadcast_tensors).
struct smooth_l1_loss_problem {
  const tensor* input;
  const tensor* target;
  shape_t shape;
  double beta;  ///< ≥ 0, as given (the kernels round it to the case dtype, as ATen does: docs/torch-quirks.md)
  reduction red;
};

/// The shape of the `none` output.
inline shape_t none_shape_of(const smooth_l1_loss_problem& p) { return p.shape; }

/// The record of smooth_l1_loss.
loss_record smooth_l1_loss_record();
/// Checks `r`'s case against smooth_l1_loss's shape and option rules and returns the typed problem; throws loss_error.
smooth_l1_loss_problem resolve_smooth_l1_loss(const resolve_context& r);

}  // namespace losscheck
