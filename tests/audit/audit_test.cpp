// audit() itself (audit/include/losscheck/audit.h) against the built-in impl, which passes every property and
// fixture (tests/properties, fixtures_verify_impl): what a report records, the stop hook and the time limit (an
// incomplete report, never a pass), a monitored target's incidents, give-ups, and the usage errors thrown before
// anything runs.

#include <gtest/gtest.h>

#include <csignal>
#include <stdexcept>

#include "losscheck/audit.h"
#include "losscheck/impl.h"

namespace {

using namespace losscheck;

audit_options small() {
  audit_options o;
  o.losses = {"mse_loss"};
  o.dtypes = {"float64"};
  o.cases = 5;
  o.properties = {"mse_loss_agrees_with_the_reference", "sum_reduction_is_sum_of_none", "fixtures"};
  o.fixtures_dir = LOSSCHECK_FIXTURES_DIR;
  return o;
}

TEST(audit, the_impl_passes_and_the_report_records_the_settings_and_the_plan) {
  auto impl = impl::make_target();
  const audit_report r = audit(*impl, small());
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_TRUE(r.passed());
  EXPECT_EQ(r.exit_code(), 0);
  EXPECT_EQ(r.rows[0].check, "mse_loss_agrees_with_the_reference");
  EXPECT_EQ(r.rows[2].check, "fixtures");
  EXPECT_GT(r.rows[2].cases, 0);
  const auto& s = r.settings;
  EXPECT_EQ(s.target, "impl");
  EXPECT_EQ(s.precision, 256u);
  EXPECT_EQ(s.cases_per_property, 5);
  EXPECT_EQ(s.properties, small().properties);
  EXPECT_EQ(s.timeout, 10.0);
  ASSERT_TRUE(s.plan);
  EXPECT_EQ(s.plan->size(), 3u);
  EXPECT_EQ(s.planned_checks, 3);
  EXPECT_FALSE(s.shard);
  EXPECT_FALSE(r.incomplete);
}

TEST(audit, fixture_files_can_be_named_one_by_one) {
  auto impl = impl::make_target();
  auto o = small();
  o.fixtures_dir.clear();
  o.fixture_files = {std::string(LOSSCHECK_FIXTURES_DIR) + "/mse_loss.json"};
  o.properties = {"fixtures"};
  const audit_report r = audit(*impl, o);
  EXPECT_EQ(r.settings.fixtures, std::vector<std::string>{"mse_loss.json"});
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].verdict, check_verdict::pass);
  EXPECT_GT(r.rows[0].cases, 0);
  ASSERT_TRUE(r.rows[0].histogram);
  long long compared = 0;
  for (long long c : r.rows[0].histogram->counts) compared += c;
  EXPECT_GT(compared, 0);
}

TEST(audit, a_shard_runs_its_rows_of_the_same_plan) {
  auto impl = impl::make_target();
  auto o = small();
  o.shard = {2, 2};
  const audit_report r = audit(*impl, o);
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].order, 1u);
  EXPECT_EQ(r.settings.shard, (shard{2, 2}));
  EXPECT_EQ(r.settings.planned_checks, 3);
  EXPECT_EQ(r.planned_in_shard(), 1);
}

TEST(audit, the_stop_hook_leaves_an_incomplete_report_that_exits_128_plus_the_signal) {
  auto impl = impl::make_target();
  auto o = small();
  bool stop = false;
  o.progress = [&](std::size_t done, std::size_t, const std::string&) { stop = done >= 1; };  // after the first row
  o.interrupted = [&] { return stop ? SIGTERM : 0; };
  const audit_report r = audit(*impl, o);
  EXPECT_EQ(r.rows.size(), 1u);
  EXPECT_TRUE(r.incomplete);
  EXPECT_EQ(r.incomplete_reason, "interrupted");
  EXPECT_EQ(r.verdict(), verdict::incomplete);
  EXPECT_EQ(r.exit_code(), 128 + SIGTERM);
  EXPECT_EQ(r.to_json()["verdict"], "incomplete");
  EXPECT_NE(r.html().find("v-incomplete big"), std::string::npos);
  EXPECT_NE(r.junit().find("type=\"incomplete\""), std::string::npos);
}

TEST(audit, a_time_limit_already_reached_runs_nothing_and_is_incomplete) {
  auto impl = impl::make_target();
  auto o = small();
  o.time_limit_seconds = 1e-9;  // rounds to a deadline at the start: reached before the first row
  const audit_report r = audit(*impl, o);
  EXPECT_TRUE(r.rows.empty());
  EXPECT_EQ(r.incomplete_reason, "time limit");
  EXPECT_EQ(r.exit_code(), 3);
}

/// The impl, with every answer from the third on called an incident by its monitor (as an exec target's crash).
class flaky final : public target, public target_monitor {
 public:
  std::string name() const override { return "flaky"; }
  loss_result evaluate(const loss_case& c) override {
    ++calls_;
    return inner_->evaluate(c);
  }
  bool last_was_incident() const override { return calls_ >= 3; }
  void set_deadline(std::chrono::steady_clock::time_point) override {}
  std::string summary() const override { return "flaky: incidents from the third case on"; }

 private:
  std::unique_ptr<target> inner_ = impl::make_target();
  int calls_ = 0;
};

TEST(audit, a_monitored_targets_incident_fails_the_row_and_is_never_an_answer) {
  flaky t;
  auto o = small();
  o.properties = {"mse_loss_agrees_with_the_reference"};
  o.monitor = &t;
  const audit_report r = audit(t, o);
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].verdict, check_verdict::fail);
  ASSERT_FALSE(r.rows[0].diagnosis.empty());
  EXPECT_EQ(r.rows[0].diagnosis[0].text.rfind("the program misbehaved: ", 0), 0u) << r.rows[0].diagnosis[0].text;
  EXPECT_EQ(r.rows[0].diagnosis_class, "bug");
  EXPECT_EQ(r.target_summary, "flaky: incidents from the third case on");
  EXPECT_EQ(r.exit_code(), 1);
}

/// Answers `unsupported` to everything.
class unsupporting final : public target {
 public:
  std::string name() const override { return "unsupporting"; }
  loss_result evaluate(const loss_case& c) override {
    loss_result r;
    r.id = c.id;
    r.unsupported = "nothing is supported";
    return r;
  }
};

TEST(audit, a_property_rapidcheck_gave_up_on_is_skipped_and_counted_apart) {
  unsupporting t;
  auto o = small();
  o.properties = {"mse_loss_agrees_with_the_reference"};
  const audit_report r = audit(t, o);
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.rows[0].verdict, check_verdict::skipped);
  EXPECT_TRUE(r.rows[0].gave_up);
  EXPECT_EQ(r.count().gave_up, 1);
  EXPECT_EQ(r.count().failed, 0);
  EXPECT_EQ(r.verdict(), verdict::nothing_checked);
  EXPECT_EQ(r.exit_code(), 4);
}

void expect_usage_error(const audit_options& o, const std::string& text) {
  auto impl = impl::make_target();
  try {
    audit(*impl, o);
    ADD_FAILURE() << "ran; want a usage error: " << text;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

TEST(audit, usage_errors_are_thrown_before_anything_runs) {
  auto o = small();
  o.losses = {"no_such_loss"};
  expect_usage_error(o, "unknown loss 'no_such_loss'");
  o = small();
  o.precision = 52;
  expect_usage_error(o, "precision 52 bits: the reference needs at least 53 bits");
  o = small();
  o.fixtures_dir = "/nonexistent/fixtures";
  expect_usage_error(o, "fixtures directory /nonexistent/fixtures");
  o = small();
  o.shard = {0, 3};
  expect_usage_error(o, "--shard 0/3");
}

}  // namespace
