#pragma once
/// @file triplet_margin_loss.h
/// triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction): the problem a case resolves to
/// (core/src/losses/triplet_margin_loss.cpp checks the case and builds it) and the loss's record. No arithmetic.

#include <cstdint>

#include "losscheck/loss_record.h"
#include "losscheck/tensor.h"

namespace losscheck {

struct resolve_context;

/// triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction). The three inputs have the same
/// number of dimensions and broadcast together to `pair_shape`; rows run along its last dimension (a 0-D pair shape
/// is one row of one element). The `none` output has `none_shape` = pair_shape without its last dimension.
struct triplet_margin_loss_problem {
  const tensor* anchor;
  const tensor* positive;
  const tensor* negative;
  shape_t pair_shape;
  shape_t none_shape;
  /// The length of each distance's rows: the last dimension of its own pair's broadcast, the pair shape's D or 1
  /// (a (N, 1) anchor and positive against a (N, D) negative: d(a, p) is over one element, not D copies of it).
  std::int64_t cols_ap, cols_an, cols_pn;
  double margin;
  double p;    ///< the norm's order: positive and finite
  double eps;  ///< added to each difference before the norm
  bool swap;
  reduction red;
};

/// The shape of the `none` output.
inline shape_t none_shape_of(const triplet_margin_loss_problem& p) { return p.none_shape; }

/// The record of triplet_margin_loss.
loss_record triplet_margin_loss_record();
/// Checks `r`'s case against triplet_margin_loss's shape and option rules and returns the typed problem; throws
/// loss_error.
triplet_margin_loss_problem resolve_triplet_margin_loss(const resolve_context& r);

}  // namespace losscheck
