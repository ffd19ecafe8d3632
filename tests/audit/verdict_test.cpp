// The verdict and the exit codes (audit/include/losscheck/audit/verdict.h). The table is docs/audit.md's: any failure
// is FAIL; else stopped early is INCOMPLETE; else nothing passed is NOTHING CHECKED; else pass. Exit codes 0 pass,
// 1 fail, 2 usage, 3 incomplete, 4 nothing checked, 128 + the signal when interrupted.

#include <gtest/gtest.h>

#include <csignal>

#include "losscheck/audit/verdict.h"

namespace {

using namespace losscheck;

TEST(verdict, one_rule_for_every_combination) {
  struct row {
    long long passed, failed;
    bool incomplete;
    verdict want;
  };
  const row table[] = {
      {5, 0, false, verdict::pass},           {5, 1, false, verdict::fail},
      {0, 1, false, verdict::fail},           {5, 1, true, verdict::fail},
      {5, 0, true, verdict::incomplete},      {0, 0, true, verdict::incomplete},
      {0, 0, false, verdict::nothing_checked},
  };
  for (const auto& r : table)
    EXPECT_EQ(verdict_of(r.passed, r.failed, r.incomplete), r.want)
        << r.passed << " passed, " << r.failed << " failed, incomplete " << r.incomplete;
}

TEST(verdict, exit_codes) {
  EXPECT_EQ(exit_code(verdict::pass), 0);
  EXPECT_EQ(exit_code(verdict::fail), 1);
  EXPECT_EQ(exit_codes::usage, 2);
  EXPECT_EQ(exit_code(verdict::incomplete), 3);
  EXPECT_EQ(exit_code(verdict::nothing_checked), 4);
  // a signal wins over any verdict, as a shell expects of a process it interrupted
  EXPECT_EQ(exit_code(verdict::incomplete, SIGINT), 130);
  EXPECT_EQ(exit_code(verdict::fail, SIGTERM), 143);
}

TEST(verdict, names_read_back) {
  for (verdict v : {verdict::pass, verdict::fail, verdict::incomplete, verdict::nothing_checked})
    EXPECT_EQ(parse_verdict(to_string(v)), v) << to_string(v);
  EXPECT_EQ(to_string(verdict::nothing_checked), "nothing checked");
  EXPECT_EQ(headline(verdict::nothing_checked), "NOTHING CHECKED (every check was skipped)");
  EXPECT_EQ(headline(verdict::incomplete), "INCOMPLETE");
  EXPECT_FALSE(parse_verdict("PASS"));
  for (check_verdict v : {check_verdict::pass, check_verdict::fail, check_verdict::skipped})
    EXPECT_EQ(parse_check_verdict(to_string(v)), v);
  EXPECT_FALSE(parse_check_verdict("maybe"));
}

}  // namespace
