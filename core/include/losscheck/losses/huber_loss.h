#pragma once
/// @file huber_loss.h
/// huber_loss(input, target, reduction, delta): the problem a case resolves to (core/src/losses/huber_loss.cpp checks
/// the case and builds it) and the loss's record. No arithmetic.

#include <cstdint>

#include "losscheck/loss_record.h"
#include "losscheck/tensor.h"

namespace losscheck {

struct resolve_context;

/// huber_loss(input, target, reduction, delta): input and target broadcast to `shape` (torch.broadcast_tensors).
struct huber_loss_problem {
  const tensor* input;
  const tensor* target;
  shape_t shape;
  double delta;  ///< > 0, as given (the kernels round it to the case dtype, as ATen does: docs/torch-quirks.md)
  reduction red;
};

/// The shape of the `none` output.
inline shape_t none_shape_of(const huber_loss_problem& p) { return p.shape; }

/// The record of huber_loss.
loss_record huber_loss_record();
/// Checks `r`'s case against huber_loss's shape and option rules and returns the typed problem; throws loss_error.
huber_loss_problem resolve_huber_loss(const resolve_context& r);

}  // namespace losscheck
