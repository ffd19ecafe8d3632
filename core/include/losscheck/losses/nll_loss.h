#pragma once
/// @file nll_loss.h
/// nll_loss(input, target, weight, ignore_index, reduction): the problem a case resolves to
/// (core/src/losses/nll_loss.cpp checks the case and builds it) and the loss's record. No arithmetic.

#include <cstdint>

#include "losscheck/class_layout.h"
#include "losscheck/loss_record.h"
#include "losscheck/tensor.h"

namespace losscheck {

struct resolve_context;

/// nll_loss(input, target, weight, ignore_index, reduction) with int64 class-index targets.
struct nll_loss_problem {
  const tensor* input;
  const tensor* target;
  const tensor* weight;  ///< C class weights, row-major (1-D; any shape with C elements for K-dim inputs)
  class_layout layout;
  reduction red;
  std::int64_t ignore_index;
};

/// The shape of the `none` output.
inline shape_t none_shape_of(const nll_loss_problem& p) { return p.layout.none_shape; }

/// The record of nll_loss.
loss_record nll_loss_record();
/// Checks `r`'s case against nll_loss's shape and option rules and returns the typed problem; throws loss_error.
nll_loss_problem resolve_nll_loss(const resolve_context& r);

}  // namespace losscheck
