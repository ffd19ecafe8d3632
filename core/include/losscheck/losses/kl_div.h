#pragma once
/// @file kl_div.h
/// kl_div(input, target, reduction, log_target): the problem a case resolves to (core/src/losses/kl_div.cpp checks the
/// case and builds it) and the loss's record. No arithmetic.

#include <cstdint>

#include "losscheck/loss_record.h"
#include "losscheck/tensor.h"

namespace losscheck {

struct resolve_context;

/// kl_div(input, target, reduction, log_target): input and target broadcast to `shape`. `batchmean` divides the
/// sum by `batch_size` = input.size(0), or by nothing (1) for a 0-D input.
struct kl_div_problem {
  const tensor* input;
  const tensor* target;
  shape_t shape;
  reduction red;
  bool log_target;
  std::int64_t batch_size;
  /// torch quirk (functional.py kl_div): with a legacy size_average/reduce flag AND reduction='batchmean', the
  /// legacy-mapped result (`red`, which is then none, mean or sum) is still divided by batch_size.
  bool legacy_batchmean = false;
};

/// The shape of the `none` output.
inline shape_t none_shape_of(const kl_div_problem& p) { return p.shape; }

/// The record of kl_div.
loss_record kl_div_record();
/// Checks `r`'s case against kl_div's shape and option rules and returns the typed problem; throws loss_error.
kl_div_problem resolve_kl_div(const resolve_context& r);

}  // namespace losscheck
