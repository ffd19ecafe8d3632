#pragma once
/// @file binary_cross_entropy.h
/// binary_cross_entropy(input, target, weight, reduction): the problem a case resolves to
/// (core/src/losses/binary_cross_entropy.cpp checks the case and builds it) and the loss's record. No arithmetic.

#include <cstdint>

#include "losscheck/loss_record.h"
#include "losscheck/tensor.h"

namespace losscheck {

struct resolve_context;

/// binary_cross_entropy(input, target, weight, reduction): target has input's shape; weight broadcasts to it.
struct binary_cross_entropy_problem {
  const tensor* input;
  const tensor* target;
  const tensor* weight;  ///< nullptr when absent
  reduction red;
};

/// The shape of the `none` output.
inline shape_t none_shape_of(const binary_cross_entropy_problem& p) { return p.input->shape; }

/// The record of binary_cross_entropy.
loss_record binary_cross_entropy_record();
/// Checks `r`'s case against binary_cross_entropy's shape and option rules and returns the typed problem; throws loss_error.
binary_cross_entropy_problem resolve_binary_cross_entropy(const resolve_context& r);

}  // namespace losscheck
