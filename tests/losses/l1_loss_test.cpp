// Spot tests of l1_loss against values computed independently of both implementations.
//
// Where the expected values come from: every case below was evaluated exactly, in Python's mpmath at 50 significant
// digits, by the model reproduced at the end of this comment, written from PyTorch 1.13's semantics
// (torch.nn.functional.l1_loss, docs/torch-quirks.md "l1_loss"), not from losscheck's code. The inputs of a float32
// case are the float32 values of its decimals. The exact results are written to 17 significant digits. The gradient
// at a tie (x = t) and at a NaN difference (inf - inf, NaN) is torch's sgn(d) g = 0: checked against Python torch
// 1.13 in float64 on the same values (torch is never the source of a value).
//
// Error bounds, in ULPs of the case dtype:
//   reference  0  it computes at 256 bits and rounds once to the dtype.
//   impl       kImplUlps = 4: a value takes at most ~8 roundings (a subtraction, a sum of at most 6 non-negative
//                 terms, a division) without cancellation; the gradients are exact (±g, 0, or g / n rounded once).
//
// The model (mpmath, mp.dps = 50; G is the incoming gradient of each element: grad_output[i] for none,
// grad_output / n for mean, grad_output for sum; gradients of a broadcast input are summed over the broadcast
// dimensions):
//   sgn(d) = 1 if d > 0 else (-1 if d < 0 else 0)          # also 0 for NaN
//   out = |x - t| (none), Σ |x - t| (sum), Σ |x - t| / n (mean)
//   grad_input = sgn(x - t) G,  grad_target = -sgn(x - t) G

#include <gtest/gtest.h>

#include "losscheck/impl.h"
#include "losscheck/reference.h"
#include "test_util.h"

namespace l1_loss_test {
namespace {

using namespace losscheck::testing;

constexpr double kImplUlps = 4;

losscheck::loss_result reference_evaluate(const losscheck::loss_case& c) { return losscheck::reference::evaluate(c); }

class L1Loss : public loss_spot_test {};
INSTANTIATE_TEST_SUITE_P(Both, L1Loss,
                         ::testing::Values(implementation_under_test{"reference", reference_evaluate, true},
                                           implementation_under_test{"impl", losscheck::impl::evaluate, false}),
                         implementation_name);

// Elementwise |x - t| without reduction, grad_output per element; a tie (2.0, 2.0) gets the gradient 0.
TEST_P(L1Loss, NoneFloat32WithGradOutput) {
  check(R"json({"loss": "l1_loss", "dtype": "float32", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [0.5, -1.25, 3.0, 0.1, 2.0, -0.7]}, )json"
        R"json("target": {"shape": [2, 3], "data": [1.0, 0.25, -2.0, 0.3, 2.0, 0.4]}}, )json"
        R"json("grad_output": {"shape": [2, 3], "data": [1.0, -2.0, 0.5, 0.25, 3.0, -1.5]}})json",
        {{2, 3},
         {0.5, 1.5, 5.0, 0.20000001043081284, 0.0, 1.0999999940395355},
         {{"input", {-1.0, 2.0, 0.5, -0.25, 0.0, 1.5}},
          {"target", {1.0, -2.0, -0.5, 0.25, 0.0, -1.5}}}},
        kImplUlps);
}

// mean divides by numel; grad_output 2.5 scales both gradients.
TEST_P(L1Loss, MeanFloat64WithGradOutput) {
  check(R"json({"loss": "l1_loss", "dtype": "float64", "options": {"reduction": "mean"}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [0.5, -1.25, 3.0, 0.1, 2.0, -0.7]}, )json"
        R"json("target": {"shape": [2, 3], "data": [1.0, 0.25, -2.0, 0.3, 2.0, 0.4]}}, )json"
        R"json("grad_output": {"shape": [], "data": [2.5]}})json",
        {{},
         {1.3833333333333333},
         {{"input", {-0.41666666666666667, -0.41666666666666667, 0.41666666666666667, -0.41666666666666667, 0.0,
                     -0.41666666666666667}},
          {"target", {0.41666666666666667, 0.41666666666666667, -0.41666666666666667, 0.41666666666666667, 0.0,
                      0.41666666666666667}}}},
        kImplUlps);
}

// Legacy size_average=false overrides reduction "none": sum.
TEST_P(L1Loss, LegacySizeAverageFalseIsSum) {
  check(R"json({"loss": "l1_loss", "dtype": "float32", "options": {"reduction": "none", "size_average": false}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [0.5, -1.25, 3.0, 0.1, 2.0, -0.7]}, )json"
        R"json("target": {"shape": [2, 3], "data": [1.0, 0.25, -2.0, 0.3, 2.0, 0.4]}}})json",
        {{},
         {8.3000000044703484},
         {{"input", {-1.0, -1.0, 1.0, -1.0, 0.0, -1.0}},
          {"target", {1.0, 1.0, -1.0, 1.0, 0.0, 1.0}}}},
        kImplUlps);
}

// target (3) broadcasts against input (2, 3); its gradient is summed back over the rows. A tie in column 1, row 0.
TEST_P(L1Loss, BroadcastTargetSum) {
  check(R"json({"loss": "l1_loss", "dtype": "float64", "options": {"reduction": "sum"}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}, )json"
        R"json("target": {"shape": [3], "data": [0.5, 2.0, -1.0]}}, "grad_output": {"shape": [], "data": [-0.5]}})json",
        {{},
         {18.0},
         {{"input", {-0.5, 0.0, -0.5, -0.5, -0.5, -0.5}},
          {"target", {1.0, 0.5, 1.0}}}},
        kImplUlps);
}

// Infinities and NaN: |inf - 1| = inf with gradient ±g; inf - inf and NaN give the loss NaN and the gradient 0
// (torch's sgn(NaN) = 0, docs/torch-quirks.md); the tie 0 vs -0 gets 0.
TEST_P(L1Loss, NonFiniteFloat64) {
  check(R"json({"loss": "l1_loss", "dtype": "float64", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input": {"shape": [6], "data": ["inf", "-inf", "nan", 1.0, "inf", 0.0]}, )json"
        R"json("target": {"shape": [6], "data": [1.0, 1.0, 0.0, "inf", "inf", -0.0]}}, )json"
        R"json("grad_output": {"shape": [6], "data": [2.0, 2.0, 2.0, 2.0, 2.0, -3.0]}})json",
        {{6},
         {kInf, kInf, kNaN, kInf, kNaN, 0.0},
         {{"input", {2.0, -2.0, 0.0, -2.0, 0.0, 0.0}},
          {"target", {-2.0, 2.0, 0.0, 2.0, 0.0, 0.0}}}},
        kImplUlps);
}

// float32 extremes: a difference of 2e30 and one near the subnormal range.
TEST_P(L1Loss, LargeAndTinyFloat32) {
  check(R"json({"loss": "l1_loss", "dtype": "float32", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input": {"shape": [2], "data": [1e30, -3e-39]}, )json"
        R"json("target": {"shape": [2], "data": [-1e30, 2e-39]}}})json",
        {{2},
         {2.0000000300949324e+30, 5.0000010765266663e-39},
         {{"input", {1.0, -1.0}},
          {"target", {-1.0, 1.0}}}},
        kImplUlps);
}

// Empty input: mean is NaN (0/0).
TEST_P(L1Loss, EmptyMeanIsNaN) {
  check(R"json({"loss": "l1_loss", "dtype": "float32", "options": {"reduction": "mean"}, )json"
        R"json("inputs": {"input": {"shape": [0], "data": []}, "target": {"shape": [0], "data": []}}})json",
        {{}, {kNaN}, {{"input", {}}, {"target", {}}}}, kImplUlps);
}

// An unknown option is an error that lists the valid ones.
TEST_P(L1Loss, UnknownOptionListsValidOnes) {
  check_error(R"json({"loss": "l1_loss", "dtype": "float32", "options": {"beta": 1.0}, )json"
              R"json("inputs": {"input": {"shape": [2], "data": [1.0, 2.0]}, "target": {"shape": [2], "data": [1.0, )json"
              R"json(2.0]}}})json",
              "l1_loss: unknown option 'beta' (valid options: reduction, size_average, reduce)");
}

// A reduction string torch does not know.
TEST_P(L1Loss, BadReductionString) {
  check_error(R"json({"loss": "l1_loss", "dtype": "float32", "options": {"reduction": "average"}, )json"
              R"json("inputs": {"input": {"shape": [2], "data": [1.0, 2.0]}, "target": {"shape": [2], "data": [1.0, )json"
              R"json(2.0]}}})json",
              "average is not a valid value for reduction");
}

// Shapes (2,3) and (2,) do not broadcast.
TEST_P(L1Loss, ShapesThatDoNotBroadcast) {
  check_error(R"json({"loss": "l1_loss", "dtype": "float32", "inputs": {"input": {"shape": [2, 3], "data": [0.5, )json"
              R"json(-1.25, 3.0, 0.1, 2.0, -0.7]}, "target": {"shape": [2], "data": [1.0, 2.0]}}})json",
              "l1_loss: input of shape [2, 3] and target of shape [2] do not broadcast");
}

}  // namespace
}  // namespace l1_loss_test
