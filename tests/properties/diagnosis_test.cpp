// The diagnosis (properties/diagnosis.h) names the mistake of each mutant whose mistake it knows, from a computation
// with the reference, on a case where the mistake matters; and says nothing against a correct target.

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "diagnosis.h"
#include "losscheck/impl.h"
#include "losscheck/json.h"
#include "losscheck/reference.h"
#include "mutants.h"

namespace losscheck::properties {
namespace {

struct expectation {
  const char* mutant;
  const char* case_json;
  const char* finding;  // a substring of one finding's text
  const char* kind;     // that finding's kind
};

// Cases in float64 with a few elements each, chosen so that the mistake changes the answer.
const expectation expectations[] = {
    {"mse_loss_mean_divides_by_batch_size",
     R"({"loss":"mse_loss","dtype":"float64","inputs":{"input":{"shape":[2,3],"data":[1,2,3,4,5,6]},"target":{"shape":[2,3],"data":[0,0,1,1,2,2]}}})",
     ": divides by the batch size (2), not by the number of elements (6)", "convention"},
    {"mse_loss_gradient_without_factor_2",
     R"({"loss":"mse_loss","dtype":"float64","inputs":{"input":{"shape":[3],"data":[1,2,3]},"target":{"shape":[3],"data":[0.5,0,1]}}})",
     "gradient of input is 1/2 × the finite-difference gradient of its own forward", "bug"},
    {"mse_loss_target_gradient_wrong_sign",
     R"({"loss":"mse_loss","dtype":"float64","inputs":{"input":{"shape":[3],"data":[1,2,3]},"target":{"shape":[3],"data":[0.5,0,1]}}})",
     "gradient of target is -1 × the finite-difference gradient of its own forward", "bug"},
    {"binary_cross_entropy_ignores_weight",
     R"({"loss":"binary_cross_entropy","dtype":"float64","inputs":{"input":{"shape":[3],"data":[0.25,0.5,0.75]},"target":{"shape":[3],"data":[1,0,1]},"weight":{"shape":[3],"data":[1,2,3]}}})",
     ": ignores `weight`", "bug"},
    {"binary_cross_entropy_with_logits_ignores_pos_weight",
     R"({"loss":"binary_cross_entropy_with_logits","dtype":"float64","inputs":{"input":{"shape":[2,2],"data":[0.5,-1,2,0]},"target":{"shape":[2,2],"data":[1,0,1,1]},"pos_weight":{"shape":[2],"data":[3,0.5]}}})",
     ": ignores `pos_weight`", "bug"},
    {"cross_entropy_without_max_shift",
     R"({"loss":"cross_entropy","dtype":"float32","inputs":{"input":{"shape":[2,3],"data":[100,0,-1,1,2,3]},"target":{"shape":[2],"dtype":"int64","data":[0,2]}}})",
     "where the reference's value is finite", "bug"},
    {"cross_entropy_smoothing_with_eps_not_eps_over_c",
     R"({"loss":"cross_entropy","dtype":"float64","options":{"label_smoothing":0.25},"inputs":{"input":{"shape":[2,4],"data":[1,2,3,4,0,-1,2,0.5]},"target":{"shape":[2],"dtype":"int64","data":[3,1]}}})",
     "label smoothing uses ε instead of ε/C", "bug"},
    {"cross_entropy_mean_counts_ignored_rows",
     R"({"loss":"cross_entropy","dtype":"float64","inputs":{"input":{"shape":[3,2],"data":[1,2,3,4,0,-1]},"target":{"shape":[3],"dtype":"int64","data":[1,-100,0]}}})",
     "counts the ignored targets in the mean (divides by 3, not 2)", "convention"},
    {"cross_entropy_mean_ignores_weights",
     R"({"loss":"cross_entropy","dtype":"float64","inputs":{"input":{"shape":[3,2],"data":[1,2,3,4,0,-1]},"target":{"shape":[3],"dtype":"int64","data":[1,1,0]},"weight":{"shape":[2],"data":[0.5,3]}}})",
     "divides by the number of targets, not by the sum of their weights", "convention"},
    {"cross_entropy_probability_mean_divides_by_numel",
     R"({"loss":"cross_entropy","dtype":"float64","inputs":{"input":{"shape":[2,3],"data":[1,2,3,4,0,-1]},"target":{"shape":[2,3],"data":[0.5,0.25,0.25,0,1,0]}}})",
     "divides by the number of input elements (6), not by N = 2", "convention"},
    {"nll_loss_ignores_weight",
     R"({"loss":"nll_loss","dtype":"float64","options":{"reduction":"sum"},"inputs":{"input":{"shape":[2,3],"data":[-1,-2,-3,-0.5,-1,-2]},"target":{"shape":[2],"dtype":"int64","data":[0,2]},"weight":{"shape":[3],"data":[1,2,3]}}})",
     ": ignores `weight`", "bug"},
    {"nll_loss_gradient_wrong_sign",
     R"({"loss":"nll_loss","dtype":"float64","inputs":{"input":{"shape":[2,3],"data":[-1,-2,-3,-0.5,-1,-2]},"target":{"shape":[2],"dtype":"int64","data":[0,2]}}})",
     "gradient of input is -1 × the finite-difference gradient of its own forward", "bug"},
    {"kl_div_mean_is_batchmean",
     R"({"loss":"kl_div","dtype":"float64","options":{"reduction":"mean"},"inputs":{"input":{"shape":[2,2],"data":[-1,-0.5,-2,-0.25]},"target":{"shape":[2,2],"data":[0.25,0.75,0.5,0.5]}}})",
     ": equals `batchmean` (`mean` was asked)", "convention"},
    {"kl_div_batchmean_is_mean",
     R"({"loss":"kl_div","dtype":"float64","options":{"reduction":"batchmean"},"inputs":{"input":{"shape":[2,2],"data":[-1,-0.5,-2,-0.25]},"target":{"shape":[2,2],"data":[0.25,0.75,0.5,0.5]}}})",
     ": equals `mean` (`batchmean` was asked)", "convention"},
    {"kl_div_ignores_log_target",
     R"({"loss":"kl_div","dtype":"float64","options":{"reduction":"sum","log_target":true},"inputs":{"input":{"shape":[2,2],"data":[-1,-0.5,-2,-0.25]},"target":{"shape":[2,2],"data":[-1.5,-0.25,-0.75,-0.5]}}})",
     ": treats the target as probabilities although `log_target=True`", "bug"},
    {"cosine_embedding_loss_ignores_margin",
     R"({"loss":"cosine_embedding_loss","dtype":"float64","options":{"margin":0.25,"reduction":"sum"},"inputs":{"input1":{"shape":[2,3],"data":[1,2,3,-1,0.5,2]},"input2":{"shape":[2,3],"data":[1,0,1,1,1,1]},"target":{"shape":[2],"dtype":"int64","data":[-1,-1]}}})",
     ": ignores `margin`", "bug"},
    {"cosine_embedding_loss_gradient_half",
     R"({"loss":"cosine_embedding_loss","dtype":"float64","inputs":{"input1":{"shape":[2,3],"data":[1,2,3,-1,0.5,2]},"input2":{"shape":[2,3],"data":[1,0,1,1,1,1]},"target":{"shape":[2],"dtype":"int64","data":[1,1]}}})",
     "gradient of input2 is 1/2 × the finite-difference gradient of its own forward", "bug"},
    {"smooth_l1_loss_computed_as_huber_loss",
     R"({"loss":"smooth_l1_loss","dtype":"float64","options":{"reduction":"none","beta":2},"inputs":{"input":{"shape":[4],"data":[0.5,3,-1,4]},"target":{"shape":[4],"data":[0,0,0.5,-1]}}})",
     ": computes huber_loss(delta = beta)", "convention"},
    {"huber_loss_computed_as_smooth_l1_loss",
     R"({"loss":"huber_loss","dtype":"float64","options":{"reduction":"sum","delta":0.5},"inputs":{"input":{"shape":[4],"data":[0.25,3,-1,4]},"target":{"shape":[4],"data":[0,0,0.5,-1]}}})",
     ": computes smooth_l1_loss(beta = delta)", "convention"},
    {"multi_margin_loss_not_divided_by_c",
     R"({"loss":"multi_margin_loss","dtype":"float64","options":{"reduction":"none"},"inputs":{"input":{"shape":[2,3],"data":[1,2,0.5,-1,0.25,0]},"target":{"shape":[2],"dtype":"int64","data":[0,2]}}})",
     ": does not divide by C = 3 (the number of classes)", "convention"},
    {"multi_margin_loss_p2_gradient_without_factor_2",
     R"({"loss":"multi_margin_loss","dtype":"float64","options":{"reduction":"sum","p":2},"inputs":{"input":{"shape":[2,3],"data":[1,2,0.5,-1,0.25,0]},"target":{"shape":[2],"dtype":"int64","data":[0,2]}}})",
     "gradient of input is 1/2 × the finite-difference gradient of its own forward", "bug"},
};

std::string describe(const std::vector<finding>& fs) {
  std::string s;
  for (const auto& f : fs) s += "  [" + f.kind + "] " + f.text + (f.detail.empty() ? "" : " -- " + f.detail) + "\n";
  return s.empty() ? "  (no finding)\n" : s;
}

TEST(Diagnosis, NamesTheMistakeOfEachKnownMutant) {
  auto reference = reference::make_target(256);
  auto catalog = mutant_catalog();
  for (const auto& e : expectations) {
    SCOPED_TRACE(e.mutant);
    auto it = std::find_if(catalog.begin(), catalog.end(), [&](const mutant& m) { return m.name == e.mutant; });
    ASSERT_NE(it, catalog.end()) << "no mutant " << e.mutant;
    const loss_case c = case_from_json(parse_json(e.case_json));
    const auto findings = diagnose(c, *it->make, *reference);
    const bool found = std::any_of(findings.begin(), findings.end(), [&](const finding& f) {
      return f.text.find(e.finding) != std::string::npos && f.kind == e.kind;
    });
    EXPECT_TRUE(found) << "expected a [" << e.kind << "] finding containing \"" << e.finding << "\"; got:\n"
                       << describe(findings) << "case: " << e.case_json << "\n";
  }
}

TEST(Diagnosis, FindsNothingAgainstTheImpl) {
  auto reference = reference::make_target(256);
  auto impl = impl::make_target();
  for (const auto& e : expectations) {
    const loss_case c = case_from_json(parse_json(e.case_json));
    const auto findings = diagnose(c, *impl, *reference);
    EXPECT_TRUE(findings.empty()) << e.case_json << "\n" << describe(findings);
  }
}

/// Another target's answer with the gradient `name` scaled by `factor`: a stand-in for a reference that disagrees a
/// little with a correct subject, so that the diagnosis examines the subject's gradients against its own forward.
class nudged_target final : public target {
 public:
  nudged_target(target& inner, std::string name, double factor) : inner_(inner), name_(std::move(name)), factor_(factor) {}
  std::string name() const override { return "nudged"; }
  loss_result evaluate(const loss_case& c) override {
    loss_result r = inner_.evaluate(c);
    if (auto it = r.grads.find(name_); it != r.grads.end())
      for (auto& v : it->second.values) v *= factor_;
    return r;
  }

 private:
  target& inner_;
  std::string name_;
  double factor_;
};

// The subject's own forward changes regime within the first finite-difference step: positive's values (1.4e-14) are
// far below cosine distance's norm clamp (eps = 1e-8), and a step of 2^-12 leaves the clamped region. A central
// difference at that step measured another function and called the correct gradient (4e8) "10463 × the
// finite-difference gradient of its own forward" (libtorch, seed 108). The step now shrinks until two central
// differences agree, which happens inside the clamp, where the impl's gradient is the slope.
TEST(Diagnosis, AGradientBesideARegimeChangeAgreesWithItsOwnForward) {
  const loss_case c = case_from_json(parse_json(
      R"({"loss":"triplet_margin_with_distance_loss","dtype":"float32","options":{"distance_function":"cosine","margin":2,"reduction":"none"},"inputs":{"anchor":{"data":[33.869953,0.0,2.2e-44],"dtype":"float32","shape":[1,3]},"negative":{"data":[-4,-4,0.015625],"dtype":"float32","shape":[1,3]},"positive":{"data":[1.4210855e-14,1.4210855e-14,0.0],"dtype":"float32","shape":[1,3]}},"grad_output":{"data":[-4],"dtype":"float32","shape":[1]}})"));
  auto impl = impl::make_target();
  auto reference = reference::make_target(256);
  nudged_target off(*reference, "positive", 1.01);
  const auto findings = diagnose(c, *impl, off);
  ASSERT_FALSE(findings.empty()) << "the nudged reference must disagree, or the test shows nothing";
  std::string all;
  for (const auto& f : findings) all += f.text + " -- " + f.detail + "\n";
  EXPECT_EQ(all.find("finite-difference gradient of its own forward"), std::string::npos) << all;
  EXPECT_EQ(all.find("disagrees with the finite difference"), std::string::npos) << all;
  EXPECT_NE(all.find("the gradients of positive are consistent with its own forward"), std::string::npos) << all;
}

// A batch doubled: every batch-aligned input (and a `none` grad_output) twice over, the rest as it was; an unbatched
// case as its batch of one, doubled; an empty batch stays as it is (nothing to double).
TEST(Diagnosis, DoublesTheBatchOfEveryBatchAlignedInput) {
  const loss_case c = case_from_json(parse_json(
      R"({"loss":"cross_entropy","dtype":"float64","inputs":{"input":{"shape":[1,3],"data":[1,2,3]},"target":{"shape":[1],"dtype":"int64","data":[2]},"weight":{"shape":[3],"data":[0.5,1,2]}}})"));
  const auto d = with_batch_doubled(c);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->inputs.at("input").shape, (shape_t{2, 3}));
  EXPECT_EQ(d->inputs.at("input").values, (std::vector<double>{1, 2, 3, 1, 2, 3}));
  EXPECT_EQ(d->inputs.at("target").ints, (std::vector<std::int64_t>{2, 2}));
  EXPECT_EQ(d->inputs.at("weight").shape, (shape_t{3}));  // per class, not per sample
  const loss_case unbatched = case_from_json(parse_json(
      R"({"loss":"cross_entropy","dtype":"float64","inputs":{"input":{"shape":[3],"data":[1,2,3]},"target":{"shape":[],"dtype":"int64","data":[2]}}})"));
  const auto u = with_batch_doubled(unbatched);  // as the batch of one, doubled
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->inputs.at("input").shape, (shape_t{2, 3}));
  EXPECT_EQ(u->inputs.at("target").shape, (shape_t{2}));
  EXPECT_EQ(u->inputs.at("target").ints, (std::vector<std::int64_t>{2, 2}));
  const loss_case empty = case_from_json(parse_json(
      R"({"loss":"mse_loss","dtype":"float64","inputs":{"input":{"shape":[0,2],"data":[]},"target":{"shape":[0,2],"data":[]}}})"));
  EXPECT_FALSE(with_batch_doubled(empty).has_value());
}

}  // namespace
}  // namespace losscheck::properties
