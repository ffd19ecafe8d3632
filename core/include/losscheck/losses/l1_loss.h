#pragma once
/// @file l1_loss.h
/// l1_loss(input, target, reduction): the problem a case resolves to (core/src/losses/l1_loss.cpp checks the case and
/// builds it) and the loss's record. No arithmetic.

#include <cstdint>

#include "losscheck/loss_record.h"
#include "losscheck/tensor.h"

namespace losscheck {

struct resolve_context;

/// l1_loss(input, target, reduction): input and target broadcast to `shape` (torch.broadcast_tensors).
struct l1_loss_problem {
  const tensor* input;
  const tensor* target;
  shape_t shape;
  reduction red;
};

/// The shape of the `none` output.
inline shape_t none_shape_of(const l1_loss_problem& p) { return p.shape; }

/// The record of l1_loss.
loss_record l1_loss_record();
/// Checks `r`'s case against l1_loss's shape and option rules and returns the typed problem; throws loss_error.
l1_loss_problem resolve_l1_loss(const resolve_context& r);

}  // namespace losscheck
