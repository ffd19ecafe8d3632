#pragma once
/// @file gtest.h
/// losscheck in a GoogleTest suite: audit a loss implementation in-process and fail the test with the findings
/// summary (docs/install.md "GoogleTest").
///
///     struct my_losses : losscheck::target { ... evaluate(const loss_case&) ... };
///     TEST(MyLosses, AgreeWithTorch) {
///       my_losses t;
///       losscheck::audit_options o;
///       o.losses = {"mse_loss"};
///       EXPECT_LOSS_AUDIT_PASSES(t, o);
///     }
///     TEST(MyLosses, MseMatchesTheReference) {  // one property at a time, RapidCheck style
///       my_losses t;
///       EXPECT_TRUE(losscheck::testing::property_holds(t, "mse_loss", "mse_loss_agrees_with_the_reference"));
///     }
///
/// Header only; the test links losscheck::audit and GTest::gtest.

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "losscheck/audit.h"

namespace losscheck::testing {

/// Runs the audit of `subject` under `options`: success when it passes (the summary line as its message), else a
/// failure holding the terminal report — findings first, one per root cause, with their replay commands.
inline ::testing::AssertionResult audit_passes(const char* subject_text, const char* /*options_text*/, target& subject,
                                               const audit_options& options) {
  const audit_report report = audit(subject, options);
  const auto c = report.count();
  if (report.passed())
    return ::testing::AssertionSuccess() << "the audit of " << subject_text << " passed: " << c.passed << " checks, "
                                         << c.cases << " cases";
  std::ostringstream out;
  report.print(out, false);
  return ::testing::AssertionFailure() << "the audit of " << subject_text << " (target " << subject.name()
                                       << ") did not pass:\n"
                                       << out.str();
}

/// One property of one loss against `subject` (no fixtures): success when it holds for `cases` cases from `seed`,
/// else a failure with the property's finding, shrunk counterexample and replay command. Property names:
/// `losscheck list --properties --loss LOSS`.
inline ::testing::AssertionResult property_holds(target& subject, const std::string& loss, const std::string& property,
                                                 int cases = 100, std::uint64_t seed = default_audit_seed) {
  audit_options o;
  o.losses = {loss};
  o.properties = {property};
  o.cases = cases;
  o.seed = seed;
  return audit_passes(property.c_str(), "", subject, o);
}

}  // namespace losscheck::testing

/// EXPECT_LOSS_AUDIT_PASSES(target, options) / ASSERT_LOSS_AUDIT_PASSES: the audit of `target` (a losscheck::target)
/// under `options` (a losscheck::audit_options) passes; on failure the test prints the findings summary.
#define EXPECT_LOSS_AUDIT_PASSES(target, options) EXPECT_PRED_FORMAT2(::losscheck::testing::audit_passes, target, options)
#define ASSERT_LOSS_AUDIT_PASSES(target, options) ASSERT_PRED_FORMAT2(::losscheck::testing::audit_passes, target, options)
