// tinyloss audited in-process: a losscheck::target over it, and the GoogleTest helper of <losscheck/gtest.h>.
#include "losscheck/gtest.h"

#include "losscheck/error.h"
#include "losscheck/problem.h"
#include "tinyloss_losscheck.h"

namespace {

class tinyloss_target final : public losscheck::target {
 public:
  explicit tinyloss_target(bool planted_bug = false) : planted_bug_(planted_bug) {}
  std::string name() const override { return planted_bug_ ? "tinyloss-with-a-planted-bug" : "tinyloss"; }
  losscheck::loss_result evaluate(const losscheck::loss_case& c) override {
    try {
      return tinyloss::answer(c, losscheck::resolve_problem(c), planted_bug_);  // resolve: torch's shape rules
    } catch (const losscheck::loss_error& e) {
      return losscheck::loss_result::failure(c.id, e.what());
    }
  }

 private:
  bool planted_bug_;
};

losscheck::audit_options mse_only() {
  losscheck::audit_options o;
  o.losses = {"mse_loss"};
  o.cases = 30;
  o.fixtures_dir = LOSSCHECK_FIXTURES_DIR;  // the installed LibTorch fixtures (losscheck_FIXTURES_DIR)
  return o;
}

TEST(TinyLoss, MseLossPassesTheAudit) {
  tinyloss_target t;
  EXPECT_LOSS_AUDIT_PASSES(t, mse_only());
}

TEST(TinyLoss, MseLossAgreesWithTheReference) {
  tinyloss_target t;
  EXPECT_TRUE(losscheck::testing::property_holds(t, "mse_loss", "mse_loss_agrees_with_the_reference"));
}

// Fails, on purpose: the test registered as tinyloss_planted_bug_is_found passes when this failure names the bug.
TEST(TinyLoss, PlantedBug) {
  tinyloss_target t(true);
  auto o = mse_only();
  o.dtypes = {"float64"};
  EXPECT_LOSS_AUDIT_PASSES(t, o);
}

}  // namespace
