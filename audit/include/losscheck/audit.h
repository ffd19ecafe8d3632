#pragma once
/// @file audit.h
/// The audit: every property of the suite and every golden fixture that applies, against one target, one row per
/// loss × check × dtype, with the reference as the witness (docs/audit.md). A library: plan (plan.h) → run → one
/// summary struct (report.h) that every renderer reads; the verdict and exit code come from verdict.h.
///
/// @code
///   losscheck::audit_options o;
///   o.losses = {"mse_loss"};
///   o.cases = 50;
///   const losscheck::audit_report r = losscheck::audit(my_target, o);
///   r.print(std::cout);
///   return r.exit_code();
/// @endcode

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "losscheck/audit/plan.h"
#include "losscheck/audit/report.h"
#include "losscheck/audit/verdict.h"
#include "losscheck/target.h"

namespace losscheck {

/// What the audit asks of a target that runs a program of its own (an exec target), beyond its answers. Without
/// one, every answer is taken as the target's own.
class target_monitor {
 public:
  virtual ~target_monitor() = default;
  /// Whether the target's last evaluate() ended in an incident (a timeout, a crash, garbage) rather than an answer:
  /// an incident fails its property or fixture row at once and is never compared as an answer.
  virtual bool last_was_incident() const = 0;
  /// The audit's time limit: no case may wait past `t`.
  virtual void set_deadline(std::chrono::steady_clock::time_point t) = 0;
  /// One line on what happened besides answers ("exec target: 3 incidents …"), or "" when nothing did.
  virtual std::string summary() const = 0;
};

/// The default seed: the property suite's (properties.h), so that an audit runs the cases the suite's tests run.
inline constexpr std::uint64_t default_audit_seed = 20240613;

struct audit_options {
  std::vector<std::string> losses;      ///< loss names; empty: every loss
  std::vector<std::string> dtypes;      ///< "float32", "float64"; empty: both
  std::vector<std::string> properties;  ///< property names, and "fixtures" for the fixture rows; empty: all
  /// Edge classes the target deliberately does not support (`--exclude-class`): a case in one of them is never
  /// asked, and counts as unsupported with the reason "excluded by --exclude-class C". Names: "nonfinite" (NaN or
  /// inf) and those of properties::edge_classes ("empty", "NaN", "inf", "subnormal", "huge", "0-D", "unbatched",
  /// "K-dim", "ignored target", "weight", "legacy flags", …); an unknown name is a usage error.
  std::vector<std::string> exclude_classes;
  int cases = 100;                      ///< cases per property
  /// Accepted findings (`--baseline`). Inside each property a failing case whose diagnosis is an accepted finding
  /// counts as accepted and the property goes on, so a second root cause in the same property is still found; the
  /// report's rows are then marked (audit_report::apply_baseline, with `baseline_file` as the name shown).
  std::optional<losscheck::baseline> baseline;
  std::string baseline_file;
  std::uint64_t seed = default_audit_seed;  ///< RapidCheck seed
  unsigned precision = 256;             ///< bits of the reference: at least 53, so that every input converts exactly
  /// Fixture files: every *.json in `fixtures_dir` (sorted by name), then `fixture_files`. None: no fixture rows.
  std::string fixtures_dir;
  std::vector<std::string> fixture_files;
  losscheck::shard shard;          ///< run only this slice of the plan (merge the reports with merge_reports)
  double time_limit_seconds = 0;   ///< stop after this long (the report is incomplete); 0: no limit
  /// The stop hook, asked between cases: the signal that asks the audit to stop (SIGINT, SIGTERM), or 0. The
  /// report is then incomplete ("interrupted") and its exit code 128 + the signal.
  std::function<int()> interrupted;
  target_monitor* monitor = nullptr;  ///< the subject's monitor, when it runs a program (exec targets)
  double timeout_seconds = 10;        ///< recorded in the report: the exec target's timeout per case
  /// Called once the plan is made, before the first row runs, with the report's settings filled in (print_header()).
  std::function<void(const audit_report&)> on_start;
  /// Progress: rows done, rows of this shard, what runs next.
  std::function<void(std::size_t done, std::size_t total, const std::string& what)> progress;
};

/// Runs the audit of `subject`. Throws std::invalid_argument for a usage error, before anything runs: an unknown
/// loss, dtype or property, a bad shard, a precision below 53 bits, an unreadable fixture directory or a malformed
/// fixture file (the message names it). Everything else — a target that crashes, hangs or answers garbage — is
/// in the report.
audit_report audit(target& subject, const audit_options& options);

/// The counterexamples of `report` go to the fixture file `file`: sets report.counterexamples_file and each failing
/// row's counterexample_fixture (both cleared when there are no counterexamples). Call before rendering.
void name_counterexamples_file(audit_report& report, const std::string& file);

}  // namespace losscheck
