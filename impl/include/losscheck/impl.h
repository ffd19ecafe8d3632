#pragma once
/// @file impl.h
/// The production implementation: float32 and float64, forward and backward, written for speed and stability.
/// The typed kernels of each loss are in losscheck/impl/<loss>.h; this is the case-level entry point.

#include <memory>

#include "losscheck/case.h"
#include "losscheck/target.h"

namespace losscheck::impl {

/// Evaluates `c` (forward, and backward with its grad_output) in the case dtype. Invalid cases give a result with
/// `error` set.
loss_result evaluate(const loss_case& c);

/// The implementation as a target ("impl").
std::unique_ptr<target> make_target();

}  // namespace losscheck::impl
