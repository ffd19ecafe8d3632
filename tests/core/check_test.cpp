// Tests of the tolerance model's edge rules (check/, docs/tolerances.md) on cases where LibTorch 1.13.1
// and the reference legitimately differ: the expected result is the reference's, the "got" values are LibTorch's
// own answers (Debian python3-torch 1.13.1, the Python line next to each), and each test also shows that a wrong
// answer next to them still fails — the rules accept a rounding's choice, not anything.

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "losscheck/check.h"
#include "losscheck/error.h"
#include "losscheck/json.h"
#include "losscheck/loss_record.h"
#include "losscheck/reference.h"
#include "test_util.h"

namespace losscheck {
namespace {

using testing::case_from;

const double nan = std::numeric_limits<double>::quiet_NaN();
const double inf = std::numeric_limits<double>::infinity();

/// The reference's result with the listed values replaced: `output` and each gradient's elements by index.
loss_result with_values(loss_result r, std::vector<double> output, std::map<std::string, std::vector<double>> grads) {
  if (!output.empty()) r.output->values = std::move(output);
  for (auto& [name, v] : grads) r.grads.at(name).values = std::move(v);
  return r;
}

// The cosine hinge at its tie: the product 1e-45 · 1e-45 underflows in float32, so torch's cos - margin is -0 >= 0
// and the gradient passes (clamp_min's backward uses >=) where the exact hinge argument is -1e-78 < 0 and the
// gradient 0. F.cosine_embedding_loss(x1=[-1e-45], x2=[1e-45], y=-1, margin=0): grads ±1.4012984585850986e-33.
TEST(check, cosine_hinge_tie_accepts_either_branch_and_nothing_else) {
  const auto c = case_from(R"({"loss":"cosine_embedding_loss","dtype":"float32","options":{"margin":0.0,"reduction":"none"},
    "inputs":{"input1":{"shape":[1],"data":[-1e-45]},"input2":{"shape":[1],"data":[1e-45]},
              "target":{"shape":[],"dtype":"int64","data":[-1]}}})");
  const auto expected = reference::evaluate(c);
  ASSERT_EQ(expected.grads.at("input1").values[0], 0.0);
  const auto torch = with_values(expected, {}, {{"input1", {1.4012984585850986e-33}}, {"input2", {-1.4012984585850986e-33}}});
  EXPECT_TRUE(check::compare(c, expected, torch).passed) << check::compare(c, expected, torch).message;
  EXPECT_TRUE(check::compare(c, expected, expected).passed);
  // twice the on-branch gradient is neither branch
  const auto wrong = with_values(expected, {}, {{"input1", {2.8e-33}}, {"input2", {-1.4012984585850986e-33}}});
  EXPECT_FALSE(check::compare(c, expected, wrong).passed);

  // cos itself below the normal range: -7e-46 rounds to -0 in float32 (round half to even), the tie again.
  // F.cosine_embedding_loss(x1=[-1e-45, 2], x2=[2^32, 0], y=-1, margin=0): grads [0.5, 0] and [0, 2.3283064e-10].
  const auto d = case_from(R"({"loss":"cosine_embedding_loss","dtype":"float32","options":{"margin":0.0,"reduction":"none"},
    "inputs":{"input1":{"shape":[2],"data":[-1e-45, 2]},"input2":{"shape":[2],"data":[4294967296, 0]},
              "target":{"shape":[],"dtype":"int64","data":[-1]}}})");
  const auto expected_d = reference::evaluate(d);
  const auto torch_d = with_values(expected_d, {}, {{"input1", {0.5, 0}}, {"input2", {0, 2.3283064365386963e-10}}});
  EXPECT_TRUE(check::compare(d, expected_d, torch_d).passed) << check::compare(d, expected_d, torch_d).message;
}

// kl_div(log_target) with e^t below float32's range beside x = -inf: torch's e^t (t - x) is 0 · inf = NaN where the
// value is +inf. F.kl_div([0.015625, -inf], [0.015625, -4096], log_target=True, reduction='none'): [0, nan], target
// gradient [1.0157, nan]. A finite answer there is still wrong.
TEST(check, kl_div_zero_times_infinity_accepts_nan_not_a_finite_value) {
  const auto c = case_from(R"({"loss":"kl_div","dtype":"float32","options":{"log_target":true,"reduction":"none"},
    "inputs":{"input":{"shape":[2],"data":[0.015625,"-inf"]},"target":{"shape":[2],"data":[0.015625,-4096]}}})");
  const auto expected = reference::evaluate(c);
  ASSERT_EQ(expected.output->values[1], inf);
  auto torch = expected;
  torch.output->values[1] = nan;
  torch.grads.at("target").values[1] = nan;
  EXPECT_TRUE(check::compare(c, expected, torch).passed) << check::compare(c, expected, torch).message;
  auto finite = expected;
  finite.output->values[1] = 1e30;
  EXPECT_FALSE(check::compare(c, expected, finite).passed);
}

// bce_with_logits with y = -inf, pos_weight 0: where 1 + e^-x rounds to 1 (x = 32 in float32), torch's lse is 0 and
// L·lse = inf · 0 = NaN where the value is +inf; at x = 10 it is not, and torch gives inf, so NaN there is wrong.
// F.binary_cross_entropy_with_logits(x, [-inf], pos_weight=[0.], reduction='none'): x = 32: nan; x = 10: inf.
TEST(check, bce_with_logits_infinite_target_accepts_nan_only_where_lse_rounds_to_zero) {
  auto make = [](const std::string& x) {
    return case_from(R"({"loss":"binary_cross_entropy_with_logits","dtype":"float32","options":{"reduction":"none"},
      "inputs":{"input":{"shape":[1],"data":[)" + x + R"(]},"target":{"shape":[1],"data":["-inf"]},
                "pos_weight":{"shape":[1],"data":[0]}}})");
  };
  const auto c32 = make("32"), c10 = make("10");
  const auto e32 = reference::evaluate(c32), e10 = reference::evaluate(c10);
  ASSERT_EQ(e32.output->values[0], inf);
  ASSERT_EQ(e10.output->values[0], inf);
  auto nan32 = e32;
  nan32.output->values[0] = nan;
  EXPECT_TRUE(check::compare(c32, e32, nan32).passed) << check::compare(c32, e32, nan32).message;
  auto nan10 = e10;
  nan10.output->values[0] = nan;
  EXPECT_FALSE(check::compare(c10, e10, nan10).passed);
}

// Probability-target cross_entropy: torch multiplies log_softmax by the target before the weight, so t' lsm
// beyond float32's range overflows even where the weight 0 makes the value 0: (-1.5e26 · 1.4e26) · 0 = NaN. The
// same row with a representable product must still be exact.
TEST(check, probability_cross_entropy_product_beyond_the_range_is_the_overflow_regime) {
  auto make = [](const std::string& t0) {
    return case_from(R"({"loss":"cross_entropy","dtype":"float32","options":{"label_smoothing":0.1,"reduction":"none"},
      "inputs":{"input":{"shape":[1,2],"data":[-1.5474251e+26, 0.015625]},"target":{"shape":[1,2],"data":[)" + t0 +
                     R"(, 0.015625]},"weight":{"shape":[2],"data":[0, 0]}}})");
  };
  const auto big = make("1.5474251e+26"), small = make("0.5");
  const auto eb = reference::evaluate(big), es = reference::evaluate(small);
  ASSERT_EQ(eb.output->values[0], 0.0);
  auto nan_big = eb, nan_small = es;
  nan_big.output->values[0] = nan;
  nan_small.output->values[0] = nan;
  EXPECT_TRUE(check::compare(big, eb, nan_big).passed) << check::compare(big, eb, nan_big).message;
  EXPECT_FALSE(check::compare(small, es, nan_small).passed);
}

// widest: element by element the larger scale, slack and bound.
// float16's overflow threshold (docs/tolerances.md "Half precision"): |x − t| = 65520 is the midpoint between 65504
// and 2^16 and rounds (ties to even) to inf, which the reference returns; a float32 kernel whose float32 result lies a
// little below the threshold returns 65504. ±inf against ±max counts inf as 2^16, one ULP beyond max: accepted where
// the exact value is known to be near the threshold (its scale at most 2^16), and never for a saturating answer.
TEST(check, float16_overflow_threshold_accepts_max_or_inf_next_to_it_and_nothing_else) {
  const auto at_threshold = case_from(R"({"loss":"l1_loss","dtype":"float16","options":{"reduction":"none"},
    "inputs":{"input":{"shape":[1],"dtype":"float16","data":[65504]},"target":{"shape":[1],"dtype":"float16","data":[-16]}}})");
  const auto expected = reference::evaluate(at_threshold);
  ASSERT_EQ(expected.output->values[0], inf);
  const auto below = with_values(expected, {65504}, {});
  EXPECT_TRUE(check::compare(at_threshold, expected, below).passed) << check::compare(at_threshold, expected, below).message;
  EXPECT_FALSE(check::compare(at_threshold, expected, with_values(expected, {65472}, {})).passed);  // two ULPs below
  EXPECT_FALSE(check::compare(at_threshold, expected, with_values(expected, {-65504}, {})).passed);  // the sign

  // far beyond the range: 131008 is inf, and an answer saturated at 65504 is wrong
  const auto beyond = case_from(R"({"loss":"l1_loss","dtype":"float16","options":{"reduction":"none"},
    "inputs":{"input":{"shape":[1],"dtype":"float16","data":[65504]},"target":{"shape":[1],"dtype":"float16","data":[-65504]}}})");
  const auto expected_beyond = reference::evaluate(beyond);
  ASSERT_EQ(expected_beyond.output->values[0], inf);
  EXPECT_FALSE(check::compare(beyond, expected_beyond, with_values(expected_beyond, {65504}, {})).passed);

  // the other way round: the correctly rounded 65504, and a kernel whose float32 result reached the threshold
  const auto at_max = case_from(R"({"loss":"l1_loss","dtype":"float16","options":{"reduction":"none"},
    "inputs":{"input":{"shape":[1],"dtype":"float16","data":[65504]},"target":{"shape":[1],"dtype":"float16","data":[0]}}})");
  const auto expected_max = reference::evaluate(at_max);
  ASSERT_EQ(expected_max.output->values[0], 65504);
  EXPECT_TRUE(check::compare(at_max, expected_max, with_values(expected_max, {inf}, {})).passed);
  EXPECT_FALSE(check::compare(at_max, expected_max, with_values(expected_max, {-inf}, {})).passed);
  EXPECT_FALSE(check::compare(at_max, expected_max, with_values(expected_max, {nan}, {})).passed);
}

TEST(check, widest_takes_the_larger_of_each_element) {
  check::tolerance a, b;
  a.output = {{1, 5}, 3, {}};
  b.output = {{2, 4}, 7, {0.5, 0}};
  b.grads["x"] = {{9}, 2, {}};
  const auto w = check::widest(a, b);
  EXPECT_EQ(w.output.scale, (std::vector<double>{2, 5}));
  EXPECT_EQ(w.output.bound_ulps, 7);
  EXPECT_EQ(w.output.slack, (std::vector<double>{0.5, 0}));
  EXPECT_EQ(w.grads.at("x").scale, (std::vector<double>{9}));
}

// Every loss of the catalog has its tolerance (check/<loss>.cpp, reached through tolerance_for's dispatch): on every
// valid case of its committed LibTorch fixtures (fixtures/<loss>.json), a scale per element of the output and of
// exactly the gradients torch reports, and a bound of at least one rounding.
TEST(check, every_loss_has_a_tolerance_shaped_like_torchs_results) {
  for (const auto& record : loss_catalog()) {
    const std::string path = std::string(LOSSCHECK_TEST_FIXTURES_DIR) + "/" + std::string(record.name) + ".json";
    std::ifstream in(path);
    ASSERT_TRUE(in) << "cannot read " << path;
    std::stringstream text;
    text << in.rdbuf();
    const auto file = parse_json(text.str());
    std::size_t checked = 0;
    for (const auto& cj : file.at("cases")) {
      const loss_case c = case_from_json(cj, {"expected"});
      const loss_result expected = result_from_json(cj.at("expected"), c.type);
      if (expected.error) continue;
      SCOPED_TRACE(c.id);
      const check::tolerance tol = check::tolerance_for(c);
      EXPECT_EQ(tol.output.scale.size(), expected.output->values.size());
      EXPECT_GE(tol.output.bound_ulps, 1);
      std::vector<std::string> tol_names, torch_names;
      for (const auto& [name, g] : tol.grads) {
        tol_names.push_back(name);
        if (auto it = expected.grads.find(name); it != expected.grads.end()) {
          EXPECT_EQ(g.scale.size(), it->second.values.size()) << name;
          EXPECT_GE(g.bound_ulps, 1) << name;
        }
      }
      for (const auto& [name, g] : expected.grads) torch_names.push_back(name);
      EXPECT_EQ(tol_names, torch_names);
      ++checked;
    }
    EXPECT_GT(checked, 0u) << record.name;
  }
}

// A class-index target out of bounds is a case torch rejects: tolerance_for refuses it (naming the loss and the
// target) instead of reading the weight and the logits out of bounds, and compare reports it.
TEST(check, a_class_target_out_of_bounds_has_no_tolerance) {
  const auto nll = case_from(R"({"loss":"nll_loss","dtype":"float64","options":{"reduction":"none"},
    "inputs":{"input":{"shape":[2,3],"data":[1,2,3,4,5,6]},"target":{"shape":[2],"dtype":"int64","data":[0,5]}}})");
  try {
    (void)check::tolerance_for(nll);
    FAIL() << "no error";
  } catch (const loss_error& e) {
    EXPECT_STREQ(e.what(), "nll_loss: no tolerance for target 5, out of bounds for 3 classes");
  }
  // ignore_index is not out of bounds, whatever its value; -1 is when it is not ignore_index
  const auto ignored = case_from(R"({"loss":"cross_entropy","dtype":"float32","options":{"ignore_index":7},
    "inputs":{"input":{"shape":[2,3],"data":[1,2,3,4,5,6]},"target":{"shape":[2],"dtype":"int64","data":[7,1]}}})");
  EXPECT_NO_THROW((void)check::tolerance_for(ignored));
  const auto negative = case_from(R"({"loss":"cross_entropy","dtype":"float32",
    "inputs":{"input":{"shape":[3],"data":[1,2,3]},"target":{"shape":[],"dtype":"int64","data":[-1]}}})");
  loss_result some;
  some.output = tensor::floats(dtype::float32, {}, {1.0});
  some.grads["input"] = tensor::floats(dtype::float32, {3}, {0.0, 0.0, 0.0});
  const auto r = check::compare(negative, some, some);
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.message,
            "no tolerance: losscheck rejects the case: cross_entropy: no tolerance for target -1, out of bounds for 3 "
            "classes");
}

}  // namespace
}  // namespace losscheck
