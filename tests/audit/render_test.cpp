// The renderers of a report (terminal, JSON, JUnit, HTML) say the one verdict (verdict.h): an interrupted audit is
// INCOMPLETE in all four -- never a green pass badge above an INCOMPLETE banner -- and exits 128 + the signal; a
// failure stays FAIL when the run also stopped early; every check skipped is NOTHING CHECKED; a give-up is said apart.

#include <gtest/gtest.h>

#include <csignal>
#include <sstream>

#include "losscheck/audit/report.h"

namespace {

using namespace losscheck;

audit_row row(std::size_t order, check_verdict v) {
  audit_row r;
  r.order = order, r.loss = "mse_loss", r.check = "agrees_" + std::to_string(order), r.kind = "property";
  r.dtype = "float64", r.verdict = v, r.cases = v == check_verdict::skipped ? 0 : 10;
  if (v == check_verdict::fail) r.message = "it failed", r.report = "it failed\n";
  if (v == check_verdict::skipped) r.message = "all unsupported";
  return r;
}

/// 2 of 5 planned checks ran and passed, then SIGINT.
audit_report interrupted() {
  audit_report a;
  a.settings.target = "impl";
  a.settings.seed = 1;
  a.settings.losses = {"mse_loss"};
  a.settings.dtypes = {"float64"};
  a.settings.planned_checks = 5;
  a.rows = {row(0, check_verdict::pass), row(1, check_verdict::pass)};
  a.incomplete = true;
  a.incomplete_reason = "interrupted";
  a.interrupt_signal = SIGINT;
  return a;
}

std::string printed(const audit_report& a) {
  std::ostringstream out;
  a.print(out);
  return out.str();
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(render, an_interrupted_audit_is_incomplete_in_every_report) {
  const auto a = interrupted();
  EXPECT_EQ(a.verdict(), verdict::incomplete);
  EXPECT_EQ(a.exit_code(), 130);
  // JSON
  const auto j = a.to_json();
  EXPECT_EQ(j["verdict"], "incomplete");
  EXPECT_EQ(j["incomplete"], true);
  EXPECT_EQ(j["incomplete_reason"], "interrupted");
  // terminal
  const std::string t = printed(a);
  EXPECT_TRUE(has(t, "INCOMPLETE (interrupted): 2 of the 5 planned checks ran")) << t;
  EXPECT_TRUE(has(t, "verdict: INCOMPLETE\n")) << t;
  // JUnit: the verdict as a property, and an error CI cannot miss
  const std::string x = a.junit();
  EXPECT_TRUE(has(x, "<property name=\"verdict\" value=\"incomplete\"/>")) << x;
  EXPECT_TRUE(has(x, "<property name=\"incomplete\" value=\"interrupted\"/>")) << x;
  EXPECT_TRUE(has(x, "<error message=\"INCOMPLETE (interrupted): 2 of the 5 planned checks ran\" type=\"incomplete\"/>")) << x;
  EXPECT_TRUE(has(x, "tests=\"3\" failures=\"0\" errors=\"1\"")) << x;
  // HTML: the big badge, the title and the footer say INCOMPLETE; no pass badge for the audit
  const std::string h = a.html();
  EXPECT_TRUE(has(h, "<h1>losscheck audit <span class=\"v v-incomplete big\">INCOMPLETE</span></h1>")) << h.substr(0, 4000);
  EXPECT_FALSE(has(h, "v-pass big"));
  EXPECT_TRUE(has(h, "<title>losscheck audit: impl — INCOMPLETE</title>"));
  EXPECT_TRUE(has(h, "INCOMPLETE (interrupted): 2 of the 5 planned checks ran"));
  EXPECT_TRUE(has(h, "verdict: INCOMPLETE ·"));
  // and read back from its JSON (report html, report merge): still incomplete
  const auto b = audit_report::from_json(j, "i.json");
  EXPECT_EQ(b.verdict(), verdict::incomplete);
  EXPECT_EQ(b.exit_code(), 3);  // the signal belongs to the run, not to its document
  EXPECT_TRUE(has(b.html(), "v-incomplete big"));
}

TEST(render, a_failure_stays_fail_when_the_audit_also_stopped) {
  auto a = interrupted();
  a.rows.push_back(row(2, check_verdict::fail));
  a.interrupt_signal = 0;
  a.incomplete_reason = "time limit";
  EXPECT_EQ(a.verdict(), verdict::fail);
  EXPECT_EQ(a.exit_code(), 1);
  EXPECT_EQ(a.to_json()["verdict"], "fail");
  EXPECT_TRUE(has(printed(a), "INCOMPLETE (time limit): 3 of the 5 planned checks ran"));
  EXPECT_TRUE(has(printed(a), "verdict: FAIL\n"));
  const std::string h = a.html();
  EXPECT_TRUE(has(h, "v-fail big\">FAIL</span>"));
  EXPECT_TRUE(has(h, "verdict: FAIL (incomplete)"));
  const std::string x = a.junit();
  EXPECT_TRUE(has(x, "<failure message=\"it failed\""));
  EXPECT_TRUE(has(x, "type=\"incomplete\""));
}

TEST(render, every_check_skipped_is_nothing_checked) {
  audit_report a = interrupted();
  a.incomplete = false;
  a.incomplete_reason.clear();
  a.interrupt_signal = 0;
  a.rows = {row(0, check_verdict::skipped)};
  EXPECT_EQ(a.verdict(), verdict::nothing_checked);
  EXPECT_EQ(a.exit_code(), 4);
  EXPECT_EQ(a.to_json()["verdict"], "nothing checked");
  EXPECT_TRUE(has(printed(a), "verdict: NOTHING CHECKED (every check was skipped)\n"));
  EXPECT_TRUE(has(a.html(), "v-nothing big\">NOTHING CHECKED</span>"));
  EXPECT_TRUE(has(a.junit(), "type=\"nothing checked\""));
}

TEST(render, a_complete_pass_is_pass_everywhere) {
  audit_report a = interrupted();
  a.incomplete = false;
  a.incomplete_reason.clear();
  a.interrupt_signal = 0;
  a.settings.planned_checks = 2;
  EXPECT_EQ(a.verdict(), verdict::pass);
  EXPECT_EQ(a.exit_code(), 0);
  EXPECT_TRUE(has(printed(a), "verdict: pass\n"));
  EXPECT_FALSE(has(printed(a), "INCOMPLETE"));
  EXPECT_TRUE(has(a.html(), "v-pass big\">pass</span>"));
  EXPECT_FALSE(has(a.html(), "class=\"banner\""));
  EXPECT_FALSE(has(a.junit(), "<error"));
}

TEST(render, a_give_up_is_said_apart_and_is_no_failure) {
  audit_report a = interrupted();
  a.incomplete = false;
  a.interrupt_signal = 0;
  a.rows[1].gave_up = true;
  a.rows[1].cases = 3;
  a.rows[1].message = "7 of 10 generated cases unsupported by the target";
  EXPECT_EQ(a.verdict(), verdict::pass);
  EXPECT_EQ(a.to_json()["summary"]["gave_up"], 1);
  EXPECT_TRUE(has(printed(a), "gave up: 1 check (RapidCheck discarded too many generated cases; each covers only the "
                              "cases that ran): mse_loss agrees_1 [float64] (3 cases ran)"))
      << printed(a);
  EXPECT_TRUE(has(a.junit(), "<system-out>gave up: 7 of 10 generated cases unsupported by the target</system-out>"));
  EXPECT_TRUE(has(a.html(), "<span class=\"cls cls-gave-up\">gave up</span> 7 of 10"));
  EXPECT_TRUE(has(a.html(), "(1 gave up: too many generated cases discarded)"));
}

}  // namespace
