#pragma once
/// @file binary_cross_entropy_with_logits.h
/// binary_cross_entropy_with_logits(input, target, weight, reduction, pos_weight): the problem a case resolves to
/// (core/src/losses/binary_cross_entropy_with_logits.cpp checks the case and builds it) and the loss's record. No
/// arithmetic.

#include <cstdint>

#include "losscheck/loss_record.h"
#include "losscheck/tensor.h"

namespace losscheck {

struct resolve_context;

/// binary_cross_entropy_with_logits(input, target, weight, reduction, pos_weight): target has input's shape;
/// weight and pos_weight broadcast to it.
struct binary_cross_entropy_with_logits_problem {
  const tensor* input;
  const tensor* target;
  const tensor* weight;
  const tensor* pos_weight;
  reduction red;
};

/// The shape of the `none` output.
inline shape_t none_shape_of(const binary_cross_entropy_with_logits_problem& p) { return p.input->shape; }

/// The record of binary_cross_entropy_with_logits.
loss_record binary_cross_entropy_with_logits_record();
/// Checks `r`'s case against binary_cross_entropy_with_logits's shape and option rules and returns the typed problem; throws loss_error.
binary_cross_entropy_with_logits_problem resolve_binary_cross_entropy_with_logits(const resolve_context& r);

}  // namespace losscheck
