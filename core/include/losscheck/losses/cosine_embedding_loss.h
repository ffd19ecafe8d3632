#pragma once
/// @file cosine_embedding_loss.h
/// cosine_embedding_loss(input1, input2, target, margin, reduction): the problem a case resolves to
/// (core/src/losses/cosine_embedding_loss.cpp checks the case and builds it) and the loss's record. No arithmetic.

#include <cstdint>

#include "losscheck/loss_record.h"
#include "losscheck/tensor.h"

namespace losscheck {

struct resolve_context;

/// cosine_embedding_loss(input1, input2, target, margin, reduction). Inputs are 2-D (R, D) with a 1-D target, or
/// 1-D (D) with a 0-D target; torch broadcasts them: the products run over `pair_shape` = broadcast(input1, input2),
/// cos has shape `cos_shape` (rows of pair_shape, or ()), and the `none` output has `none_shape` =
/// broadcast(target, cos_shape).
struct cosine_embedding_loss_problem {
  const tensor* input1;
  const tensor* input2;
  const tensor* target;  ///< float (case dtype) or int64
  shape_t pair_shape;
  shape_t cos_shape;
  shape_t none_shape;
  double margin;
  reduction red;
};

/// The shape of the `none` output.
inline shape_t none_shape_of(const cosine_embedding_loss_problem& p) { return p.none_shape; }

/// The record of cosine_embedding_loss.
loss_record cosine_embedding_loss_record();
/// Checks `r`'s case against cosine_embedding_loss's shape and option rules and returns the typed problem; throws loss_error.
cosine_embedding_loss_problem resolve_cosine_embedding_loss(const resolve_context& r);

}  // namespace losscheck
