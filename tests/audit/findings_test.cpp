// Findings a user can trust: audits of small in-repo targets that are correct but unusual (gradients withheld and
// declared), or wrong in one known way, must give no false alarm and the right diagnosis (docs/audit.md "Findings").
// Each target wraps the built-in impl, which passes every property and fixture (tests/properties): whatever the
// audit reports beyond the wrapper's declared difference is the audit's own error. No expected value is hard-coded;
// the checks are on verdicts, messages and diagnoses.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "losscheck/audit.h"
#include "losscheck/impl.h"
#include "losscheck/loss_record.h"

namespace {

using namespace losscheck;

/// The impl, with the gradients of the inputs `withheld` (all when empty) moved to unsupported_grads — what a library
/// without target gradients (tiny-dnn, ONNX Runtime's training ops) reports. Correct in everything it answers.
class withholding_target final : public target {
 public:
  explicit withholding_target(std::vector<std::string> withheld) : withheld_(std::move(withheld)) {}
  std::string name() const override { return "impl-without-gradients"; }
  loss_result evaluate(const loss_case& c) override {
    loss_result r = impl_->evaluate(c);
    for (auto it = r.grads.begin(); it != r.grads.end();) {
      const bool withhold = withheld_.empty() || std::find(withheld_.begin(), withheld_.end(), it->first) != withheld_.end();
      if (!withhold) {
        ++it;
        continue;
      }
      r.unsupported_grads[it->first] = "not computed by this library";
      it = r.grads.erase(it);
    }
    return r;
  }

 private:
  std::vector<std::string> withheld_;
  std::unique_ptr<target> impl_ = impl::make_target();
};

/// mse_loss whose forward clamps the input at 0 first — ((max(x, 0) − t)², with torch's clamp_min gradient: the
/// slope passes where x ≥ 0) — a correct, self-consistent loss with a kink at x = 0. `gradient_factor` ≠ 1 makes its
/// gradient wrong (for the negative control). Counts the differentiated elements that sat exactly on the kink.
class clipped_target final : public target {
 public:
  explicit clipped_target(double gradient_factor = 1.0) : factor_(gradient_factor) {}
  std::string name() const override { return "clipped-mse"; }
  loss_result evaluate(const loss_case& c) override {
    if (c.loss != "mse_loss") return impl_->evaluate(c);
    loss_case d = c;
    const tensor& x = c.inputs.at("input");
    for (auto& v : d.inputs["input"].values) v = v >= 0 || std::isnan(v) ? v : 0.0;
    loss_result r = impl_->evaluate(d);
    if (auto it = r.grads.find("input"); it != r.grads.end() && it->second.values.size() == x.values.size())
      for (std::size_t i = 0; i < x.values.size(); ++i) {
        if (x.values[i] == 0) ++on_kink;
        it->second.values[i] = x.values[i] < 0 ? 0.0 : it->second.values[i] * factor_;
      }
    return r;
  }
  int on_kink = 0;

 private:
  double factor_;
  std::unique_ptr<target> impl_ = impl::make_target();
};

/// cross_entropy whose mean divides Σ w[y]·l by the number of non-ignored targets instead of by Σ w[y] (a real
/// mistake of a third-party library): output and gradients of `sum`, divided by that count.
class mean_over_count_target final : public target {
 public:
  std::string name() const override { return "ce-mean-over-count"; }
  loss_result evaluate(const loss_case& c) override {
    const auto red = c.options.find("reduction");
    const bool mean = c.loss == "cross_entropy" && c.input("weight") && !c.options.count("size_average") &&
                      !c.options.count("reduce") && (red == c.options.end() || std::get<std::string>(red->second) == "mean");
    const tensor* y = c.input("target");
    if (!mean || !y || y->is_floating()) return impl_->evaluate(c);
    loss_case d = c;
    d.options["reduction"] = std::string("sum");
    loss_result r = impl_->evaluate(d);
    if (!r.ok()) return r;
    long double count = 0;
    const auto ignore = c.options.count("ignore_index") ? std::get<std::int64_t>(c.options.at("ignore_index")) : -100;
    for (auto v : y->ints) count += v != ignore;
    auto divide = [&](tensor& t) {
      for (auto& v : t.values) {
        const long double q = static_cast<long double>(v) / count;
        v = c.type == dtype::float32 ? static_cast<double>(static_cast<float>(q)) : static_cast<double>(q);
      }
    };
    divide(*r.output);
    for (auto& [name, g] : r.grads) divide(g);
    return r;
  }

 private:
  std::unique_ptr<target> impl_ = impl::make_target();
};

/// mse_loss whose mean of an empty input is 0 instead of torch's NaN.
class empty_mean_is_zero_target final : public target {
 public:
  std::string name() const override { return "mse-empty-mean-0"; }
  loss_result evaluate(const loss_case& c) override {
    loss_result r = impl_->evaluate(c);
    if (c.loss == "mse_loss" && r.ok() && r.output->values.size() == 1 && r.output->shape.empty() &&
        c.inputs.at("input").numel() == 0 && std::isnan(r.output->values[0]))
      r.output->values[0] = 0.0;
    return r;
  }

 private:
  std::unique_ptr<target> impl_ = impl::make_target();
};

/// mse_loss times `factor` (output and gradients): a library's documented convention (factor 2), or a new bug.
class scaled_mse_target final : public target {
 public:
  explicit scaled_mse_target(double factor) : factor_(factor) {}
  std::string name() const override { return "mse-scaled"; }
  loss_result evaluate(const loss_case& c) override {
    loss_result r = impl_->evaluate(c);
    if (c.loss != "mse_loss" || !r.ok()) return r;
    for (auto& v : r.output->values) v *= factor_;
    for (auto& [name, g] : r.grads)
      for (auto& v : g.values) v *= factor_;
    return r;
  }

 private:
  double factor_;
  std::unique_ptr<target> impl_ = impl::make_target();
};


/// mse_loss times 2 (the accepted convention above) and, under reduction='sum', the gradient of target with the
/// wrong sign as well: a second bug met on fewer cases than the first, and only beside it.
class two_bugs_mse_target final : public target {
 public:
  std::string name() const override { return "mse-two-bugs"; }
  loss_result evaluate(const loss_case& c) override {
    loss_result r = times_two_.evaluate(c);
    const auto red = c.options.find("reduction");
    const bool sum = red != c.options.end() && std::holds_alternative<std::string>(red->second) &&
                     std::get<std::string>(red->second) == "sum" && !c.options.count("size_average") &&
                     !c.options.count("reduce");
    if (c.loss != "mse_loss" || !r.ok() || !sum) return r;
    if (auto it = r.grads.find("target"); it != r.grads.end())
      for (auto& v : it->second.values) v = -v;
    return r;
  }

 private:
  scaled_mse_target times_two_{2.0};
};

/// Four losses, each wrong in its own way, as a third-party library might be (docs/audit.md "Findings"): mse_loss
/// times 2 (a convention), cross_entropy's weighted mean over the count of targets, kl_div ignoring
/// `log_target=True`, l1_loss's input gradient halved. The rest is the impl.
class planted_bugs_target final : public target {
 public:
  std::string name() const override { return "planted-bugs"; }
  loss_result evaluate(const loss_case& c) override {
    if (c.loss == "mse_loss") return times_two_.evaluate(c);
    if (c.loss == "cross_entropy") return over_count_.evaluate(c);
    if (c.loss == "kl_div") {
      loss_case d = c;
      d.options["log_target"] = false;
      loss_result r = impl_->evaluate(d);
      r.id = c.id;
      return r;
    }
    loss_result r = impl_->evaluate(c);
    if (c.loss == "l1_loss" && r.ok())
      if (auto it = r.grads.find("input"); it != r.grads.end())
        for (auto& v : it->second.values) v /= 2;
    return r;
  }

 private:
  scaled_mse_target times_two_{2.0};
  mean_over_count_target over_count_;
  std::unique_ptr<target> impl_ = impl::make_target();
};

std::string findings_text(const audit_row& r) {
  std::string s;
  for (const auto& f : r.diagnosis) s += "[" + f.kind + "] " + f.text + " (" + f.detail + ")\n";
  return s;
}

audit_options every_property(int cases) {
  audit_options o;
  o.dtypes = {"float64"};
  o.cases = cases;
  o.fixtures_dir = LOSSCHECK_FIXTURES_DIR;
  return o;
}

std::string describe(const audit_row& r) {
  return r.loss + " " + r.check + " " + r.dtype + ": " + std::string(to_string(r.verdict)) + " — " + r.message;
}

// Declared missing gradients are skipped everywhere, through one mechanism: no property fails (no `map::at`), and a
// property that checks nothing but gradients is reported skipped, with the reason — never "pass".
TEST(findings, gradients_the_target_declares_missing_are_skipped_not_failed) {
  withholding_target t({});
  const audit_report r = audit(t, every_property(10));
  int skipped_gradient_only = 0;
  for (const auto& row : r.rows) {
    EXPECT_NE(row.verdict, check_verdict::fail) << describe(row) << "\n" << row.report;
    if (row.check == "gradients_match_finite_differences_of_the_forward" ||
        row.check == "backward_is_linear_in_grad_output") {
      EXPECT_EQ(row.verdict, check_verdict::skipped) << describe(row);
      EXPECT_NE(row.message.find("gradient"), std::string::npos) << describe(row);
      ++skipped_gradient_only;
    }
    if (row.kind == "fixtures") {
      EXPECT_EQ(row.verdict, check_verdict::pass) << describe(row);
    }
  }
  EXPECT_GT(skipped_gradient_only, 0);
  EXPECT_TRUE(r.passed()) << "a correct forward with every gradient declared missing must pass";
}

// Only the target's gradients withheld (as tiny-dnn): the input's gradients are still checked by the gradient
// properties, which therefore pass (not skipped) wherever the loss differentiates its input.
TEST(findings, a_partly_withheld_gradient_leaves_the_others_checked) {
  withholding_target t({"target"});
  auto o = every_property(10);
  o.losses = {"mse_loss", "cross_entropy", "kl_div", "nll_loss"};
  const audit_report r = audit(t, o);
  for (const auto& row : r.rows) {
    EXPECT_NE(row.verdict, check_verdict::fail) << describe(row) << "\n" << row.report;
    if (row.check == "gradients_match_finite_differences_of_the_forward") {
      EXPECT_EQ(row.verdict, check_verdict::pass) << describe(row);
    }
  }
  EXPECT_TRUE(r.passed());
}

// A kink of the forward inside the finite-difference step (a clamp at x = 0, met exactly) is no evidence against a
// gradient that is one of the one-sided slopes: torch's clamp_min passes the slope at x = 0 and the property must
// accept it, while a gradient off by a factor still fails, kink or not.
TEST(findings, finite_differences_accept_a_one_sided_gradient_at_a_kink) {
  audit_options o;
  o.losses = {"mse_loss"};
  o.properties = {"gradients_match_finite_differences_of_the_forward"};
  o.cases = 300;
  clipped_target clipped;
  const audit_report r = audit(clipped, o);
  for (const auto& row : r.rows) EXPECT_EQ(row.verdict, check_verdict::pass) << describe(row) << "\n" << row.report;
  EXPECT_GT(clipped.on_kink, 0) << "no generated case put an input exactly on the kink: the test shows nothing";

  clipped_target wrong(1.5);
  const audit_report w = audit(wrong, o);
  for (const auto& row : w.rows) EXPECT_EQ(row.verdict, check_verdict::fail) << describe(row);
}

// A mean that divides by the number of targets instead of Σ w[y] is diagnosed as that — never as "equals the sum
// reduction" alone, which a counterexample shrunk to all-zero weights (Σw = 0, torch's NaN) used to suggest. Weights
// now shrink toward 1 and a NaN reference matches no candidate; on a case with one target the two mistakes coincide,
// and the finding then says so (a larger original is preferred when it is not degenerate itself).
TEST(findings, a_wrong_divisor_is_diagnosed_on_a_case_that_is_not_degenerate) {
  mean_over_count_target t;
  audit_options o;
  o.losses = {"cross_entropy"};
  o.dtypes = {"float64"};
  o.properties = {"cross_entropy_agrees_with_the_reference"};
  o.cases = 200;
  const audit_report r = audit(t, o);
  ASSERT_EQ(r.rows.size(), 1u);
  const auto& row = r.rows[0];
  ASSERT_EQ(row.verdict, check_verdict::fail) << describe(row);
  const std::string found = findings_text(row);
  EXPECT_NE(found.find("divides by the number of targets, not by the sum of their weights"), std::string::npos)
      << found << row.report;
  if (found.find("`sum` reduction") != std::string::npos)
    EXPECT_NE(found.find("on this case it equally divides by the number of targets"), std::string::npos) << found;
  EXPECT_EQ(found.find("NaN"), std::string::npos) << found;
}

// Returning 0 for the mean of an empty input coincides with `sum` (0 too): that coincidence is no diagnosis. The
// finding says the answer is a number where torch's is NaN, as a bug to accept explicitly, never a convention.
TEST(findings, a_number_where_torch_gives_nan_is_never_called_a_convention) {
  empty_mean_is_zero_target t;
  audit_options o;
  o.losses = {"mse_loss"};
  o.dtypes = {"float64"};
  o.properties = {"mse_loss_agrees_with_the_reference", "fixtures"};
  o.fixtures_dir = LOSSCHECK_FIXTURES_DIR;
  o.cases = 300;
  const audit_report r = audit(t, o);
  bool seen = false;
  for (const auto& row : r.rows) {
    if (row.verdict != check_verdict::fail) continue;
    seen = true;
    const std::string found = findings_text(row);
    EXPECT_EQ(row.diagnosis_class, "bug") << found;
    EXPECT_NE(found.find("where torch's is NaN"), std::string::npos) << found;
    EXPECT_NE(found.find("empty"), std::string::npos) << found;
    EXPECT_EQ(found.find("`sum` reduction"), std::string::npos) << found;
  }
  EXPECT_TRUE(seen) << "the empty mean was never met: the test shows nothing";
}

// A library with one documented convention runs green with a baseline, and the next bug still fails: the baseline
// written from the convention's audit accepts exactly its findings.
TEST(findings, a_baseline_accepts_a_convention_and_still_catches_the_next_bug) {
  audit_options o;
  o.losses = {"mse_loss"};
  o.dtypes = {"float64"};
  o.properties = {"mse_loss_agrees_with_the_reference", "sum_reduction_is_sum_of_none"};
  o.cases = 30;
  scaled_mse_target times_two(2.0);
  audit_report first = audit(times_two, o);
  ASSERT_EQ(first.verdict(), verdict::fail);
  const auto groups = first.findings();
  ASSERT_EQ(groups.size(), 1u) << "one root cause: " << groups.size() << " findings";
  EXPECT_EQ(groups[0].kind, "convention");
  const baseline accepted = first.to_baseline();
  // the same library again: green
  audit_report again = audit(times_two, o);
  again.apply_baseline(accepted, "baseline.json");
  EXPECT_EQ(again.verdict(), verdict::pass) << again.count().failed << " failed";
  EXPECT_GT(again.count().accepted, 0);
  // a release that multiplies by 3 instead: not what was accepted
  scaled_mse_target times_three(3.0);
  audit_report next = audit(times_three, o);
  next.apply_baseline(accepted, "baseline.json");
  EXPECT_EQ(next.verdict(), verdict::fail);
  EXPECT_EQ(next.count().accepted, 0);
}

// Acceptance is per case, inside each property: the cases that show only the accepted convention pass, and a second
// bug of the same property, met on other cases (or on the same ones beside the convention), still fails -- a
// baseline accepting whole rows would have hidden it behind the first.
TEST(findings, an_accepted_finding_does_not_hide_a_second_bug_in_the_same_property) {
  audit_options o;
  o.losses = {"mse_loss"};
  o.dtypes = {"float64"};
  o.properties = {"mse_loss_agrees_with_the_reference", "mean_reduction_is_mean_of_none"};  // (the second passes)
  o.cases = 40;
  scaled_mse_target times_two(2.0);
  const baseline accepted = audit(times_two, o).to_baseline();
  ASSERT_FALSE(accepted.accepted.empty());
  o.baseline = accepted;
  o.baseline_file = "baseline.json";
  const audit_report green = audit(times_two, o);
  EXPECT_EQ(green.verdict(), verdict::pass) << findings_text(green.rows.at(0)) << green.rows.at(0).report;
  ASSERT_EQ(green.rows.size(), 2u);
  EXPECT_TRUE(green.rows[0].accepted) << describe(green.rows[0]);

  two_bugs_mse_target two;
  // a baseline applied to whole rows (the property stopped at its first failure, which shows only the accepted
  // convention) would call this library green
  audit_options whole_rows = o;
  whole_rows.baseline.reset();
  audit_report masked = audit(two, whole_rows);
  masked.apply_baseline(accepted, "baseline.json");
  EXPECT_EQ(masked.verdict(), verdict::pass) << "the first failure already shows the second bug: the test shows nothing\n"
                                             << findings_text(masked.rows.at(0)) << masked.rows.at(0).report;

  const audit_report r = audit(two, o);
  ASSERT_EQ(r.rows.size(), 2u);
  const auto& row = r.rows[0];
  EXPECT_EQ(r.verdict(), verdict::fail) << "the second bug was hidden behind the accepted one\n" << row.report;
  EXPECT_FALSE(row.accepted);
  EXPECT_NE(findings_text(row).find("gradient of target"), std::string::npos) << findings_text(row) << row.report;
  EXPECT_NE(row.report.find("cases failed only in ways the baseline accepts"), std::string::npos) << row.report;
}

// A library with four different mistakes: the findings summary says four things, one per root cause, each naming
// its mistake, and it comes first and fits on a screen -- not one entry per failing property.
TEST(findings, planted_bugs_give_one_finding_per_root_cause_on_the_first_screen) {
  planted_bugs_target t;
  audit_options o = every_property(30);
  o.losses = {"mse_loss", "cross_entropy", "kl_div", "l1_loss"};
  const audit_report r = audit(t, o);
  const auto groups = r.findings();
  std::string listed;
  for (const auto& g : groups) {
    listed += g.loss + ": " + g.text + " (" + std::to_string(g.rows.size()) + " rows)\n";
    for (auto i : g.rows) listed += "    " + r.rows[i].check + " " + r.rows[i].dtype + ": " + findings_text(r.rows[i]);
  }
  ASSERT_EQ(groups.size(), 4u) << listed;
  const std::vector<std::pair<std::string, std::string>> planted = {
      {"mse_loss", "2 × the reference's"},
      {"cross_entropy", "divides by the number of targets"},
      {"kl_div", "treats the target as probabilities although `log_target=True`"},
      {"l1_loss", "1/2 ×"}};
  for (const auto& [loss, words] : planted) {
    const auto g = std::find_if(groups.begin(), groups.end(), [&](const finding_group& x) { return x.loss == loss; });
    ASSERT_NE(g, groups.end()) << loss << " has no finding:\n" << listed;
    EXPECT_NE(g->text.find(words), std::string::npos) << loss << ": " << g->text << "\n" << listed;
  }
  std::ostringstream out;
  r.print(out, false);
  const std::string screen = out.str();
  // the first screen (40 lines): the header and the four findings, before the table of rows
  std::istringstream lines(screen);
  std::string line;
  int n = 0, findings_seen = 0;
  while (std::getline(lines, line) && n < 40) {
    ++n;
    for (const auto& [loss, words] : planted)
      if (line.find(loss) != std::string::npos && line.find(words) != std::string::npos) ++findings_seen;
  }
  EXPECT_EQ(findings_seen, 4) << "the four findings are not all on the first 40 lines:\n" << screen;
}

// A target that deliberately does not support a class of inputs says so with --exclude-class: the empty-mean target
// above fails only on empty inputs, so excluding them leaves nothing to fail; the excluded cases are counted as
// unsupported with the reason, never hidden. An unknown class name is a usage error with a suggestion.
TEST(findings, an_excluded_edge_class_is_not_asked_and_is_counted) {
  empty_mean_is_zero_target t;
  audit_options o;
  o.losses = {"mse_loss"};
  o.dtypes = {"float64"};
  o.properties = {"mse_loss_agrees_with_the_reference", "fixtures"};
  o.fixtures_dir = LOSSCHECK_FIXTURES_DIR;
  o.cases = 300;
  o.exclude_classes = {"empty"};
  const audit_report r = audit(t, o);
  EXPECT_EQ(r.verdict(), verdict::pass);
  long long excluded = 0;
  for (const auto& row : r.rows) {
    EXPECT_NE(row.verdict, check_verdict::fail) << describe(row);
    excluded += row.unsupported;
    if (row.unsupported > 0)
      EXPECT_NE(std::find(row.unsupported_reasons.begin(), row.unsupported_reasons.end(),
                          "excluded by --exclude-class empty"),
                row.unsupported_reasons.end());
  }
  EXPECT_GT(excluded, 0) << "no empty case was met: the test shows nothing";
  EXPECT_EQ(r.to_json()["exclude_classes"], nlohmann::json::array({"empty"}));
  o.exclude_classes = {"emtpy"};
  try {
    audit(t, o);
    ADD_FAILURE() << "an unknown class was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'empty'"), std::string::npos) << e.what();
  }
}

}  // namespace
