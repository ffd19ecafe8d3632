// Spot tests of huber_loss against values computed independently of both implementations.
//
// Where the expected values come from: every case below was evaluated exactly, in Python's mpmath at 50 significant
// digits, by the model reproduced at the end of this comment, written from PyTorch 1.13's semantics
// (torch.nn.functional.huber_loss, ATen's huber_kernel and huber_backward_cpu_kernel, docs/torch-quirks.md "huber_loss"), not from losscheck's code. The
// inputs of a float32 case are the float32 values of its decimals, and delta is rounded to float32 in a float32 case
// (ATen's `scalar_t delta_val(delta)`). The exact results are written to 17 significant digits. Each case's
// semantics (branches, the gradients at the kink) were also checked against Python torch 1.13 on the same
// values; torch is never the source of a value.
//
// Error bounds, in ULPs of the case dtype:
//   reference  0  it computes at 256 bits and rounds once to the dtype.
//   impl       kImplUlps = 4: a value takes at most ~8 roundings (a subtraction, a product or division, a sum of at
//                 most 6 non-negative terms, a division) without cancellation.
//
// The model (mpmath, mp.dps = 50; G is the incoming gradient of each element: grad_output[i] for none,
// grad_output / n for mean, grad_output for sum):
//   δ = delta (float32(delta) in a float32 case);  d = x - t;  z = |d|
//   L = 0.5 d^2 if z < δ else δ (z - 0.5 δ)
//   h(e) = -δ if e <= -δ else (δ if e >= δ else e)
//   grad_input = h(x - t) G,  grad_target = h(t - x) G

#include <gtest/gtest.h>

#include "losscheck/impl.h"
#include "losscheck/reference.h"
#include "test_util.h"

namespace huber_loss_test {
namespace {

using namespace losscheck::testing;

constexpr double kImplUlps = 4;

losscheck::loss_result reference_evaluate(const losscheck::loss_case& c) { return losscheck::reference::evaluate(c); }

class HuberLoss : public loss_spot_test {};
INSTANTIATE_TEST_SUITE_P(Both, HuberLoss,
                         ::testing::Values(implementation_under_test{"reference", reference_evaluate, true},
                                           implementation_under_test{"impl", losscheck::impl::evaluate, false}),
                         implementation_name);

// Default delta = 1 (equal to smooth_l1_loss's beta = 1 then), no reduction, grad_output per element.
TEST_P(HuberLoss, NoneFloat32DefaultDelta) {
  check(R"json({"loss": "huber_loss", "dtype": "float32", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [0.5, -1.25, 3.0, 0.1, 2.0, -0.7]}, )json"
        R"json("target": {"shape": [2, 3], "data": [1.0, 0.25, -2.0, 0.3, 2.0, 0.4]}}, )json"
        R"json("grad_output": {"shape": [2, 3], "data": [1.0, -2.0, 0.5, 0.25, 3.0, -1.5]}})json",
        {{2, 3},
         {0.125, 1.0, 4.5, 0.020000002086162622, 0.0, 0.59999999403953552},
         {{"input", {-0.5, 2.0, 0.5, -0.050000002607703209, 0.0, 1.5}},
          {"target", {0.5, -2.0, -0.5, 0.050000002607703209, 0.0, -1.5}}}},
        kImplUlps);
}

// delta = 0.5, mean with grad_output 2.5: half of smooth_l1_loss(beta = 0.5)'s answer.
TEST_P(HuberLoss, MeanFloat64DeltaHalf) {
  check(R"json({"loss": "huber_loss", "dtype": "float64", "options": {"reduction": "mean", "delta": 0.5}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [0.5, -1.25, 3.0, 0.1, 2.0, -0.7]}, )json"
        R"json("target": {"shape": [2, 3], "data": [1.0, 0.25, -2.0, 0.3, 2.0, 0.4]}}, )json"
        R"json("grad_output": {"shape": [], "data": [2.5]}})json",
        {{},
         {0.595},
         {{"input", {-0.20833333333333333, -0.20833333333333333, 0.20833333333333333, -0.083333333333333326, 0.0, -0.20833333333333333}},
          {"target", {0.20833333333333333, 0.20833333333333333, -0.20833333333333333, 0.083333333333333326, 0.0, 0.20833333333333333}}}},
        kImplUlps);
}

// |d| = delta exactly: the linear branch delta (|d| - delta/2), slope ±delta for both.
TEST_P(HuberLoss, KinkTakesTheLinearBranch) {
  check(R"json({"loss": "huber_loss", "dtype": "float64", "options": {"reduction": "none", "delta": 2.0}, )json"
        R"json("inputs": {"input": {"shape": [4], "data": [3, -1, 0, 0]}, "target": {"shape": [4], "data": [1, 1, 2, -2]}}})json",
        {{4},
         {2.0, 2.0, 2.0, 2.0},
         {{"input", {2.0, -2.0, -2.0, 2.0}},
          {"target", {-2.0, 2.0, 2.0, -2.0}}}},
        kImplUlps);
}

// delta = 1e-46 is 0 in float32: ATen computes with float32(delta) = 0, so every element is in the
// linear branch 0 (|d| - 0) = 0 with slope 0 (the exact delta would give 1e-16 for the first element).
TEST_P(HuberLoss, Float32DeltaBelowFloat32Range) {
  check(R"json({"loss": "huber_loss", "dtype": "float32", "options": {"reduction": "none", "delta": 1e-46}, )json"
        R"json("inputs": {"input": {"shape": [2], "data": [1e30, 3]}, "target": {"shape": [2], "data": [0, 0]}}})json",
        {{2},
         {0.0, 0.0},
         {{"input", {0.0, 0.0}},
          {"target", {0.0, 0.0}}}},
        kImplUlps);
}

// An infinite difference is in the linear branch (inf, slope ±delta); NaN gives NaN everywhere.
TEST_P(HuberLoss, NonFinite) {
  check(R"json({"loss": "huber_loss", "dtype": "float64", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input": {"shape": [2], "data": ["inf", "nan"]}, "target": {"shape": [2], "data": [1, 0]}}})json",
        {{2},
         {kInf, kNaN},
         {{"input", {1.0, kNaN}},
          {"target", {-1.0, kNaN}}}},
        kImplUlps);
}

// delta <= 0: torch's check (TORCH_CHECK(delta > 0)).
TEST_P(HuberLoss, ZeroDeltaIsRejected) {
  check_error(R"json({"loss": "huber_loss", "dtype": "float32", "options": {"delta": 0.0}, )json"
              R"json("inputs": {"input": {"shape": [2], "data": [1.0, 2.0]}, "target": {"shape": [2], "data": [1.0, 2.0]}}})json",
              "huber_loss: does not support non-positive values for delta, got 0");
}

// F.huber_loss has no size_average / reduce: an unknown option.
TEST_P(HuberLoss, LegacyFlagsAreUnknown) {
  check_error(R"json({"loss": "huber_loss", "dtype": "float32", "options": {"size_average": false}, )json"
              R"json("inputs": {"input": {"shape": [2], "data": [1.0, 2.0]}, "target": {"shape": [2], "data": [1.0, 2.0]}}})json",
              "huber_loss: unknown option 'size_average' (valid options: reduction, delta)");
}

// Shapes (2,3) and (2,) do not broadcast.
TEST_P(HuberLoss, ShapesThatDoNotBroadcast) {
  check_error(R"json({"loss": "huber_loss", "dtype": "float32", "inputs": {"input": {"shape": [2, 3], "data": [0.5, )json"
              R"json(-1.25, 3.0, 0.1, 2.0, -0.7]}, "target": {"shape": [2], "data": [1.0, 2.0]}}})json",
              "huber_loss: input of shape [2, 3] and target of shape [2] do not broadcast");
}

}  // namespace
}  // namespace huber_loss_test
