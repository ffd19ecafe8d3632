#pragma once
/// @file hinge_embedding_loss.h
/// hinge_embedding_loss(input, target, margin, reduction): the problem a case resolves to
/// (core/src/losses/hinge_embedding_loss.cpp checks the case and builds it) and the loss's record. No arithmetic.

#include <cstdint>

#include "losscheck/loss_record.h"
#include "losscheck/tensor.h"

namespace losscheck {

struct resolve_context;

/// hinge_embedding_loss(input, target, margin, reduction): ATen's composite broadcasts input and target to `shape`
/// (torch.where), so the output takes the broadcast shape.
struct hinge_embedding_loss_problem {
  const tensor* input;
  const tensor* target;  ///< float (case dtype) or int64; only compared with 1 and -1
  shape_t shape;
  double margin;
  reduction red;
};

/// The shape of the `none` output.
inline shape_t none_shape_of(const hinge_embedding_loss_problem& p) { return p.shape; }

/// The record of hinge_embedding_loss.
loss_record hinge_embedding_loss_record();
/// Checks `r`'s case against hinge_embedding_loss's shape and option rules and returns the typed problem; throws
/// loss_error.
hinge_embedding_loss_problem resolve_hinge_embedding_loss(const resolve_context& r);

}  // namespace losscheck
