// Spot tests of smooth_l1_loss against values computed independently of both implementations.
//
// Where the expected values come from: every case below was evaluated exactly, in Python's mpmath at 50 significant
// digits, by the model reproduced at the end of this comment, written from PyTorch 1.13's semantics
// (torch.nn.functional.smooth_l1_loss, ATen's smooth_l1_kernel and smooth_l1_backward_cpu_kernel, docs/torch-quirks.md "smooth_l1_loss"), not from losscheck's code. The
// inputs of a float32 case are the float32 values of its decimals, and beta is rounded to float32 in a float32 case
// (ATen's `scalar_t beta_val(beta)`). The exact results are written to 17 significant digits. Each case's
// semantics (branches, the gradients at the kink, beta = 0) were also checked against Python torch 1.13 on the same
// values; torch is never the source of a value.
//
// Error bounds, in ULPs of the case dtype:
//   reference  0  it computes at 256 bits and rounds once to the dtype.
//   impl       kImplUlps = 4: a value takes at most ~8 roundings (a subtraction, a product or division, a sum of at
//                 most 6 non-negative terms, a division) without cancellation.
//
// The model (mpmath, mp.dps = 50; G is the incoming gradient of each element: grad_output[i] for none,
// grad_output / n for mean, grad_output for sum):
//   b = beta (float32(beta) in a float32 case);  d = x - t;  z = |d|
//   L = 0.5 d^2 / b if z < b else z - 0.5 b           (b = 0: z)
//   s(e) = -1 if e <= -b else (1 if e >= b else e / b)
//   grad_input = s(x - t) G,  grad_target = s(t - x) G  (ATen's smooth_l1_loss_backward with input and target swapped)

#include <gtest/gtest.h>

#include "losscheck/impl.h"
#include "losscheck/reference.h"
#include "test_util.h"

namespace smooth_l1_loss_test {
namespace {

using namespace losscheck::testing;

constexpr double kImplUlps = 4;

losscheck::loss_result reference_evaluate(const losscheck::loss_case& c) { return losscheck::reference::evaluate(c); }

class SmoothL1Loss : public loss_spot_test {};
INSTANTIATE_TEST_SUITE_P(Both, SmoothL1Loss,
                         ::testing::Values(implementation_under_test{"reference", reference_evaluate, true},
                                           implementation_under_test{"impl", losscheck::impl::evaluate, false}),
                         implementation_name);

// Default beta = 1, no reduction, grad_output per element: |d| = 0.5, 0.2 quadratic; 1.5, 5 linear.
TEST_P(SmoothL1Loss, NoneFloat32DefaultBeta) {
  check(R"json({"loss": "smooth_l1_loss", "dtype": "float32", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [0.5, -1.25, 3.0, 0.1, 2.0, -0.7]}, )json"
        R"json("target": {"shape": [2, 3], "data": [1.0, 0.25, -2.0, 0.3, 2.0, 0.4]}}, )json"
        R"json("grad_output": {"shape": [2, 3], "data": [1.0, -2.0, 0.5, 0.25, 3.0, -1.5]}})json",
        {{2, 3},
         {0.125, 1.0, 4.5, 0.020000002086162622, 0.0, 0.59999999403953552},
         {{"input", {-0.5, 2.0, 0.5, -0.050000002607703209, 0.0, 1.5}},
          {"target", {0.5, -2.0, -0.5, 0.050000002607703209, 0.0, -1.5}}}},
        kImplUlps);
}

// beta = 0.5, mean with grad_output 2.5: only |d| = 0.2 is in the quadratic part.
TEST_P(SmoothL1Loss, MeanFloat64BetaHalf) {
  check(R"json({"loss": "smooth_l1_loss", "dtype": "float64", "options": {"reduction": "mean", "beta": 0.5}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [0.5, -1.25, 3.0, 0.1, 2.0, -0.7]}, )json"
        R"json("target": {"shape": [2, 3], "data": [1.0, 0.25, -2.0, 0.3, 2.0, 0.4]}}, )json"
        R"json("grad_output": {"shape": [], "data": [2.5]}})json",
        {{},
         {1.19},
         {{"input", {-0.41666666666666667, -0.41666666666666667, 0.41666666666666667, -0.16666666666666665, 0.0, -0.41666666666666667}},
          {"target", {0.41666666666666667, 0.41666666666666667, -0.41666666666666667, 0.16666666666666665, 0.0, 0.41666666666666667}}}},
        kImplUlps);
}

// beta = 0: l1_loss's values; at a tie x = t (also 0 vs -0) both gradients are -g (torch's
// smooth_l1_loss_backward: d <= -beta holds at d = 0), not l1_loss's 0 (docs/torch-quirks.md).
TEST_P(SmoothL1Loss, BetaZeroTiesGiveMinusGToBoth) {
  check(R"json({"loss": "smooth_l1_loss", "dtype": "float64", "options": {"reduction": "none", "beta": 0.0}, )json"
        R"json("inputs": {"input": {"shape": [4], "data": [1.5, -2, 0, 3]}, "target": {"shape": [4], "data": [1.5, 0, -0.0, -3]}}, )json"
        R"json("grad_output": {"shape": [4], "data": [2, 2, -1, 1]}})json",
        {{4},
         {0.0, 2.0, 0.0, 6.0},
         {{"input", {-2.0, -2.0, 1.0, 1.0}},
          {"target", {-2.0, 2.0, 1.0, -1.0}}}},
        kImplUlps);
}

// |d| = beta exactly: the linear branch (torch: z < beta is false), slope ±1 for both.
TEST_P(SmoothL1Loss, KinkTakesTheLinearBranch) {
  check(R"json({"loss": "smooth_l1_loss", "dtype": "float64", "options": {"reduction": "none", "beta": 1.0}, )json"
        R"json("inputs": {"input": {"shape": [4], "data": [2, -1, 0, 0]}, "target": {"shape": [4], "data": [1, 0, 1, -1]}}})json",
        {{4},
         {0.5, 0.5, 0.5, 0.5},
         {{"input", {1.0, -1.0, -1.0, 1.0}},
          {"target", {-1.0, 1.0, 1.0, -1.0}}}},
        kImplUlps);
}

// beta = 0.1 in float32 is float32(0.1) = 0.100000001490116..., sum.
TEST_P(SmoothL1Loss, SumFloat32BetaTenth) {
  check(R"json({"loss": "smooth_l1_loss", "dtype": "float32", "options": {"reduction": "sum", "beta": 0.1}, )json"
        R"json("inputs": {"input": {"shape": [3], "data": [0.5, -0.02, 0.3]}, "target": {"shape": [3], "data": [0.45, 0.0, 0.25]}}})json",
        {{},
         {0.027000011429191887},
         {{"input", {0.50000011175870729, -0.19999999254941951, 0.50000011175870729}},
          {"target", {-0.50000011175870729, 0.19999999254941951, -0.50000011175870729}}}},
        kImplUlps);
}

// beta < 0: torch's check (TORCH_CHECK(beta >= 0)).
TEST_P(SmoothL1Loss, NegativeBetaIsRejected) {
  check_error(R"json({"loss": "smooth_l1_loss", "dtype": "float32", "options": {"beta": -1.0}, )json"
              R"json("inputs": {"input": {"shape": [2], "data": [1.0, 2.0]}, "target": {"shape": [2], "data": [1.0, 2.0]}}})json",
              "smooth_l1_loss: does not support negative values for beta, got -1");
}

// An unknown option lists the valid ones (smooth_l1_loss has the legacy flags).
TEST_P(SmoothL1Loss, UnknownOptionListsValidOnes) {
  check_error(R"json({"loss": "smooth_l1_loss", "dtype": "float32", "options": {"delta": 1.0}, )json"
              R"json("inputs": {"input": {"shape": [2], "data": [1.0, 2.0]}, "target": {"shape": [2], "data": [1.0, 2.0]}}})json",
              "smooth_l1_loss: unknown option 'delta' (valid options: reduction, size_average, reduce, beta)");
}

// Shapes (2,3) and (2,) do not broadcast.
TEST_P(SmoothL1Loss, ShapesThatDoNotBroadcast) {
  check_error(R"json({"loss": "smooth_l1_loss", "dtype": "float32", "inputs": {"input": {"shape": [2, 3], "data": [0.5, )json"
              R"json(-1.25, 3.0, 0.1, 2.0, -0.7]}, "target": {"shape": [2], "data": [1.0, 2.0]}}})json",
              "smooth_l1_loss: input of shape [2, 3] and target of shape [2] do not broadcast");
}

}  // namespace
}  // namespace smooth_l1_loss_test
