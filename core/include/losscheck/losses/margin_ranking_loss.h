#pragma once
/// @file margin_ranking_loss.h
/// margin_ranking_loss(input1, input2, target, margin, reduction): the problem a case resolves to
/// (core/src/losses/margin_ranking_loss.cpp checks the case and builds it) and the loss's record. No arithmetic.

#include <cstdint>

#include "losscheck/loss_record.h"
#include "losscheck/tensor.h"

namespace losscheck {

struct resolve_context;

/// margin_ranking_loss(input1, input2, target, margin, reduction): three tensors of one number of dimensions
/// (functional.py's check) broadcast to `shape` by ATen's composite.
struct margin_ranking_loss_problem {
  const tensor* input1;
  const tensor* input2;
  const tensor* target;  ///< float (case dtype, differentiated) or int64
  shape_t shape;
  double margin;
  reduction red;
};

/// The shape of the `none` output.
inline shape_t none_shape_of(const margin_ranking_loss_problem& p) { return p.shape; }

/// The record of margin_ranking_loss.
loss_record margin_ranking_loss_record();
/// Checks `r`'s case against margin_ranking_loss's shape and option rules and returns the typed problem; throws
/// loss_error.
margin_ranking_loss_problem resolve_margin_ranking_loss(const resolve_context& r);

}  // namespace losscheck
