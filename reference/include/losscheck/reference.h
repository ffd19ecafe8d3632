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

/// What an implementation that computes a half case in float32 and rounds once returns: the reference's float32
/// answer to the same values (correctly rounded to float32), each value then rounded to the case's half dtype. The
/// half bound of docs/tolerances.md must accept it as well as the correctly rounded answer. Other dtypes: evaluate.
loss_result evaluate_via_float32(const loss_case& c, unsigned precision_bits = default_precision_bits);

/// The reference as a target ("reference"); `via_float32`: evaluate_via_float32 ("reference:float32").
std::unique_ptr<target> make_target(unsigned precision_bits = default_precision_bits, bool via_float32 = false);

}  // namespace losscheck::reference
