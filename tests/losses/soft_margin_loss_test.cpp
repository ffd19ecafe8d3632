// Spot tests of soft_margin_loss against values computed independently of both implementations.
//
// Where the expected values come from: every case below was evaluated exactly, in Python's mpmath at 50 significant
// digits, by the model reproduced at the end of this comment, written from PyTorch 1.13.1's semantics
// (torch.nn.functional.soft_margin_loss, ATen's Loss.cpp soft_margin_loss / soft_margin_loss_backward,
// docs/torch-quirks.md), not from losscheck's code. The inputs of a float32 case are the float32 values of its
// decimals (all exact here). Results are written to 17 significant digits; expect_values_near rounds them to float32
// for a float32 case. The semantics of each case (shapes, reductions, which inputs are differentiated, the non-finite
// patterns) were checked against torch 1.13.1 in float64; torch is never the source of a value. One case lies where
// torch's float32 evaluation overflows (exp(100) = inf, so torch answers inf and NaN): there the expected values are
// the exact ones, which losscheck returns (docs/torch-quirks.md).
//
// Error bounds, in ULPs of the case dtype:
//   reference  0  it computes at 256 bits and rounds once to the dtype.
//   impl       kImplUlps = 4: each value takes about 5 roundings (a product, exp, log1p or a division, the product by
//                 y and g, a sum of at most 6 positive terms for the reductions, one division by n) of at most
//                 0.5 ULP each plus the vector exp/log1p's < 2 ULP, without cancellation.
//
// The model (mpmath, mp.dps = 50; the target is broadcast to the input's shape first):
//   def sp(z): return z + log1p(exp(-z)) if z > 0 else log1p(exp(z))       # log(1 + e^z)
//   def sig(z): return 1 / (1 + exp(-z)) if z > 0 else exp(z) / (1 + exp(z))
//   def soft_margin(x, y, red, g=None):                                      # x, y flat, y broadcast to x
//       L = [sp(-b * a) for a, b in zip(x, y)]
//       D = [-b * sig(-b * a) for a, b in zip(x, y)]                         # dL/dx; the target has no gradient
//       if red == 'none': return L, [d * gg for d, gg in zip(D, g or [1] * len(x))]
//       g = 1 if g is None else g
//       if red == 'sum': return [sum(L)], [d * g for d in D]
//       return [sum(L) / len(x)], [d * g / len(x) for d in D]                # mean

#include <gtest/gtest.h>

#include "losscheck/impl.h"
#include "losscheck/reference.h"
#include "test_util.h"

namespace soft_margin_loss_test {
namespace {

using namespace losscheck::testing;

constexpr double kImplUlps = 4;

losscheck::loss_result reference_evaluate(const losscheck::loss_case& c) { return losscheck::reference::evaluate(c); }

class SoftMarginLoss : public loss_spot_test {};
INSTANTIATE_TEST_SUITE_P(Both, SoftMarginLoss,
                         ::testing::Values(implementation_under_test{"reference", reference_evaluate, true},
                                           implementation_under_test{"impl", losscheck::impl::evaluate, false}),
                         implementation_name);

const std::string kInputs =
    R"json("inputs": {"input": {"shape": [2, 3], "data": [0.5, -1.25, 3.0, 0.0, 2.0, -0.75]}, )json"
    R"json("target": {"shape": [2, 3], "data": [1.0, -1.0, 1.0, -1.0, -1.0, 0.5]}})json";

// ±1 labels and one other target (0.5, accepted as is), no reduction; grad_output omitted (ones).
TEST_P(SoftMarginLoss, NoneFloat64) {
  check(R"json({"loss": "soft_margin_loss", "dtype": "float64", "options": {"reduction": "none"}, )json" + kInputs + "}",
        {{2, 3},
         {0.47407698418010668, 0.25192908134537289, 0.048587351573742059, 0.69314718055994531, 2.1269280110429725,
          0.89812326413984004},
         {{"input", {-0.37754066879814544, 0.22270013882530885, -0.047425873177566781, 0.5, 0.88079707797788244,
                     -0.29633329997703488}}}},
        kImplUlps);
}

// mean divides by numel; grad_output 2.5 scales the gradient.
TEST_P(SoftMarginLoss, MeanFloat32WithGradOutput) {
  check(R"json({"loss": "soft_margin_loss", "dtype": "float32", "options": {"reduction": "mean"}, )json" + kInputs +
            R"json(, "grad_output": {"shape": [], "data": [2.5]}})json",
        {{},
         {0.74879864547366325},
         {{"input", {-0.15730861199922726, 0.092791724510545355, -0.019760780490652825, 0.20833333333333333,
                     0.36699878249078435, -0.12347220832376453}}}},
        kImplUlps);
}

// Legacy size_average=false overrides reduction "none": sum.
TEST_P(SoftMarginLoss, LegacySizeAverageFalseIsSum) {
  check(R"json({"loss": "soft_margin_loss", "dtype": "float64", "options": {"reduction": "none", )json"
        R"json("size_average": false}, )json" + kInputs + "}",
        {{},
         {4.4927918728419795},
         {{"input", {-0.37754066879814544, 0.22270013882530885, -0.047425873177566781, 0.5, 0.88079707797788244,
                     -0.29633329997703488}}}},
        kImplUlps);
}

// target (3) broadcasts to input (2, 3); sum with grad_output -0.5.
TEST_P(SoftMarginLoss, BroadcastTargetSum) {
  check(R"json({"loss": "soft_margin_loss", "dtype": "float64", "options": {"reduction": "sum"}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [0.5, -1.25, 3.0, 0.0, 2.0, -0.75]}, )json"
        R"json("target": {"shape": [3], "data": [1.0, -1.0, 0.5]}}, "grad_output": {"shape": [], "data": [-0.5]}})json",
        {{},
         {4.6456177992509898},
         {{"input", {0.18877033439907272, -0.1113500694126544265, 0.045606380951589085, 0.25, -0.44039853898894122,
                     0.14816664998851744}}}},
        kImplUlps);
}

// Margins where torch's float32 exp(-y x) overflows (exp(100) = inf: torch answers inf and NaN): the exact values.
TEST_P(SoftMarginLoss, ExactBeyondTorchsFloat32Overflow) {
  check(R"json({"loss": "soft_margin_loss", "dtype": "float32", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input": {"shape": [3], "data": [-100.0, 95.0, 100.0]}, )json"
        R"json("target": {"shape": [3], "data": [1.0, -1.0, 1.0]}}})json",
        {{3}, {100.0, 95.0, 3.720075976020836e-44}, {{"input", {-1.0, 1.0, -3.720075976020836e-44}}}}, kImplUlps);
}

// Non-finite inputs follow torch's formula: z = -y x = -inf gives 0 and -y·0; z = +inf gives inf and inf/inf = NaN;
// y = inf with z = -inf gives the gradient -inf·0 = NaN; NaN propagates.
TEST_P(SoftMarginLoss, NonFiniteAsTorch) {
  check(R"json({"loss": "soft_margin_loss", "dtype": "float64", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input": {"shape": [4], "data": ["inf", "-inf", "nan", 1.0]}, )json"
        R"json("target": {"shape": [4], "data": [1.0, 1.0, 1.0, "inf"]}}})json",
        {{4}, {0.0, kInf, kNaN, 0.0}, {{"input", {0.0, kNaN, kNaN, kNaN}}}}, kImplUlps);
}

// Empty input: mean is NaN (0/0), the gradient is empty.
TEST_P(SoftMarginLoss, EmptyMeanIsNaN) {
  check(R"json({"loss": "soft_margin_loss", "dtype": "float32", "options": {"reduction": "mean"}, )json"
        R"json("inputs": {"input": {"shape": [0, 2], "data": []}, "target": {"shape": [2], "data": [1.0, -1.0]}}})json",
        {{}, {kNaN}, {{"input", {}}}}, kImplUlps);
}

// A target that would enlarge the input (ATen multiplies it into -input in place).
TEST_P(SoftMarginLoss, TargetMayNotEnlargeTheInput) {
  check_error(R"json({"loss": "soft_margin_loss", "dtype": "float32", "inputs": {"input": {"shape": [3], "data": )json"
              R"json([1.0, 2.0, 3.0]}, "target": {"shape": [2, 3], "data": [1.0, -1.0, 1.0, 1.0, -1.0, 1.0]}}})json",
              "soft_margin_loss: target of shape [2, 3] must broadcast to the input's shape [3] without enlarging it");
}

// Shapes (2, 3) and (4) do not broadcast.
TEST_P(SoftMarginLoss, ShapesThatDoNotBroadcast) {
  check_error(R"json({"loss": "soft_margin_loss", "dtype": "float64", "inputs": {"input": {"shape": [2, 3], "data": )json"
              R"json([0.5, -1.25, 3.0, 0.1, 2.0, -0.7]}, "target": {"shape": [4], "data": [1.0, -1.0, 1.0, 1.0]}}})json",
              "soft_margin_loss: target of shape [4] and input of shape [2, 3] do not broadcast");
}

// "batchmean" is kl_div's only.
TEST_P(SoftMarginLoss, BatchmeanIsOnlyForKlDiv) {
  check_error(R"json({"loss": "soft_margin_loss", "dtype": "float32", "options": {"reduction": "batchmean"}, )json"
              R"json("inputs": {"input": {"shape": [2], "data": [1.0, 2.0]}, "target": {"shape": [2], "data": [1.0, )json"
              R"json(-1.0]}}})json",
              "batchmean is not a valid value for reduction");
}

}  // namespace
}  // namespace soft_margin_loss_test
