#pragma once
/// @file ctc_loss.h
/// ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity): the problem a case
/// resolves to (core/src/losses/ctc_loss.cpp checks the case's shapes and builds it) and the loss's record. No
/// arithmetic. The values of the lengths and of the targets are checked by the reference and the impl each on their
/// own (docs/adding-a-loss.md).

#include <cstdint>

#include "losscheck/loss_record.h"
#include "losscheck/tensor.h"

namespace losscheck {

struct resolve_context;

/// ctc_loss with log_probs (T, N, C), or (T, C) unbatched (a batch of one whose output is 0-D). targets are int64:
/// padded (N, S) (row b's first target_lengths[b] labels), or 1-D, the N sequences concatenated (torch also reads an
/// unbatched 1-D target this way: its size must be the target length). input_lengths and target_lengths are int64
/// tensors of N elements (any shape: ATen reads their numel).
struct ctc_loss_problem {
  const tensor* log_probs = nullptr;
  const tensor* targets = nullptr;
  const tensor* input_lengths = nullptr;
  const tensor* target_lengths = nullptr;
  std::int64_t T = 0;  ///< the time steps of log_probs (dimension 0)
  std::int64_t N = 0;  ///< the batch (1 when unbatched)
  std::int64_t C = 0;  ///< the classes, blank included
  bool unbatched = false;
  bool concatenated = false;  ///< 1-D targets
  std::int64_t S = 0;         ///< padded targets: their dimension 1 (0 when concatenated)
  std::int64_t blank = 0;
  bool zero_infinity = false;
  reduction red = reduction::mean;
};

/// The shape of the `none` output: (N), or () unbatched.
inline shape_t none_shape_of(const ctc_loss_problem& p) { return p.unbatched ? shape_t{} : shape_t{p.N}; }

/// The record of ctc_loss.
loss_record ctc_loss_record();
/// Checks `r`'s case against ctc_loss's shape and option rules and returns the typed problem; throws loss_error.
ctc_loss_problem resolve_ctc_loss(const resolve_context& r);

}  // namespace losscheck
