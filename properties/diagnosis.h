#pragma once
/// @file diagnosis.h
/// Why a target disagrees: what its answer matches instead.
///
/// Given a case on which a target's answer differs from the reference, diagnose() evaluates the known mistakes of
/// loss libraries *with the reference* (the `sum` reduction where `mean` was asked, a mean over all elements where
/// ignored ones should not count, ε instead of ε/C in label smoothing, …), looks for a constant factor between the
/// answer and the reference, checks each disagreeing gradient against a finite difference of the target's own
/// forward, and reports every match as a finding. Nothing is guessed: a finding is only made when the target's
/// numbers equal the mistake's numbers within the tolerance of docs/tolerances.md; when nothing matches it says so.

#include <optional>
#include <string>
#include <vector>

#include "losscheck/case.h"
#include "losscheck/target.h"

namespace losscheck::properties {

/// One explanation (or, for "unexplained", the lack of one).
struct finding {
  std::string text;    ///< "output equals the `sum` reduction (`mean` was asked)"
  std::string kind;    ///< "convention" (a scale factor or divisor choice), "bug", "precision" (a half dtype's
                       ///< arithmetic: right in float32, off in the half dtype), or "unexplained"
  std::string detail;  ///< the numbers behind it
  /// Several known mistakes coincide on this case (one target, N = 1, …): `text` names the first, `detail` the
  /// others; a larger case tells them apart.
  bool ambiguous = false;
  /// Other explanations that fit this case just as well, without the component ("2 × the reference's" beside
  /// "divides by the batch size (2), …" when the batch holds 2 elements per sample): a baseline that accepts any
  /// of them accepts the case.
  std::vector<std::string> equally = {};
};

/// Explains how `subject`'s answer to `c` differs from `reference`'s. Evaluates both (and variants of `c`) again;
/// returns an empty list when the subject agrees with the reference on `c` and its gradients agree with its own
/// forward. Never throws for a target's misbehaviour (an error becomes a finding).
std::vector<finding> diagnose(const loss_case& c, target& subject, target& reference);

/// Why `c` is a degenerate case to draw a diagnosis from — an empty input, a mean over no (or zero-weight) targets,
/// an answer of torch (`want`, the reference's) that is NaN although no input is — or "" for an ordinary case.
std::string degenerate_reason(const loss_case& c, const loss_result& want);

/// `c` with its batch twice over (every input whose dimension 0 is the batch concatenated with itself, and a
/// `none` grad_output along), for telling apart mistakes that coincide on a small case: with one target, dividing by
/// the number of targets and `sum` agree; with the batch doubled they do not. An unbatched case is taken as its batch
/// of one first. None for an empty batch, or a rowwise input that is not (N, D).
std::optional<loss_case> with_batch_doubled(const loss_case& c);

/// The most serious kind among `findings`: "bug" over "unexplained" over "convention"; "" when empty.
std::string overall_kind(const std::vector<finding>& findings);

}  // namespace losscheck::properties
