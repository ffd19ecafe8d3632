#pragma once
/// @file problem.h
/// The resolution of a case into a typed, shape-checked problem: one problem type per loss (losscheck/losses/*.h),
/// gathered in the variant `problem`. This is the shared part of validation: names, option types and rules, legacy
/// reduction flags and shapes, read from each loss's record (losscheck/loss_record.h). It does no arithmetic and
/// never reads float data; value checks (targets out of bounds, BCE inputs outside [0,1]) are made by each
/// implementation on its own, so that rejection parity between them means something.

#include <cstdint>
#include <variant>

#include "losscheck/case.h"
#include "losscheck/loss_list.h"
#include "losscheck/loss_record.h"

namespace losscheck {

/// One alternative per loss, in catalog order: `problem.index()` is the loss's `loss_record::index`.
using problem = std::variant<LOSSCHECK_PROBLEM_TYPES>;

/// The most elements a broadcast shape may have (2^28: 2 GiB of doubles). Inputs are bounded by their data, but two
/// small ones ((N, 1) and (1, M)) can broadcast to an absurd size; resolve_problem rejects that before allocating.
inline constexpr std::int64_t max_broadcast_numel = std::int64_t{1} << 28;

/// Checks names, option types, shapes and dtypes of `c` and returns the typed problem (pointers into `c`).
/// Throws loss_error with a message naming the loss, the rule and what was received.
problem resolve_problem(const loss_case& c);

/// The record of the loss a problem belongs to.
const loss_record& record_of(const problem& p);

/// Checks only the names in `c`: the loss, its inputs (required ones present) and its options; throws loss_error.
void check_names(const loss_case& c);

/// Shape of the output of the resolved problem: the `none` shape, or () when reduced.
shape_t output_shape(const problem& p);

/// Checks that `c.grad_output`, if present, has the output's shape; throws loss_error otherwise.
void check_grad_output(const loss_case& c, const shape_t& out_shape);

}  // namespace losscheck
