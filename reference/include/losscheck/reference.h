#pragma once
/// @file reference.h
/// The high-precision reference: every loss written plainly from its mathematical definition in
/// Boost.Multiprecision (MPFR backend) at a precision chosen at run time, with analytic gradients.

#include <memory>

#include "losscheck/case.h"
#include "losscheck/target.h"

namespace losscheck::reference {

/// Default working precision in bits.
inline constexpr unsigned default_precision_bits = 256;

/// Evaluates `c` (forward, and backward with its grad_output) at `precision_bits`, rounding the results correctly
/// to the case dtype. Invalid cases give a result with `error` set.
loss_result evaluate(const loss_case& c, unsigned precision_bits = default_precision_bits);

/// The reference as a target ("reference").
std::unique_ptr<target> make_target(unsigned precision_bits = default_precision_bits);

}  // namespace losscheck::reference
