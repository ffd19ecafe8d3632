#pragma once
// `losscheck audit`: the command over the audit library (losscheck/audit.h): makes the target, catches Ctrl-C,
// shows progress, prints the report and writes its files (docs/audit.md).

#include <ostream>
#include <string>

#include "losscheck/audit.h"

namespace losscheck::cli {

struct audit_command_options {
  std::string target_name = "impl";  ///< impl | reference | libtorch | exec:COMMAND
  losscheck::audit_options audit;    ///< what to audit (its timeout_seconds is the exec target's timeout per case)
  bool no_fixtures = false;          ///< run the properties only
  std::string json_path, junit_path, html_path;
  /// The counterexamples of the failures as a fixture file (expected: the reference). Empty: next to the JSON report
  /// (`X.json` → `X.counterexamples.json`), or none without one.
  std::string counterexamples_path;
  bool catch_signals = false;  ///< stop at SIGINT/SIGTERM and still write the reports (interrupt.h)
  bool progress = false;       ///< a progress line on `err`
  bool verbose = false;        ///< the terminal summary lists every row and each failure's whole report
  /// Accepted findings (report.h `baseline`): read from `baseline_path`; all of this run's failures written to
  /// `write_baseline_path` (after the run, whatever its verdict).
  std::string baseline_path, write_baseline_path;
};

/// Runs `losscheck audit`; returns its exit code: the report's (verdict.h: 0 pass, 1 fail, 3 incomplete,
/// 4 nothing checked, 128 + the signal when interrupted), or 2 for a usage error, an unreadable input or a report
/// that could not be written (said on `err`).
int audit_command(const audit_command_options& o, std::ostream& out, std::ostream& err);

}  // namespace losscheck::cli
