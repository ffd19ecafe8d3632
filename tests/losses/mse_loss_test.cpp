// Spot tests of mse_loss against values computed independently of both implementations.
//
// Where the expected values come from: every case below was evaluated exactly, in Python's mpmath at 50 significant
// digits, by the model reproduced at the end of this comment. The model was written from PyTorch 1.13.1's semantics
// (torch.nn.functional, ATen's Loss.cpp / LossNLL.cpp, docs/torch-quirks.md), not from losscheck's code. The inputs of
// a float32 case are the float32 values of its decimals, as the case reader rounds them. The exact results are
// written to 17 significant digits (more only where 17 would not round to the correctly rounded value of the dtype);
// expect_values_near rounds them to float32 for a float32 case. Each case's semantics were also checked against
// torch 1.13.1 run in float64 on the same values; torch is never the source of a value.
//
// Error bounds, in ULPs of the case dtype:
//   reference  0  it computes at 256 bits and rounds once to the dtype, so it must give the correctly rounded value
//                 (no expected value here is a rounding tie).
//   impl       kImplUlps = 4. Each value takes at most ~8 roundings (a subtraction, a square, a sum of at
//                 most 6 non-negative terms, a division), and the cases have no cancellation, so the worst-case
//                 error of any sound float evaluation is below 8 ULPs and typically 1; we hold impl to 4.
//
// The model (mpmath, mp.dps = 50; np is numpy on object arrays of mpf; G is grad_output spread over the unreduced
// elements, so a gradient is G times the derivative of the element):
//
//   mp.dps = 50; NAN, INF = mpf('nan'), mpf('inf')
//   EPS = mpf(float(np.float32(1e-12)))  # ATen's `constexpr float EPSILON = 1e-12`: float32 even for float64
//   def ew(f, *a):  # elementwise, broadcasting
//       return np.frompyfunc(f, len(a), 1)(*a)
//   def unbroadcast(a, shape):  # sum a gradient back to the shape of a broadcast input
//       a = np.asarray(a, dtype=object)
//       while a.ndim > len(shape): a = a.sum(axis=0)
//       for d, n in enumerate(shape):
//           if n == 1 and a.shape[d] != 1: a = a.sum(axis=d, keepdims=True)
//       return a.reshape(shape)
//   def div(a, b):  # a/b with IEEE rules for b = 0
//       return a / b if b != 0 else (NAN if a == 0 or a != a else (INF if a > 0 else -INF))
//   def reduce(L, red, g, denom=None):
//       """Output of a reduction of the unreduced L, and G = d output / d L times grad_output."""
//       L = np.asarray(L, dtype=object)
//       if red == 'none':
//           return L, (np.full(L.shape, mpf(1), dtype=object) if g is None else g)
//       g = mpf(1) if g is None else g.reshape(())[()]
//       s = sum(L.flat, mpf(0))
//       if red == 'sum': return np.array(s, dtype=object), np.full(L.shape, g, dtype=object)
//       n = mpf(L.size) if denom is None else denom  # mean: numel; batchmean or weighted mean: denom
//       return np.array(div(s, n), dtype=object), np.full(L.shape, div(g, n), dtype=object)
//   def mse_loss(x, t, red, g):
//       shape = np.broadcast_shapes(x.shape, t.shape)
//       X, T = np.broadcast_to(x, shape), np.broadcast_to(t, shape)
//       out, G = reduce(ew(lambda a, b: (a - b) ** 2, X, T), red, g)
//       d = ew(lambda a, b, gg: 2 * (a - b) * gg, X, T, G)
//       return out, {'input': unbroadcast(d, x.shape), 'target': unbroadcast(-d, t.shape)}

#include <gtest/gtest.h>

#include "losscheck/impl.h"
#include "losscheck/reference.h"
#include "test_util.h"

namespace mse_loss_test {
namespace {

using namespace losscheck::testing;

constexpr double kImplUlps = 4;

losscheck::loss_result reference_evaluate(const losscheck::loss_case& c) { return losscheck::reference::evaluate(c); }

class MseLoss : public loss_spot_test {};
INSTANTIATE_TEST_SUITE_P(Both, MseLoss,
                         ::testing::Values(implementation_under_test{"reference", reference_evaluate, true},
                                           implementation_under_test{"impl", losscheck::impl::evaluate, false}),
                         implementation_name);

// Elementwise (x - t)^2 without reduction; grad_output omitted (ones).
TEST_P(MseLoss, NoneFloat32) {
  check(R"json({"loss": "mse_loss", "dtype": "float32", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [0.5, -1.25, 3.0, 0.1, 2.0, -0.7]}, )json"
        R"json("target": {"shape": [2, 3], "data": [1.0, 0.25, -2.0, 0.3, 2.0, 0.4]}}})json",
        {{2, 3},
         {0.25, 2.25, 25.0, 0.040000004172325243, 0.0, 1.2099999868869782},
         {{"input", {-1.0, -3.0, 10.0, -0.40000002086162567, 0.0, -2.199999988079071}},
          {"target", {1.0, 3.0, -10.0, 0.40000002086162567, 0.0, 2.199999988079071}}}},
        kImplUlps);
}

// mean divides by numel; grad_output 2.5 scales both gradients.
TEST_P(MseLoss, MeanFloat64WithGradOutput) {
  check(R"json({"loss": "mse_loss", "dtype": "float64", "options": {"reduction": "mean"}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [0.5, -1.25, 3.0, 0.1, 2.0, -0.7]}, )json"
        R"json("target": {"shape": [2, 3], "data": [1.0, 0.25, -2.0, 0.3, 2.0, 0.4]}}, )json"
        R"json("grad_output": {"shape": [], "data": [2.5]}})json",
        {{},
         {4.7916666666666667},
         {{"input", {-0.41666666666666667, -1.25, 4.1666666666666667, -0.16666666666666665, 0.0, -0.91666666666666665}},
          {"target", {0.41666666666666667, 1.25, -4.1666666666666667, 0.16666666666666665, 0.0, 0.91666666666666665}}}},
        kImplUlps);
}

// sum; default grad_output.
TEST_P(MseLoss, SumFloat64) {
  check(R"json({"loss": "mse_loss", "dtype": "float64", "options": {"reduction": "sum"}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [0.5, -1.25, 3.0, 0.1, 2.0, -0.7]}, )json"
        R"json("target": {"shape": [2, 3], "data": [1.0, 0.25, -2.0, 0.3, 2.0, 0.4]}}})json",
        {{},
         {28.75},
         {{"input", {-1.0, -3.0, 10.0, -0.39999999999999997, 0.0, -2.2}},
          {"target", {1.0, 3.0, -10.0, 0.39999999999999997, 0.0, 2.2}}}},
        kImplUlps);
}

// No options: reduction defaults to mean.
TEST_P(MseLoss, DefaultReductionIsMean) {
  check(R"json({"loss": "mse_loss", "dtype": "float32", "inputs": {"input": {"shape": [4], "data": [1.5, -0.5, )json"
        R"json(0.25, 3.0]}, "target": {"shape": [4], "data": [0.5, 0.5, -0.75, 1.0]}}})json",
        {{},
         {1.75},
         {{"input", {0.5, -0.5, 0.5, 1.0}},
          {"target", {-0.5, 0.5, -0.5, -1.0}}}},
        kImplUlps);
}

// target (1,3) broadcasts against input (2,3); its gradient is summed back to (1,3).
TEST_P(MseLoss, BroadcastTargetMean) {
  check(R"json({"loss": "mse_loss", "dtype": "float32", "options": {"reduction": "mean"}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}, )json"
        R"json("target": {"shape": [1, 3], "data": [0.5, 1.0, -1.0]}}, "grad_output": {"shape": [], )json"
        R"json("data": [0.5]}})json",
        {{},
         {15.75},
         {{"input", {0.083333333333333333, 0.16666666666666667, 0.66666666666666667, 0.58333333333333333,
                 0.66666666666666667, 1.1666666666666667}},
          {"target", {-0.66666666666666667, -0.83333333333333333, -1.8333333333333333}}}},
        kImplUlps);
}

// target (3) broadcasts against input (2,3), no reduction, grad_output shaped (2,3).
TEST_P(MseLoss, BroadcastTargetNoneWithGradOutput) {
  check(R"json({"loss": "mse_loss", "dtype": "float64", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}, )json"
        R"json("target": {"shape": [3], "data": [0.5, 1.0, -1.0]}}, "grad_output": {"shape": [2, 3], )json"
        R"json("data": [1.0, -2.0, 0.5, 0.25, 3.0, -1.5]}})json",
        {{2, 3},
         {0.25, 1.0, 16.0, 12.25, 16.0, 49.0},
         {{"input", {1.0, -4.0, 4.0, 1.75, 24.0, -21.0}},
          {"target", {-2.75, -20.0, 17.0}}}},
        kImplUlps);
}

// input (2,1) broadcasts against target (2,3): the output and the target gradient are (2,3)-sized,
// the input gradient is summed back to (2,1).
TEST_P(MseLoss, BroadcastInputSum) {
  check(R"json({"loss": "mse_loss", "dtype": "float64", "options": {"reduction": "sum"}, )json"
        R"json("inputs": {"input": {"shape": [2, 1], "data": [0.75, -1.5]}, "target": {"shape": [2, 3], )json"
        R"json("data": [0.5, 1.0, -1.0, 2.0, 0.125, -3.0]}}})json",
        {{},
         {20.328125},
         {{"input", {3.5, -7.25}},
          {"target", {-0.5, 0.5, -3.5, 7.0, 3.25, -3.0}}}},
        kImplUlps);
}

// Legacy size_average=false overrides reduction "none": sum.
TEST_P(MseLoss, LegacySizeAverageFalseIsSum) {
  check(R"json({"loss": "mse_loss", "dtype": "float32", "options": {"reduction": "none", )json"
        R"json("size_average": false}, "inputs": {"input": {"shape": [2, 3], "data": [0.5, -1.25, 3.0, 0.1, )json"
        R"json(2.0, -0.7]}, "target": {"shape": [2, 3], "data": [1.0, 0.25, -2.0, 0.3, 2.0, 0.4]}}})json",
        {{},
         {28.749999991059303},
         {{"input", {-1.0, -3.0, 10.0, -0.40000002086162567, 0.0, -2.199999988079071}},
          {"target", {1.0, 3.0, -10.0, 0.40000002086162567, 0.0, 2.199999988079071}}}},
        kImplUlps);
}

// Legacy reduce=false gives none whatever size_average says (here true), overriding "sum".
TEST_P(MseLoss, LegacyReduceFalseIsNone) {
  check(R"json({"loss": "mse_loss", "dtype": "float64", "options": {"reduction": "sum", "size_average": true, )json"
        R"json("reduce": false}, "inputs": {"input": {"shape": [2, 3], "data": [0.5, -1.25, 3.0, 0.1, 2.0, )json"
        R"json(-0.7]}, "target": {"shape": [2, 3], "data": [1.0, 0.25, -2.0, 0.3, 2.0, 0.4]}}})json",
        {{2, 3},
         {0.25, 2.25, 25.0, 0.039999999999999993, 0.0, 1.21},
         {{"input", {-1.0, -3.0, 10.0, -0.39999999999999997, 0.0, -2.2}},
          {"target", {1.0, 3.0, -10.0, 0.39999999999999997, 0.0, 2.2}}}},
        kImplUlps);
}

// Legacy reduce=true with size_average null: mean, overriding "sum".
TEST_P(MseLoss, LegacyReduceTrueIsMean) {
  check(R"json({"loss": "mse_loss", "dtype": "float64", "options": {"reduction": "sum", "size_average": null, )json"
        R"json("reduce": true}, "inputs": {"input": {"shape": [2, 3], "data": [0.5, -1.25, 3.0, 0.1, 2.0, )json"
        R"json(-0.7]}, "target": {"shape": [2, 3], "data": [1.0, 0.25, -2.0, 0.3, 2.0, 0.4]}}})json",
        {{},
         {4.7916666666666667},
         {{"input", {-0.16666666666666667, -0.5, 1.6666666666666667, -0.066666666666666661, 0.0, -0.36666666666666666}},
          {"target", {0.16666666666666667, 0.5, -1.6666666666666667, 0.066666666666666661, 0.0, 0.36666666666666666}}}},
        kImplUlps);
}

// "elementwise_mean" is the deprecated alias of mean.
TEST_P(MseLoss, ElementwiseMeanIsMean) {
  check(R"json({"loss": "mse_loss", "dtype": "float32", "options": {"reduction": "elementwise_mean"}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [0.5, -1.25, 3.0, 0.1, 2.0, -0.7]}, )json"
        R"json("target": {"shape": [2, 3], "data": [1.0, 0.25, -2.0, 0.3, 2.0, 0.4]}}})json",
        {{},
         {4.7916666651765506},
         {{"input", {-0.16666666666666667, -0.5, 1.6666666666666667, -0.066666670143604279, 0.0, -0.36666666467984517}},
          {"target", {0.16666666666666667, 0.5, -1.6666666666666667, 0.066666670143604279, 0.0, 0.36666666467984517}}}},
        kImplUlps);
}

// 0-D input and target.
TEST_P(MseLoss, ScalarInputs) {
  check(R"json({"loss": "mse_loss", "dtype": "float64", "options": {"reduction": "sum"}, )json"
        R"json("inputs": {"input": {"shape": [], "data": [-0.3]}, "target": {"shape": [], "data": [1.7]}}, )json"
        R"json("grad_output": {"shape": [], "data": [-2.0]}})json",
        {{},
         {3.9999999999999998},
         {{"input", {7.9999999999999998}},
          {"target", {-7.9999999999999998}}}},
        kImplUlps);
}

// Empty input: mean is NaN (0/0), gradients are empty.
TEST_P(MseLoss, EmptyMeanIsNaN) {
  check(R"json({"loss": "mse_loss", "dtype": "float32", "options": {"reduction": "mean"}, )json"
        R"json("inputs": {"input": {"shape": [0], "data": []}, "target": {"shape": [0], "data": []}}})json",
        {{},
         {kNaN},
         {{"input", {}},
          {"target", {}}}},
        kImplUlps);
}

// Empty input: sum is 0.
TEST_P(MseLoss, EmptySumIsZero) {
  check(R"json({"loss": "mse_loss", "dtype": "float64", "options": {"reduction": "sum"}, )json"
        R"json("inputs": {"input": {"shape": [0, 2], "data": []}, "target": {"shape": [0, 2], "data": []}}})json",
        {{},
         {0.0},
         {{"input", {}},
          {"target", {}}}},
        kImplUlps);
}

// Squares near the top and bottom of float32's range (no overflow: (1e19)^2 = 1e38).
TEST_P(MseLoss, LargeAndTinyValuesFloat32) {
  check(R"json({"loss": "mse_loss", "dtype": "float32", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input": {"shape": [3], "data": [1e19, 1e-19, -3e-20]}, "target": {"shape": [3], )json"
        R"json("data": [0.0, 0.0, 1e-20]}}})json",
        {{3},
         {9.9999999610128958e+37, 9.9999993653104608e-39, 1.5999998984496737e-39},
         {{"input", {1.9999999961012896e+19, 1.9999999365310451e-19, -7.9999997461241803e-20}},
          {"target", {-1.9999999961012896e+19, -1.9999999365310451e-19, 7.9999997461241803e-20}}}},
        kImplUlps);
}

// An unknown option is an error that lists the valid ones.
TEST_P(MseLoss, UnknownOptionListsValidOnes) {
  check_error(R"json({"loss": "mse_loss", "dtype": "float32", "options": {"ignore_index": 1}, )json"
              R"json("inputs": {"input": {"shape": [2], "data": [1.0, 2.0]}, "target": {"shape": [2], "data": [1.0, )json"
              R"json(2.0]}}})json",
              "mse_loss: unknown option 'ignore_index' (valid options: reduction, size_average, reduce)");
}

// A reduction string torch does not know.
TEST_P(MseLoss, BadReductionString) {
  check_error(R"json({"loss": "mse_loss", "dtype": "float32", "options": {"reduction": "average"}, )json"
              R"json("inputs": {"input": {"shape": [2], "data": [1.0, 2.0]}, "target": {"shape": [2], "data": [1.0, )json"
              R"json(2.0]}}})json",
              "average is not a valid value for reduction");
}

// "batchmean" is kl_div's only.
TEST_P(MseLoss, BatchmeanIsOnlyForKlDiv) {
  check_error(R"json({"loss": "mse_loss", "dtype": "float32", "options": {"reduction": "batchmean"}, )json"
              R"json("inputs": {"input": {"shape": [2], "data": [1.0, 2.0]}, "target": {"shape": [2], "data": [1.0, )json"
              R"json(2.0]}}})json",
              "batchmean is not a valid value for reduction");
}

// Shapes (2,3) and (2,) do not broadcast.
TEST_P(MseLoss, ShapesThatDoNotBroadcast) {
  check_error(R"json({"loss": "mse_loss", "dtype": "float32", "inputs": {"input": {"shape": [2, 3], "data": [0.5, )json"
              R"json(-1.25, 3.0, 0.1, 2.0, -0.7]}, "target": {"shape": [2], "data": [1.0, 2.0]}}})json",
              "do not broadcast");
}

}  // namespace
}  // namespace mse_loss_test
