#pragma once
/// @file multilabel_soft_margin_loss.h
/// multilabel_soft_margin_loss(input, target, weight, reduction): the problem a case resolves to
/// (core/src/losses/multilabel_soft_margin_loss.cpp checks the case and builds it) and the loss's record. No
/// arithmetic.

#include <cstdint>

#include "losscheck/loss_record.h"
#include "losscheck/tensor.h"

namespace losscheck {

struct resolve_context;

/// multilabel_soft_margin_loss(input, target, weight, reduction), as functional.py composes it: the per-element
/// terms over `shape` = broadcast(input, target, weight), summed over dimension `class_dim` = input.dim() - 1 of that
/// shape (not necessarily its last: a target or weight of more dimensions shifts it) and divided by `classes` =
/// input.size(-1); `none_shape` is `shape` without `class_dim`.
struct multilabel_soft_margin_loss_problem {
  const tensor* input;
  const tensor* target;
  const tensor* weight;  ///< or nullptr
  shape_t shape;
  std::int64_t class_dim;
  std::int64_t classes;
  shape_t none_shape;
  reduction red;
};

/// The shape of the `none` output.
inline shape_t none_shape_of(const multilabel_soft_margin_loss_problem& p) { return p.none_shape; }

/// The record of multilabel_soft_margin_loss.
loss_record multilabel_soft_margin_loss_record();
/// Checks `r`'s case against multilabel_soft_margin_loss's shape and option rules and returns the typed problem;
/// throws loss_error.
multilabel_soft_margin_loss_problem resolve_multilabel_soft_margin_loss(const resolve_context& r);

}  // namespace losscheck
