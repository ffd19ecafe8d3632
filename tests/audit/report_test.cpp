// The report (audit/include/losscheck/audit/report.h): its JSON document reads back into the same report, a
// malformed document is refused naming the field, and shards merge into the report of one run -- or are refused,
// naming the setting they differ in. The reports here are made by hand, so every expected value is visible.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "losscheck/audit/report.h"

namespace {

using namespace losscheck;
using json = nlohmann::json;

/// A complete audit of 4 checks: a pass with a histogram, a failure with everything a failure has, a skip, and a
/// property RapidCheck gave up on after 3 cases.
audit_report sample() {
  audit_report a;
  auto& s = a.settings;
  s.losscheck_version = "0.1.0";
  s.target = "exec:python3 x.py";
  s.seed = 7;
  s.cases_per_property = 10;
  s.losses = {"mse_loss", "nll_loss"};
  s.dtypes = {"float64"};
  s.properties = std::vector<std::string>{};
  s.precision = 256;
  s.timeout = 10;
  s.fixtures = std::vector<std::string>{"mse_loss.json"};
  s.plan = std::vector<plan_row>{{0, "mse_loss", "agrees", "property", "float64"},
                                 {1, "mse_loss", "fixtures", "fixtures", "float64"},
                                 {2, "nll_loss", "agrees", "property", "float64"},
                                 {3, "nll_loss", "fixtures", "fixtures", "float64"}};
  s.planned_checks = 4;
  audit_row pass;
  pass.order = 0, pass.loss = "mse_loss", pass.check = "agrees", pass.kind = "property", pass.dtype = "float64";
  pass.cases = 10, pass.max_ulps = 0.5, pass.histogram = ulps_histogram::of({0, 0.25, 3, 2000}), pass.seconds = 0.5;
  audit_row fail;
  fail.order = 1, fail.loss = "mse_loss", fail.check = "fixtures", fail.kind = "fixtures", fail.dtype = "float64";
  fail.verdict = check_verdict::fail, fail.cases = 86, fail.max_ulps = std::numeric_limits<double>::infinity();
  fail.message = "mse_loss.json case 3 (id 4): output differs";
  fail.report = "mse_loss.json case 3 (id 4): output differs\n  case: {\"id\":4}\n  replay: losscheck fixtures verify\n";
  fail.counterexample = json{{"id", 4}, {"loss", "mse_loss"}};
  fail.counterexample_fixture = fixture_ref{"a.counterexamples.json", "mse_loss/fixtures/float64"};
  fail.diagnosis = {{"output is 2 × the reference's", "convention", "r = 2"}};
  fail.diagnosis_class = "convention";
  fail.unsupported_grads = {"target: no gradient"};
  audit_row skipped;
  skipped.order = 2, skipped.loss = "nll_loss", skipped.check = "agrees", skipped.kind = "property";
  skipped.dtype = "float64", skipped.verdict = check_verdict::skipped, skipped.unsupported = 10;
  skipped.message = "all unsupported", skipped.unsupported_reasons = {"no float64"};
  audit_row gave_up;
  gave_up.order = 3, gave_up.loss = "nll_loss", gave_up.check = "fixtures", gave_up.kind = "fixtures";
  gave_up.dtype = "float64", gave_up.gave_up = true, gave_up.cases = 3, gave_up.message = "7 of 10 unsupported";
  a.rows = {pass, fail, skipped, gave_up};
  a.counterexamples_file = "a.counterexamples.json";
  a.timings = {2.5, 1, 1, 0.5};
  return a;
}

TEST(audit_report, counts_and_verdict) {
  const auto a = sample();
  const auto c = a.count();
  EXPECT_EQ(c.checks, 4);
  EXPECT_EQ(c.passed, 2);  // the give-up passed over the 3 cases that ran
  EXPECT_EQ(c.failed, 1);
  EXPECT_EQ(c.skipped, 1);
  EXPECT_EQ(c.gave_up, 1);
  EXPECT_EQ(c.cases, 99);
  EXPECT_EQ(a.verdict(), verdict::fail);
  EXPECT_EQ(a.exit_code(), 1);
  EXPECT_FALSE(a.passed());
}

TEST(audit_report, the_json_document_reads_back_into_the_same_report) {
  const auto a = sample();
  const json j = a.to_json();
  EXPECT_EQ(j["verdict"], "fail");
  EXPECT_EQ(j["summary"], (json{{"checks", 4}, {"passed", 2}, {"failed", 1}, {"skipped", 1}, {"gave_up", 1},
                                {"cases", 99}, {"accepted", 0}, {"seconds", 2.5}}));
  EXPECT_EQ(j["precision"], 256);
  EXPECT_EQ(j["timeout"], 10.0);
  EXPECT_EQ(j["properties"], json::array());
  EXPECT_EQ(j["plan"][2], (json{{"loss", "nll_loss"}, {"check", "agrees"}, {"kind", "property"}, {"dtype", "float64"}}));
  EXPECT_EQ(j["results"][1]["max_ulps"], "inf");
  EXPECT_EQ(j["results"][0]["ulps_histogram"]["counts"], (json{1, 1, 0, 0, 1, 0, 0, 0, 0, 1}));
  EXPECT_EQ(j["results"][3]["gave_up"], true);
  const auto b = audit_report::from_json(j, "a.json");
  EXPECT_EQ(b.to_json(), j);
  EXPECT_EQ(b.rows[1].diagnosis, a.rows[1].diagnosis);
  EXPECT_TRUE(std::isinf(*b.rows[1].max_ulps));
  EXPECT_EQ(b.settings.plan, a.settings.plan);
  // a field this version does not know is kept through a read and a write
  json k = j;
  k["made_by_a_later_version"] = {1, 2};
  k["results"][0]["also_later"] = "x";
  EXPECT_EQ(audit_report::from_json(k, "k.json").to_json(), k);
}

void expect_refused(const json& j, const std::string& text) {
  try {
    audit_report::from_json(j, "r.json");
    ADD_FAILURE() << "accepted; want: " << text;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

TEST(audit_report, a_malformed_document_is_refused_naming_the_field) {
  const json j = sample().to_json();
  json k = j;
  k["version"] = 2;
  expect_refused(k, "r.json: audit report format version 2: this losscheck reads version 1");
  k = j;
  k["format"] = "losscheck-fixtures";
  expect_refused(k, "r.json: not a losscheck audit report");
  k = j;
  k["results"][2]["verdict"] = "maybe";
  expect_refused(k, "r.json: results[2].verdict is \"maybe\" (want pass, fail or skipped)");
  k = j;
  k["results"][0].erase("cases");
  expect_refused(k, "results[0].cases is missing");
  k = j;
  k["shard"] = {{"index", 3}, {"count", 2}};
  expect_refused(k, "\"shard\" is");
  expect_refused(json::array(), "not a JSON object");
}

/// The shards `--shard I/N` would write of `a`: the rows whose order is I-1 modulo N.
std::vector<audit_report> split(const audit_report& a, int n) {
  std::vector<audit_report> shards;
  for (int i = 1; i <= n; ++i) {
    audit_report s = a;
    s.settings.shard = shard{i, n};
    s.rows.clear();
    for (const auto& r : a.rows)
      if (static_cast<int>(*r.order % static_cast<std::size_t>(n)) == i - 1) s.rows.push_back(r);
    s.timings = {1, 0.25, 0.5, 0.25};
    shards.push_back(s);
  }
  return shards;
}

TEST(merge_reports, the_shards_merge_into_the_report_of_one_run) {
  const auto a = sample();
  auto shards = split(a, 3);
  std::swap(shards[0], shards[2]);  // any order
  const auto m = merge_reports(shards, {"s3.json", "s2.json", "s1.json"});
  EXPECT_EQ(m.merged_from, 3);
  EXPECT_FALSE(m.settings.shard);
  json want = a.to_json(), got = m.to_json();
  EXPECT_EQ(got["summary"]["seconds"], 3.0);  // summed over the shards
  EXPECT_EQ(got["timings"]["fixtures"]["seconds"], 1.5);
  for (json* d : {&want, &got}) {
    d->erase("merged_from");
    (*d)["summary"].erase("seconds");
    d->erase("timings");
  }
  EXPECT_EQ(got, want);
}

void expect_merge_refused(const std::vector<audit_report>& shards, const std::string& text) {
  try {
    merge_reports(shards, {"s1.json", "s2.json", "s3.json"});
    ADD_FAILURE() << "merged; want: " << text;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

TEST(merge_reports, shards_with_other_settings_are_refused_naming_the_setting) {
  const auto shards = split(sample(), 3);
  auto changed = [&](auto change) {
    auto s = shards;
    change(s[1].settings);
    return s;
  };
  expect_merge_refused(changed([](audit_settings& s) { s.precision = 128; }),
                       "s2.json (shard 2/3): \"precision\" is 128 but s1.json (shard 1/3) has 256 -- shards of one "
                       "audit share it");
  expect_merge_refused(changed([](audit_settings& s) { s.cases_per_property = 20; }),
                       "s2.json (shard 2/3): \"cases_per_property\" is 20 but s1.json (shard 1/3) has 10");
  expect_merge_refused(changed([](audit_settings& s) { s.timeout = 5; }), "\"timeout\" is 5.0 but");
  expect_merge_refused(changed([](audit_settings& s) { s.properties = std::vector<std::string>{"agrees"}; }),
                       "\"properties\" is [\"agrees\"] but s1.json (shard 1/3) has []");
  expect_merge_refused(changed([](audit_settings& s) { s.precision.reset(); }), "\"precision\" is missing but");
  expect_merge_refused(changed([](audit_settings& s) { (*s.plan)[2].check = "other"; }),
                       "s2.json (shard 2/3): \"plan\" differs from s1.json (shard 1/3)'s at row 2: nll_loss other "
                       "[float64] but nll_loss agrees [float64]");
  expect_merge_refused(changed([](audit_settings& s) { s.shard = shard{2, 4}; }),
                       "s2.json (shard 2/4): shard count 4 differs from s1.json (shard 1/3): 3");
}

TEST(merge_reports, an_incomplete_shard_makes_an_incomplete_merge) {
  auto shards = split(sample(), 2);
  shards[1].rows.pop_back();
  expect_merge_refused(shards, "1 of the 4 planned checks are missing, and no shard says it is incomplete: order 3 (shard 2/2)");
  shards[1].incomplete = true;
  shards[1].incomplete_reason = "time limit";
  const auto m = merge_reports(shards);
  EXPECT_TRUE(m.incomplete);
  EXPECT_EQ(m.incomplete_reason, "time limit");
  EXPECT_EQ(m.rows.size(), 3u);
  EXPECT_EQ(m.verdict(), verdict::fail);  // a failure stays a failure
  EXPECT_EQ(m.to_json()["incomplete"], true);
}

}  // namespace
