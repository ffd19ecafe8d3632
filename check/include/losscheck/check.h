#pragma once
/// @file check.h
/// Comparing a result with an expected result under losscheck's documented tolerance (docs/tolerances.md).
///
/// Every element e of the output and of each gradient gets a scale s(e): the magnitude of the terms it is computed
/// from (a γ_n·Σ|terms| bound, not the size of the value itself, so that cancellation and the known inaccuracies of
/// the witness -- LibTorch's float32 softplus at x = 20 returns 0 where the value is 2.06e-9 -- are measured against
/// what a correct float computation can achieve). The error of e is |got - expected| / (ε·s(e) + λ) in ULPs
/// of the dtype (ε = 2u = ulp(1)), and e passes when that is at most the bound k(e): the number of roundings counted
/// for the loss (its table in check/<loss>.cpp and docs/tolerances.md) plus those of the reduction. Since each of the two
/// results is within k·u·s of the exact value, their difference is within 2·k·u·s = k ULPs of s.
/// Non-finite expected values (NaN, ±inf) must be matched exactly. No LibTorch here.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "losscheck/case.h"

namespace losscheck::check {

/// The tolerance of one tensor: a scale per element (row-major, like the tensor) and the bound in ULPs of the scale.
struct tensor_tolerance {
  std::vector<double> scale;
  double bound_ulps = 0;
  /// Per element (empty: none), an absolute amount by which got may differ from expected before the ULPs are
  /// counted: the hull of the values a correct float implementation may take at a kink it cannot resolve (the
  /// cosine hinge within the rounding of cos - margin = 0 passes its gradient or not). Error = max(0, |got -
  /// expected| - slack) / (ε·scale + λ).
  std::vector<double> slack;
};

/// The tolerance of a whole result.
struct tolerance {
  tensor_tolerance output;
  std::map<std::string, tensor_tolerance> grads;
};

/// The tolerance of the valid case `c` (computed from its inputs, options and grad_output in double precision).
/// Throws loss_error when `c` does not resolve (losscheck's shape rules reject it) or has a class-index target out of
/// bounds. Other values torch rejects (a BCE input outside [0, 1]) still get a tolerance; it means nothing.
tolerance tolerance_for(const loss_case& c);

/// The element with the largest error of a comparison.
struct element_error {
  std::string where;  ///< "output[3]", "grads.input[0]"
  double got = 0;
  double expected = 0;
  double scale = 0;
  double ulps = 0;   ///< error in ULPs of the scale
  double bound = 0;  ///< allowed ULPs
};

/// The outcome of comparing one result with the expected one.
struct comparison {
  bool passed = true;
  std::string message;        ///< why it failed (first reason), empty when passed
  std::size_t elements = 0;   ///< finite elements compared
  double max_ulps = 0;        ///< largest error in ULPs of the scale (inf for a non-finite mismatch)
  double sum_sq_ulps = 0;     ///< for the RMS over many comparisons
  std::optional<element_error> worst;  ///< the element with the largest error relative to its bound
  std::vector<std::string> skipped_grads;  ///< expected gradients the result lists in unsupported_grads
};

/// The magnitude of a comparison's worst element: |expected|, or its scale where the expected value is 0; 0 when no
/// element was compared (the x of the audit report's error-versus-magnitude plot).
double worst_magnitude(const comparison& cmp);

/// An error in ULPs for people: "0.50", "12.00", "2.3e+15" (beyond a million), "inf".
std::string format_ulps(double ulps);
/// "relative error 3.1e-07" for |got − expected| / |expected| (or "" when expected is 0 or either is not finite).
std::string relative_error_text(double got, double expected);

/// Compares `got` with `expected` for case `c`. An expected error passes when `got` is an error too (messages
/// differ between implementations); otherwise outputs and exactly the same set of gradients must be present, with
/// the expected shapes, within the tolerance of `c`.
comparison compare(const loss_case& c, const loss_result& expected, const loss_result& got);

/// As above, with a given tolerance instead of `tolerance_for(c)` (e.g. the `widest` of the tolerances of two cases
/// whose results a property relates).
comparison compare(const loss_case& c, const loss_result& expected, const loss_result& got, const tolerance& tol);

/// Element by element the larger scale, slack and bound of two tolerances of the same shapes: the tolerance of a
/// difference between two results each computed within its own (a·s_a + b·s_b ≤ (a + b) max(s_a, s_b)). A gradient
/// only one of them has is taken as is.
tolerance widest(const tolerance& a, const tolerance& b);

/// The unit of the error of one element: ε·scale + λ of `type` (dtype_traits: ε = epsilon, 2^-23 or 2^-52; λ =
/// min_normal, 2^-126 or 2^-1022, the smallest normal number: below the normal range each rounding may be off by λ,
/// as with flush-to-zero).
double error_unit(double scale, dtype type);

/// The largest finite value of the dtype. A scale at or above it is the overflow regime: terms of the computation
/// exceed the dtype's range, and any non-finite result is accepted (docs/tolerances.md).
double max_finite(dtype type);

}  // namespace losscheck::check
