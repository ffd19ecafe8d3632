#pragma once
/// @file verdict.h
/// The verdict of an audit and its exit code: decided here once, for `losscheck audit`, `losscheck report merge` and
/// every renderer (terminal, JSON, JUnit, HTML).

#include <optional>
#include <string>
#include <string_view>

namespace losscheck {

/// The verdict of one check (one row: a property or the fixtures of one loss in one dtype).
enum class check_verdict {
  pass,     ///< every case that ran passed (at least one ran)
  fail,     ///< a case failed, or the target misbehaved
  skipped,  ///< no case ran: every case unsupported by the target, no fixture case, or RapidCheck gave up at once
};

/// The verdict of a whole audit (or of the merge of its shards).
enum class verdict {
  pass,             ///< complete, nothing failed, something passed
  fail,             ///< a check failed (whether or not the audit completed)
  incomplete,       ///< stopped early (time limit, interrupted) with nothing failed: the rows that ran say nothing
                    ///< about those that did not
  nothing_checked,  ///< complete, nothing failed, nothing passed: every check skipped; establishes nothing
};

/// The one rule: any failure is `fail`; else an audit that stopped early is `incomplete`; else one where no check
/// passed is `nothing_checked`; else `pass`.
verdict verdict_of(long long passed, long long failed, bool incomplete);

/// The exit codes of `losscheck` (docs/audit.md). Defined here only.
namespace exit_codes {
inline constexpr int pass = 0;
inline constexpr int fail = 1;
inline constexpr int usage = 2;  ///< usage error, unreadable or malformed input, a file that could not be written
inline constexpr int incomplete = 3;
inline constexpr int nothing_checked = 4;
inline constexpr int signal_base = 128;  ///< + the signal that interrupted the run
}  // namespace exit_codes

/// The exit code of `v`; `interrupt_signal` (SIGINT, SIGTERM, or 0) takes precedence: 128 + the signal, whatever
/// the verdict, as a shell expects of a process stopped by a signal.
int exit_code(verdict v, int interrupt_signal = 0);

/// "pass", "fail", "incomplete", "nothing checked": the JSON report's `verdict`.
std::string_view to_string(verdict v);
/// The inverse of to_string; nullopt for any other text.
std::optional<verdict> parse_verdict(std::string_view s);
/// The verdict for people: "pass", "FAIL", "INCOMPLETE", "NOTHING CHECKED (every check was skipped)".
std::string_view headline(verdict v);

/// "pass", "fail", "skipped": a row's `verdict` in the JSON report.
std::string_view to_string(check_verdict v);
std::optional<check_verdict> parse_check_verdict(std::string_view s);

}  // namespace losscheck
