#pragma once
/// @file cross_entropy.h
/// cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing): the problem a case resolves to
/// (core/src/losses/cross_entropy.cpp checks the case and builds it) and the loss's record. No arithmetic.

#include <cstdint>

#include "losscheck/class_layout.h"
#include "losscheck/loss_record.h"
#include "losscheck/tensor.h"

namespace losscheck {

struct resolve_context;

/// cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing). `probability_target` when the
/// target has the input's shape (then it is a float tensor and ignore_index < 0). `label_smoothing` is as given;
/// torch treats values <= 0 as no smoothing.
struct cross_entropy_problem {
  const tensor* input;
  const tensor* target;
  const tensor* weight;
  class_layout layout;
  reduction red;
  std::int64_t ignore_index;
  double label_smoothing;
  bool probability_target;
};

/// The shape of the `none` output.
inline shape_t none_shape_of(const cross_entropy_problem& p) { return p.layout.none_shape; }

/// The record of cross_entropy.
loss_record cross_entropy_record();
/// Checks `r`'s case against cross_entropy's shape and option rules and returns the typed problem; throws loss_error.
cross_entropy_problem resolve_cross_entropy(const resolve_context& r);

}  // namespace losscheck
