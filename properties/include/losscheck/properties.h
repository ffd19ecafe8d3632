#pragma once
/// @file properties.h
/// The property suite: randomized cross-checks of any `losscheck::target` (the impl, the reference, LibTorch, an
/// external program) against the high-precision reference and against the mathematics of each loss.
///
/// A property is a named RapidCheck property `{loss, name, function(context)}` held in a registry, so that the same
/// suite runs from gtest (tests/properties/) and, later, from `losscheck audit`. run_property() runs one with a fixed
/// default seed (RC_PARAMS overrides, LOSSCHECK_DEEP=1 runs 100× more cases) and returns what happened: on failure the
/// seed, the shrunk counterexample as a case in the JSON format and one-line replay commands.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "losscheck/case.h"
#include "losscheck/target.h"

namespace losscheck::properties {

/// What a property runs against.
struct context {
  target& subject;             ///< the target under audit
  target& reference;           ///< the high-precision reference (the witness of "agreement")
  std::vector<dtype> dtypes;   ///< the float dtypes the subject is audited in (cases are generated in these)
};

/// One property: `loss` is the file it belongs to; `uses` every loss it evaluates (a mutant of any of them can be
/// caught by it). The function makes its own cases with `*gen` and fails with RC_ASSERT / RC_FAIL.
struct property {
  std::string loss;
  std::string name;  ///< reads as a sentence: "sum_reduction_is_sum_of_none"
  std::string doc;
  std::vector<std::string> uses;
  std::function<void(const context&)> fn;
  /// Compares the dtypes with each other (float32 against float64): one audit row for all dtypes, not one per dtype.
  bool spans_dtypes = false;
  /// Runs in the half dtypes' rows only (bfloat16, float16): the half/float32 consistency property.
  bool half_only = false;
};

/// Every property of every loss, in a fixed order (loss catalog order, then as each file registers them).
const std::vector<property>& registry();
/// The properties that evaluate `loss` (property::uses contains it).
std::vector<const property*> properties_using(std::string_view loss);

/// How to run a property.
struct run_options {
  std::uint64_t seed = 0;      ///< RapidCheck seed
  int max_success = 100;       ///< cases per property
  bool shrink = true;          ///< shrink counterexamples (off for the mutant catalog: the first failure suffices)
  std::string replay_command;  ///< how to rerun this property ("./build/tests/property_test --gtest_filter=...")
  /// Accepted failures (an audit's baseline, docs/audit.md "Baseline"): asked about the case a failure shows first;
  /// true when the failure on that case is an accepted finding. The property then goes on as if the case had passed
  /// (counted in run_outcome::accepted), so a second, different failure of the same property is still found.
  std::function<bool(const loss_case&)> accepts;
};

/// The suite's default seed, printed by every run and used unless RC_PARAMS sets one.
inline constexpr std::uint64_t default_seed = 20240613;

/// Options from the environment: RC_PARAMS (seed, max_success, noshrink, reproduce — RapidCheck's own syntax) over
/// the fixed default seed; LOSSCHECK_DEEP=1 multiplies the number of cases by 100.
run_options options_from_environment();

/// How a run of one property ended. Only `failed` is evidence against the subject: a property that gave up or could
/// not run has shown nothing either way.
enum class run_status {
  passed,   ///< every generated case passed
  failed,   ///< a case failed: `report` holds it (shrunk), the seed and a replay line
  gave_up,  ///< too many generated cases were discarded (mostly: the subject answered `unsupported`); the `cases`
            ///< that ran passed
  error,    ///< RapidCheck could not run the property
  skipped,  ///< every case ran but checked nothing (e.g. the subject declares every gradient the property is about
            ///< missing: unsupported_grads); `report` says why
};

/// "passed", "failed", "gave up", "error", "skipped".
const char* to_string(run_status s);

/// The outcome of running one property against one context.
struct run_outcome {
  run_status status = run_status::passed;
  int cases = 0;                        ///< successful cases run that checked something
  int vacuous = 0;                      ///< cases that checked nothing (detail::nothing_to_check), not in `cases`
  std::string report;                   ///< failure: seed, shrunk counterexample (JSON case), replay; else summary
  std::map<std::string, int> coverage;  ///< edge class → number of generated cases reaching it
  /// The error, in ULPs of the scale (docs/tolerances.md), of every comparison of a subject's result with an expected
  /// one that the property made (expect_agreement), failing ones (and those of shrinking) included; empty for
  /// properties that compare otherwise.
  std::vector<double> agreement_ulps;
  /// Beside each of agreement_ulps: the magnitude of that comparison's worst element (|expected|, or its scale where
  /// the expected value is 0; 0 when no element was compared) -- the x of the report's error-versus-magnitude plot.
  std::vector<double> agreement_magnitudes;
  /// failed: the first failing case as JSON, before RapidCheck shrank it (the shrunk one is in `report`); shrinking
  /// can reach a degenerate case (an empty input, zero weights) that a diagnosis should not be drawn from alone.
  std::string original_counterexample;
  /// Cases whose failure `run_options::accepts` accepted (not in `cases`). When no other failure was found the
  /// property ends `failed` with the first accepted failure as its report, so that the audit shows it as accepted.
  int accepted = 0;
  bool only_accepted = false;  ///< failed only in ways `accepts` accepted (the report shows the first of them)

  bool passed() const { return status == run_status::passed; }
  /// A failure found (a kill, for the mutant catalog): not a give-up or an error.
  bool failed() const { return status == run_status::failed; }
};

/// Runs `p` against `ctx`.
run_outcome run_property(const property& p, const context& ctx, const run_options& options);

/// Formats a coverage table ("  NaN ........ 41").
std::string format_coverage(const std::map<std::string, int>& coverage, int cases);

}  // namespace losscheck::properties
