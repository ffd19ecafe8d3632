#pragma once
/// @file multi_margin_loss.h
/// multi_margin_loss(input, target, p, margin, weight, reduction): the problem a case resolves to
/// (core/src/losses/multi_margin_loss.cpp checks the case and builds it) and the loss's record. No arithmetic.

#include <cstdint>

#include "losscheck/loss_record.h"
#include "losscheck/tensor.h"

namespace losscheck {

struct resolve_context;

/// multi_margin_loss(input, target, p, margin, weight, reduction). The input is (N, C) with N rows of C classes, (C)
/// (one row) or 0-D (one row of one class); the target holds one int64 class index per row, as () or (N) (torch 1.13
/// also takes (1) for a (C) input and () for a (1, C) input: LossMultiMargin.cpp only asks for one index per row).
struct multi_margin_loss_problem {
  const tensor* input;
  const tensor* target;
  const tensor* weight;  ///< (C) class weights, or nullptr
  std::int64_t rows;     ///< N (1 for a (C) or 0-D input)
  std::int64_t classes;  ///< C (1 for a 0-D input)
  shape_t none_shape;    ///< (N) for a 1-D target, () for a 0-D one (torch: the target's rank decides)
  std::int64_t p;        ///< 1 or 2
  double margin;         ///< as given (torch rounds it to the case dtype: the implementations do)
  reduction red;
};

/// The shape of the `none` output.
inline shape_t none_shape_of(const multi_margin_loss_problem& p) { return p.none_shape; }

/// The record of multi_margin_loss.
loss_record multi_margin_loss_record();
/// Checks `r`'s case against multi_margin_loss's shape and option rules and returns the typed problem; throws
/// loss_error.
multi_margin_loss_problem resolve_multi_margin_loss(const resolve_context& r);

}  // namespace losscheck
