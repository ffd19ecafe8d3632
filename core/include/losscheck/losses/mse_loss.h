#pragma once
/// @file mse_loss.h
/// mse_loss(input, target, reduction): the problem a case resolves to (core/src/losses/mse_loss.cpp checks the case and
/// builds it) and the loss's record. No arithmetic.

#include <cstdint>

#include "losscheck/loss_record.h"
#include "losscheck/tensor.h"

namespace losscheck {

struct resolve_context;

/// mse_loss(input, target, reduction): input and target broadcast to `shape` (torch.broadcast_tensors).
struct mse_loss_problem {
  const tensor* input;
  const tensor* target;
  shape_t shape;
  reduction red;
};

/// The shape of the `none` output.
inline shape_t none_shape_of(const mse_loss_problem& p) { return p.shape; }

/// The record of mse_loss.
loss_record mse_loss_record();
/// Checks `r`'s case against mse_loss's shape and option rules and returns the typed problem; throws loss_error.
mse_loss_problem resolve_mse_loss(const resolve_context& r);

}  // namespace losscheck
