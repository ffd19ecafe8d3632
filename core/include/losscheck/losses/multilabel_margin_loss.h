#pragma once
/// @file multilabel_margin_loss.h
/// multilabel_margin_loss(input, target, reduction): the problem a case resolves to
/// (core/src/losses/multilabel_margin_loss.cpp checks the case and builds it) and the loss's record. No arithmetic.

#include <cstdint>

#include "losscheck/loss_record.h"
#include "losscheck/tensor.h"

namespace losscheck {

struct resolve_context;

/// multilabel_margin_loss(input, target, reduction). The input is (N, C), (C) (one row) or 0-D (one row of one class);
/// the int64 target has the input's shape (an unbatched input takes any target of at most one dimension with C
/// values): per row, the class indices up to the first -1 are the row's targets.
struct multilabel_margin_loss_problem {
  const tensor* input;
  const tensor* target;
  std::int64_t rows;     ///< N (1 for a (C) or 0-D input)
  std::int64_t classes;  ///< C (1 for a 0-D input)
  shape_t none_shape;    ///< (N) for a 2-D target, () otherwise (torch: the target's rank decides)
  reduction red;
};

/// The shape of the `none` output.
inline shape_t none_shape_of(const multilabel_margin_loss_problem& p) { return p.none_shape; }

/// The record of multilabel_margin_loss.
loss_record multilabel_margin_loss_record();
/// Checks `r`'s case against multilabel_margin_loss's shape rules and returns the typed problem; throws loss_error.
multilabel_margin_loss_problem resolve_multilabel_margin_loss(const resolve_context& r);

}  // namespace losscheck
