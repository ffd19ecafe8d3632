// The verdict of an audit and its exit code (verdict.h).

#include "losscheck/audit/verdict.h"

namespace losscheck {

verdict verdict_of(long long passed, long long failed, bool incomplete) {
  if (failed > 0) return verdict::fail;
  if (incomplete) return verdict::incomplete;
  if (passed == 0) return verdict::nothing_checked;
  return verdict::pass;
}

int exit_code(verdict v, int interrupt_signal) {
  if (interrupt_signal > 0) return exit_codes::signal_base + interrupt_signal;
  switch (v) {
    case verdict::pass: return exit_codes::pass;
    case verdict::fail: return exit_codes::fail;
    case verdict::incomplete: return exit_codes::incomplete;
    case verdict::nothing_checked: return exit_codes::nothing_checked;
  }
  return exit_codes::fail;
}

std::string_view to_string(verdict v) {
  switch (v) {
    case verdict::pass: return "pass";
    case verdict::fail: return "fail";
    case verdict::incomplete: return "incomplete";
    case verdict::nothing_checked: return "nothing checked";
  }
  return "fail";
}

std::optional<verdict> parse_verdict(std::string_view s) {
  for (verdict v : {verdict::pass, verdict::fail, verdict::incomplete, verdict::nothing_checked})
    if (to_string(v) == s) return v;
  return std::nullopt;
}

std::string_view headline(verdict v) {
  switch (v) {
    case verdict::pass: return "pass";
    case verdict::fail: return "FAIL";
    case verdict::incomplete: return "INCOMPLETE";
    case verdict::nothing_checked: return "NOTHING CHECKED (every check was skipped)";
  }
  return "FAIL";
}

std::string_view to_string(check_verdict v) {
  switch (v) {
    case check_verdict::pass: return "pass";
    case check_verdict::fail: return "fail";
    case check_verdict::skipped: return "skipped";
  }
  return "fail";
}

std::optional<check_verdict> parse_check_verdict(std::string_view s) {
  for (check_verdict v : {check_verdict::pass, check_verdict::fail, check_verdict::skipped})
    if (to_string(v) == s) return v;
  return std::nullopt;
}

}  // namespace losscheck
