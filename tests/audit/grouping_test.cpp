// Findings grouped by root cause, and the baseline of accepted findings (report.h, docs/audit.md "Findings" and
// "Baseline"), on hand-made reports: rows that name the same mistake with other components or other numbers are one
// finding; different mistakes, losses or unexplained components are not; a baseline accepts exactly what it names.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "losscheck/audit/report.h"

namespace {

using namespace losscheck;

audit_row failing(std::size_t order, const std::string& loss, const std::string& check, const std::string& dtype,
                  const std::string& finding, const std::string& kind, const std::string& case_json) {
  audit_row r;
  r.order = order, r.loss = loss, r.check = check, r.kind = "property", r.dtype = dtype;
  r.verdict = check_verdict::fail;
  r.cases = 3;
  r.message = "impl disagrees with reference: output: got 2, expected 1";
  r.report = r.message + "\n  expected (reference): {\"output\":1}\n  impl gave: {\"output\":2}\n  replay: echo '" +
             case_json + "' | losscheck run --target impl\n";
  r.counterexample = nlohmann::json::parse(case_json);
  r.diagnosis = {{finding, kind, ""}};
  r.diagnosis_class = kind;
  return r;
}

audit_row passing(std::size_t order, const std::string& loss, const std::string& check) {
  audit_row r;
  r.order = order, r.loss = loss, r.check = check, r.kind = "property", r.dtype = "float64";
  r.cases = 10;
  return r;
}

/// mse_loss times 2 seen by three checks (two of them in both dtypes, naming other components), a wrong divisor with
/// two batch sizes, an unexplained output and an unexplained gradient, and the same times 2 in another loss.
audit_report report() {
  audit_report a;
  a.settings.target = "impl";
  a.settings.seed = 1;
  a.settings.losses = {"mse_loss", "l1_loss"};
  a.settings.dtypes = {"float32", "float64"};
  a.rows = {
      failing(0, "mse_loss", "agrees", "float32", "output, gradient of input: 2 × the reference's", "convention",
              R"({"loss":"mse_loss","inputs":{"input":[1,2,3,4]}})"),
      failing(1, "mse_loss", "agrees", "float64", "output, gradient of input: 2 × the reference's", "convention",
              R"({"loss":"mse_loss","inputs":{"input":[1]}})"),
      failing(2, "mse_loss", "sum_is_sum_of_none", "float64", "output: 2 × the reference's", "convention",
              R"({"loss":"mse_loss","inputs":{"input":[1,2]}})"),
      failing(3, "mse_loss", "mean", "float64", "output: divides by the batch size (3), not by the number of elements (12)",
              "bug", R"({"loss":"mse_loss"})"),
      failing(4, "mse_loss", "mean_k", "float64", "output: divides by the batch size (4), not by the number of elements (16)",
              "bug", R"({"loss":"mse_loss"})"),
      failing(5, "mse_loss", "extremes", "float64", "output: differs from the reference's and matches none of the known mistakes",
              "unexplained", R"({"loss":"mse_loss"})"),
      failing(6, "mse_loss", "extremes", "float32",
              "gradient of input: differs from the reference's and matches none of the known mistakes", "unexplained",
              R"({"loss":"mse_loss"})"),
      failing(7, "l1_loss", "agrees", "float64", "output: 2 × the reference's", "convention", R"({"loss":"l1_loss"})"),
      passing(8, "l1_loss", "fixtures"),
  };
  return a;
}

std::string printed(const audit_report& a, bool verbose = false) {
  std::ostringstream out;
  a.print(out, verbose);
  return out.str();
}

std::size_t occurrences(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto p = text.find(part); p != std::string::npos; p = text.find(part, p + 1)) ++n;
  return n;
}

TEST(grouping, one_finding_per_root_cause) {
  const auto groups = report().findings();
  ASSERT_EQ(groups.size(), 5u);
  // times 2 of mse_loss: three checks, four rows, whatever components each names
  EXPECT_EQ(groups[0].loss, "mse_loss");
  EXPECT_EQ(groups[0].key, "2 × the reference's");
  EXPECT_EQ(groups[0].rows, (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(groups[0].kind, "convention");
  // the smallest counterexample stands for it
  EXPECT_EQ(groups[0].example, 1u);
  EXPECT_EQ(groups[0].text, "output, gradient of input: 2 × the reference's");
  // the divisor, whatever the batch: one finding
  EXPECT_EQ(groups[1].rows, (std::vector<std::size_t>{3, 4}));
  EXPECT_EQ(groups[1].key, "divides by the batch size (#), not by the number of elements (#)");
  // unexplained: an output and a gradient are two stories
  EXPECT_EQ(groups[2].rows, (std::vector<std::size_t>{5}));
  EXPECT_EQ(groups[3].rows, (std::vector<std::size_t>{6}));
  // another loss, another finding
  EXPECT_EQ(groups[4].loss, "l1_loss");
  EXPECT_EQ(groups[4].rows, (std::vector<std::size_t>{7}));
}

// Rows whose diagnoses name a mistake in common are one finding, headed by the most serious diagnosis: a gradient that
// is 1/2 × the reference's, in one property also inconsistent with its own forward (a bug), in another (NaN inputs,
// no finite differences) only the convention.
TEST(grouping, rows_sharing_a_named_mistake_are_one_finding) {
  audit_report a = report();
  a.rows.resize(2);
  a.rows[0].diagnosis = {{"gradient of input: 1/2 × the reference's", "convention", ""},
                         {"gradient of input is 1/2 × the finite-difference gradient of its own forward", "bug", "…"}};
  a.rows[0].diagnosis_class = "bug";
  a.rows[1].diagnosis = {{"gradient of input: 1/2 × the reference's", "convention", ""}};
  a.rows[1].diagnosis_class = "convention";
  const auto groups = a.findings();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].rows, (std::vector<std::size_t>{0, 1}));
  EXPECT_EQ(groups[0].kind, "bug");
  EXPECT_EQ(groups[0].text, "gradient of input is 1/2 × the finite-difference gradient of its own forward");
}

TEST(grouping, the_terminal_leads_with_one_entry_per_finding) {
  const std::string t = printed(report());
  EXPECT_EQ(t.find("\nfindings: 5 root causes in 8 failing checks"), 0u) << t;
  EXPECT_EQ(occurrences(t, "FAIL mse_loss (convention): "), 1u) << t;
  EXPECT_NE(t.find("3 checks: agrees [float32, float64]; sum_is_sum_of_none [float64]"), std::string::npos) << t;
  EXPECT_NE(t.find("smallest counterexample, agrees [float64]: "), std::string::npos) << t;
  EXPECT_NE(t.find(R"(case: {"inputs":{"input":[1]},"loss":"mse_loss"})"), std::string::npos) << t;
  EXPECT_NE(t.find("replay: echo '"), std::string::npos) << t;
  // the whole reports only with --verbose; the passing property rows only with --verbose
  EXPECT_EQ(t.find("expected (reference)"), std::string::npos) << t;
  EXPECT_NE(t.find("(each failing check's whole report: --verbose)"), std::string::npos) << t;
  const std::string v = printed(report(), true);
  EXPECT_EQ(occurrences(v, "expected (reference)"), 8u) << v;
  EXPECT_NE(v.find("5 findings above, one per root cause\n\nverdict: FAIL\n"), std::string::npos) << v;
}

TEST(grouping, the_json_report_carries_the_findings) {
  const auto j = report().to_json();
  ASSERT_TRUE(j["findings"].is_array());
  ASSERT_EQ(j["findings"].size(), 5u);
  const auto& f = j["findings"][0];
  EXPECT_EQ(f["loss"], "mse_loss");
  EXPECT_EQ(f["class"], "convention");
  EXPECT_EQ(f["checks"].size(), 3u);
  EXPECT_EQ(f["example"]["dtype"], "float64");
  EXPECT_EQ(f["accepted"], false);
  // read back: the same findings
  const auto back = audit_report::from_json(j, "report.json");
  EXPECT_EQ(back.findings().size(), 5u);
}

TEST(grouping, the_html_report_leads_with_the_findings) {
  const std::string h = report().html();
  const auto findings = h.find("<h2 id=\"findings\">Findings (5 root causes, 8 failing checks)</h2>");
  ASSERT_NE(findings, std::string::npos);
  EXPECT_LT(findings, h.find("<h2>Losses</h2>"));
  EXPECT_NE(h.find("<div class=\"side\">"), std::string::npos) << "expected and got side by side";
}

TEST(baseline, accepted_findings_pass_and_a_new_one_fails) {
  audit_report a = report();
  ASSERT_EQ(a.verdict(), verdict::fail);
  // everything accepted: pass, said apart
  const baseline all = baseline::from_json(a.to_baseline().to_json(), "baseline.json");
  EXPECT_EQ(all.accepted.size(), 7u);  // one per loss × check × finding (the dtypes share an entry)
  a.apply_baseline(all, "baseline.json");
  EXPECT_EQ(a.verdict(), verdict::pass);
  EXPECT_EQ(a.exit_code(), 0);
  EXPECT_EQ(a.count().failed, 0);
  EXPECT_EQ(a.count().accepted, 8);
  const std::string t = printed(a);
  EXPECT_NE(t.find("8 accepted failures (baseline baseline.json)"), std::string::npos) << t;
  EXPECT_NE(t.find("only accepted findings remain: 5 (baseline baseline.json)\n\nverdict: pass\n"), std::string::npos) << t;
  EXPECT_EQ(a.to_json()["summary"]["accepted"], 8);
  EXPECT_EQ(a.to_json()["baseline"], "baseline.json");
  EXPECT_EQ(a.junit().find("<failure"), std::string::npos);
  // the next bug: a new mistake in an accepted check is not accepted
  audit_report b = report();
  b.rows[2].diagnosis = {{"output: 3 × the reference's", "convention", ""}};
  b.apply_baseline(all, "baseline.json");
  EXPECT_EQ(b.verdict(), verdict::fail);
  EXPECT_EQ(b.count().failed, 1);
  EXPECT_FALSE(b.rows[2].accepted);
  // a baseline for another loss or check accepts nothing here
  baseline other;
  other.accepted.push_back({"l1_loss", "agrees", "divides by the batch size (#), not by the number of elements (#)", ""});
  audit_report c = report();
  c.apply_baseline(other, "other.json");
  EXPECT_EQ(c.count().accepted, 0);
}

TEST(baseline, a_malformed_baseline_is_refused_with_its_field) {
  const auto refused = [](const nlohmann::json& j) {
    try {
      baseline::from_json(j, "b.json");
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(refused(nlohmann::json::array()).find("b.json: not a losscheck baseline: not a JSON object"), std::string::npos);
  EXPECT_NE(refused({{"format", "losscheck-audit"}}).find("\"format\""), std::string::npos);
  EXPECT_NE(refused({{"format", "losscheck-baseline"}, {"version", 2}}).find("\"version\""), std::string::npos);
  EXPECT_NE(refused({{"format", "losscheck-baseline"}, {"version", 1}, {"accepted", {{{"loss", "mse_loss"}}}}})
                .find("accepted[0].check"),
            std::string::npos);
}

// The error-versus-magnitude points of a row: thinned to at most max_error_points with the largest error kept, read
// back from JSON (inf included), and drawn in the HTML report.
TEST(error_points, thinned_kept_and_drawn) {
  std::vector<double> magnitudes, ulps;
  for (int i = 0; i < 5000; ++i) magnitudes.push_back(std::ldexp(1.0, i % 60 - 30)), ulps.push_back(0.25 * (i % 7));
  ulps[4321] = 37.5;  // the worst
  const auto pts = error_points_of(magnitudes, ulps);
  EXPECT_LE(pts.size(), audit_row::max_error_points);
  EXPECT_GT(pts.size(), audit_row::max_error_points / 2);
  EXPECT_TRUE(std::any_of(pts.begin(), pts.end(), [](const auto& p) { return p[1] == 37.5; })) << "the worst was dropped";
  EXPECT_EQ(error_points_of({}, {}).size(), 0u);
  audit_report a = report();
  a.rows[8].error_points = {{1e-3, 0.5}, {2.0, std::numeric_limits<double>::infinity()}};
  const auto back = audit_report::from_json(a.to_json(), "r.json");
  ASSERT_EQ(back.rows[8].error_points.size(), 2u);
  EXPECT_EQ(back.rows[8].error_points[0][0], 1e-3);
  EXPECT_TRUE(std::isinf(back.rows[8].error_points[1][1]));
  const std::string h = a.html();
  EXPECT_NE(h.find("error in ULPs versus magnitude, 2 comparisons (1 above 1e4 ULPs or not finite)"), std::string::npos);
}

}  // namespace
