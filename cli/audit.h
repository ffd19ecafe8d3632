#pragma once
// `losscheck audit`: every property of the suite and every committed fixture that applies, against one target, with
// a summary table, the failures with their shrunk counterexamples, and JSON/JUnit reports (docs/audit.md).

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace losscheck::cli {

struct audit_options {
  std::string target_name = "impl";
  std::vector<std::string> losses;      ///< empty: every loss
  std::vector<std::string> dtypes;      ///< empty: float32 and float64
  std::vector<std::string> properties;  ///< empty: every property (else only these names)
  int cases = 100;                      ///< cases per property
  std::uint64_t seed = 0;
  double timeout_seconds = 10;          ///< exec targets: per case
  unsigned precision = 256;             ///< of the reference
  std::string fixtures_dir;             ///< where fixtures/*.json are; empty: none
  bool no_fixtures = false;
  std::string json_path, junit_path, html_path;
  /// The counterexamples of the failures as a fixture file (expected: the reference). Empty: next to the JSON report
  /// (`X.json` → `X.counterexamples.json`), or none without one.
  std::string counterexamples_path;
  int shard_index = 1, shard_count = 1;  ///< run the rows whose index in the plan is shard_index-1 modulo shard_count
  double time_limit_seconds = 0;         ///< stop (report marked incomplete) after this long; 0: no limit
  bool catch_signals = false;            ///< stop at SIGINT/SIGTERM and still write the reports (interrupt.h)
  bool progress = false;                ///< a progress line on `err`
};

/// Runs the audit. Returns 0 when everything passed (or was skipped), 1 when anything failed, 2 for usage errors and
/// unreadable inputs (reported on `err`), 3 when the time limit stopped it before every check ran (and none failed),
/// 128 + the signal number when interrupted (the reports are written, marked incomplete).
int audit(const audit_options& o, std::ostream& out, std::ostream& err);

}  // namespace losscheck::cli
