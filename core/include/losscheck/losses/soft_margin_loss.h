#pragma once
/// @file soft_margin_loss.h
/// soft_margin_loss(input, target, reduction): the problem a case resolves to (core/src/losses/soft_margin_loss.cpp
/// checks the case and builds it) and the loss's record. No arithmetic.

#include <cstdint>

#include "losscheck/loss_record.h"
#include "losscheck/tensor.h"

namespace losscheck {

struct resolve_context;

/// soft_margin_loss(input, target, reduction): the target broadcasts to the input's shape without enlarging it
/// (ATen multiplies it into -input in place), so every output and gradient has the input's shape.
struct soft_margin_loss_problem {
  const tensor* input;
  const tensor* target;
  reduction red;
};

/// The shape of the `none` output.
inline shape_t none_shape_of(const soft_margin_loss_problem& p) { return p.input->shape; }

/// The record of soft_margin_loss.
loss_record soft_margin_loss_record();
/// Checks `r`'s case against soft_margin_loss's shape and option rules and returns the typed problem; throws loss_error.
soft_margin_loss_problem resolve_soft_margin_loss(const resolve_context& r);

}  // namespace losscheck
