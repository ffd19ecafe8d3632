#pragma once
/// @file triplet_margin_with_distance_loss.h
/// triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function, margin, swap, reduction): the
/// problem a case resolves to (core/src/losses/triplet_margin_with_distance_loss.cpp checks the case and builds it)
/// and the loss's record. No arithmetic.

#include <cstdint>

#include "losscheck/loss_record.h"
#include "losscheck/tensor.h"

namespace losscheck {

struct resolve_context;

/// The distances a case can name (torch takes a callable; docs/format.md).
enum class triplet_distance : std::uint8_t {
  pairwise,  ///< null or "pairwise_distance": torch's default, ‖x − y + 1e-6‖_2 over the last dimension
  cosine,    ///< "cosine": 1 − cosine_similarity(x, y, dim=-1, eps=1e-8)
};

/// triplet_margin_with_distance_loss. The three inputs broadcast together to `pair_shape` (their ranks may differ);
/// rows run along its last dimension. Each distance runs over its own pair's broadcast: `cols_*` is the last
/// dimension of that pair's broadcast (D, or 1 where both of its inputs have a last dimension of 1).
struct triplet_margin_with_distance_loss_problem {
  const tensor* anchor;
  const tensor* positive;
  const tensor* negative;
  shape_t pair_shape;
  shape_t none_shape;
  std::int64_t cols_ap, cols_an, cols_pn;
  triplet_distance distance;
  double margin;
  bool swap;
  reduction red;
};

/// The shape of the `none` output.
inline shape_t none_shape_of(const triplet_margin_with_distance_loss_problem& p) { return p.none_shape; }

/// The record of triplet_margin_with_distance_loss.
loss_record triplet_margin_with_distance_loss_record();
/// Checks `r`'s case against triplet_margin_with_distance_loss's shape and option rules and returns the typed
/// problem; throws loss_error.
triplet_margin_with_distance_loss_problem resolve_triplet_margin_with_distance_loss(const resolve_context& r);

}  // namespace losscheck
