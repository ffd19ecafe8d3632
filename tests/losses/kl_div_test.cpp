// Spot tests of kl_div against values computed independently of both implementations.
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
//   impl       kImplUlps = 4. Each value is a log or an exp, a subtraction and a product, then a reduction of
//                 at most 6 terms. The inputs keep log t - x and t - x + 1 away from 0 (condition number below
//                 4 within an element) and every sum is dominated by its positive terms, so the worst case is
//                 below 8 ULPs and the typical error about 1; we hold impl to 4.
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
//   def kl_div(x, t, red, g, log_target=False):
//       shape = np.broadcast_shapes(x.shape, t.shape)
//       X, T = np.broadcast_to(x, shape), np.broadcast_to(t, shape)
//       if log_target:
//           L = ew(lambda a, b: exp(b) * (b - a), X, T)
//       else:  # xlogy(t, t) - t x: 0 at t = 0, NaN for t < 0
//           L = ew(lambda a, b: (b * log(b) if b > 0 else (mpf(0) if b == 0 else NAN)) - b * a, X, T)
//       denom = mpf(x.shape[0] if x.ndim else 1) if red == 'batchmean' else None  # input.size(0), not the broadcast's
//       out, G = reduce(L, red, g, denom)
//       if log_target:
//           gx = ew(lambda b, gg: -exp(b) * gg, T, G)
//           gt = ew(lambda a, b, gg: gg * exp(b) * (b - a + 1), X, T, G)
//       else:  # d/dt = log t + 1 - x; NaN at t = 0 (xlogy's backward gives 0/0 there), NaN for t < 0
//           gx = ew(lambda b, gg: -b * gg, T, G)
//           gt = ew(lambda a, b, gg: gg * (log(b) + 1 - a) if b > 0 else NAN, X, T, G)
//       return out, {'input': unbroadcast(gx, x.shape), 'target': unbroadcast(gt, t.shape)}

#include <gtest/gtest.h>

#include "losscheck/impl.h"
#include "losscheck/reference.h"
#include "test_util.h"

namespace kl_div_test {
namespace {

using namespace losscheck::testing;

constexpr double kImplUlps = 4;

losscheck::loss_result reference_evaluate(const losscheck::loss_case& c) { return losscheck::reference::evaluate(c); }

class KlDiv : public loss_spot_test {};
INSTANTIATE_TEST_SUITE_P(Both, KlDiv,
                         ::testing::Values(implementation_under_test{"reference", reference_evaluate, true},
                                           implementation_under_test{"impl", losscheck::impl::evaluate, false}),
                         implementation_name);

// log_target=false without reduction: t (log t - x); t = 0 gives 0, and the target gradient there is NaN
// (torch's xlogy backward gives 0/0); the input gradient is -t (-0 at t = 0).
TEST_P(KlDiv, NoneWithZeroTarget) {
  check(R"json({"loss": "kl_div", "dtype": "float64", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [-2.0, -2.0, -0.5, -1.5, -1.25, -3.0]}, )json"
        R"json("target": {"shape": [2, 3], "data": [0.25, 0.5, 0.125, 0.0, 0.75, 0.375]}}})json",
        {{2, 3},
         {0.15342640972002735, 0.65342640972002735, -0.19743019270997949, 0.0, 0.7217384456611643,
          0.75718903012060266},
         {{"input", {-0.25, -0.5, -0.125, 0.0, -0.75, -0.375}},
          {"target", {1.6137056388801094, 2.3068528194400547, -0.57944154167983593, kNaN, 1.96231792754821907,
                  3.0191707469882738}}}},
        kImplUlps);
}

// batchmean divides the sum by input.size(0) = 2; grad_output 3.
TEST_P(KlDiv, BatchmeanFloat32) {
  check(R"json({"loss": "kl_div", "dtype": "float32", "options": {"reduction": "batchmean"}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [-2.0, -2.0, -0.5, -1.5, -1.25, -3.0]}, )json"
        R"json("target": {"shape": [2, 3], "data": [0.25, 0.5, 0.125, 0.0, 0.75, 0.375]}}, )json"
        R"json("grad_output": {"shape": [], "data": [3.0]}})json",
        {{},
         {1.0441750512559211},
         {{"input", {-0.375, -0.75, -0.1875, 0.0, -1.125, -0.5625}},
          {"target", {2.4205584583201641, 3.460279229160082, -0.86916231251975389, kNaN, 2.9434768913223286,
                  4.5287561204824106}}}},
        kImplUlps);
}

// mean divides by numel = 6 (torch warns), not by the batch.
TEST_P(KlDiv, MeanDividesByNumel) {
  check(R"json({"loss": "kl_div", "dtype": "float64", "options": {"reduction": "mean"}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [-2.0, -2.0, -0.5, -1.5, -1.25, -3.0]}, )json"
        R"json("target": {"shape": [2, 3], "data": [0.25, 0.5, 0.125, 0.0, 0.75, 0.375]}}})json",
        {{},
         {0.34805835041864036},
         {{"input", {-0.041666666666666667, -0.083333333333333333, -0.020833333333333333, 0.0, -0.125, -0.0625}},
          {"target", {0.26895093981335156, 0.38447546990667578, -0.096573590279972655, kNaN, 0.32705298792470318,
                  0.50319512449804563}}}},
        kImplUlps);
}

// sum: the t = 0 element adds 0 and its target gradient is NaN.
TEST_P(KlDiv, SumWithZeroTarget) {
  check(R"json({"loss": "kl_div", "dtype": "float32", "options": {"reduction": "sum"}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [-2.0, -2.0, -0.5, -1.5, -1.25, -3.0]}, )json"
        R"json("target": {"shape": [2, 3], "data": [0.25, 0.5, 0.125, 0.0, 0.75, 0.375]}}})json",
        {{},
         {2.0883501025118422},
         {{"input", {-0.25, -0.5, -0.125, 0.0, -0.75, -0.375}},
          {"target", {1.6137056388801094, 2.3068528194400547, -0.57944154167983593, kNaN, 1.9623179275482191,
                  3.0191707469882738}}}},
        kImplUlps);
}

// log_target=true: e^t (t - x); gradients -e^t and e^t (t - x + 1); grad_output (2,3).
TEST_P(KlDiv, LogTargetNone) {
  check(R"json({"loss": "kl_div", "dtype": "float64", "options": {"reduction": "none", "log_target": true}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [-2.0, -2.0, -0.5, -1.5, -1.25, -3.0]}, )json"
        R"json("target": {"shape": [2, 3], "data": [-1.5, -0.5, -2.0, -0.75, 0.25, -1.0]}}, )json"
        R"json("grad_output": {"shape": [2, 3], "data": [1.0, -0.5, 2.0, 0.25, 1.5, -1.0]}})json",
        {{2, 3},
         {0.11156508007421491, 0.90979598956895014, -0.203002924854919038, 0.35427491455576103, 1.92603812503161223,
          0.73575888234288464},
         {{"input", {-0.22313016014842983, 0.30326532985631671, -0.27067056647322538, -0.118091638185253677,
                 -1.92603812503161223, 0.36787944117144232}},
          {"target", {0.33469524022264474, -0.75816332464079178, -0.13533528323661269, 0.206660366824193934,
                  4.8150953125790306, -1.103638323514327}}}},
        kImplUlps);
}

// log_target=true with batchmean.
TEST_P(KlDiv, LogTargetBatchmeanFloat32) {
  check(R"json({"loss": "kl_div", "dtype": "float32", "options": {"reduction": "batchmean", )json"
        R"json("log_target": true}, "inputs": {"input": {"shape": [2, 3], "data": [-2.0, -2.0, -0.5, -1.5, )json"
        R"json(-1.25, -3.0]}, "target": {"shape": [2, 3], "data": [-1.5, -0.5, -2.0, -0.75, 0.25, -1.0]}}})json",
        {{},
         {1.917215033359252},
         {{"input", {-0.11156508007421491, -0.30326532985631671, -0.067667641618306346, -0.23618327637050735,
                 -0.64201270834387074, -0.18393972058572116}},
          {"target", {0.16734762011132237, 0.75816332464079178, -0.033833820809153173, 0.41332073364838787,
                  1.6050317708596769, 0.55181916175716348}}}},
        kImplUlps);
}

// log_target=true with mean (default reduction).
TEST_P(KlDiv, LogTargetMean) {
  check(R"json({"loss": "kl_div", "dtype": "float64", "options": {"log_target": true}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [-2.0, -2.0, -0.5, -1.5, -1.25, -3.0]}, )json"
        R"json("target": {"shape": [2, 3], "data": [-1.5, -0.5, -2.0, -0.75, 0.25, -1.0]}}})json",
        {{},
         {0.63907167778641732},
         {{"input", {-0.037188360024738305, -0.101088443285438904, -0.022555880539435449, -0.078727758790169118,
                 -0.21400423611462358, -0.061313240195240387}},
          {"target", {0.055782540037107457, 0.25272110821359726, -0.011277940269717724, 0.13777357788279596,
                  0.53501059028655895, 0.18393972058572116}}}},
        kImplUlps);
}

// t < 0: xlogy(t, t) is NaN, so the output and the target gradient are NaN; the input gradient is -t.
TEST_P(KlDiv, NegativeTargetIsNaN) {
  check(R"json({"loss": "kl_div", "dtype": "float64", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input": {"shape": [2], "data": [-1.0, -0.5]}, "target": {"shape": [2], )json"
        R"json("data": [-0.5, 0.5]}}})json",
        {{2},
         {kNaN, -0.096573590279972655},
         {{"input", {0.5, -0.5}},
          {"target", {kNaN, 0.80685281944005469}}}},
        kImplUlps);
}

// target (1,3) broadcasts against input (2,3); its gradient is summed back.
TEST_P(KlDiv, BroadcastTargetSum) {
  check(R"json({"loss": "kl_div", "dtype": "float64", "options": {"reduction": "sum"}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [-2.0, -2.0, -0.5, -1.5, -1.25, -3.0]}, )json"
        R"json("target": {"shape": [1, 3], "data": [0.25, 0.5, 0.125]}}})json",
        {{},
         {1.0313452534601504},
         {{"input", {-0.25, -0.5, -0.125, -0.25, -0.5, -0.125}},
          {"target", {2.7274112777602188, 3.8637056388801094, 1.3411169166403281}}}},
        kImplUlps);
}

// input (3) broadcasts against target (2,3): batchmean divides by input.size(0) = 3, not by the
// broadcast batch 2 (torch.nn.functional.kl_div uses input.size(0)).
TEST_P(KlDiv, BroadcastInputBatchmean) {
  check(R"json({"loss": "kl_div", "dtype": "float64", "options": {"reduction": "batchmean"}, )json"
        R"json("inputs": {"input": {"shape": [3], "data": [-1.0, -2.0, -3.0]}, "target": {"shape": [2, 3], )json"
        R"json("data": [0.25, 0.5, 0.125, 0.5, 0.25, 1.0]}}})json",
        {{},
         {1.32625848205671},
         {{"input", {-0.25, -0.25, -0.375}},
          {"target", {0.20456854629336979, 0.76895093981335156, 0.64018615277338802, 0.43561760648001823,
                  0.53790187962670313, 1.3333333333333333}}}},
        kImplUlps);
}

// The same with mean: divides by the broadcast numel 6.
TEST_P(KlDiv, BroadcastInputMean) {
  check(R"json({"loss": "kl_div", "dtype": "float32", "options": {"reduction": "mean"}, )json"
        R"json("inputs": {"input": {"shape": [3], "data": [-1.0, -2.0, -3.0]}, "target": {"shape": [2, 3], )json"
        R"json("data": [0.25, 0.5, 0.125, 0.5, 0.25, 1.0]}}})json",
        {{},
         {0.66312924102835498},
         {{"input", {-0.125, -0.125, -0.1875}},
          {"target", {0.1022842731466849, 0.38447546990667578, 0.32009307638669401, 0.21780880324000912,
                  0.26895093981335156, 0.66666666666666667}}}},
        kImplUlps);
}

// batchmean of a 0-D input divides by nothing.
TEST_P(KlDiv, ScalarBatchmean) {
  check(R"json({"loss": "kl_div", "dtype": "float64", "options": {"reduction": "batchmean"}, )json"
        R"json("inputs": {"input": {"shape": [], "data": [-1.0]}, "target": {"shape": [], "data": [0.25]}}})json",
        {{},
         {-0.096573590279972655},
         {{"input", {-0.25}},
          {"target", {0.61370563888010938}}}},
        kImplUlps);
}

// Legacy size_average=false overrides "none": sum.
TEST_P(KlDiv, LegacySizeAverageFalseIsSum) {
  check(R"json({"loss": "kl_div", "dtype": "float64", "options": {"reduction": "none", "size_average": false}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [-2.0, -2.0, -0.5, -1.5, -1.25, -3.0]}, )json"
        R"json("target": {"shape": [2, 3], "data": [0.25, 0.5, 0.125, 0.0, 0.75, 0.375]}}})json",
        {{},
         {2.0883501025118422},
         {{"input", {-0.25, -0.5, -0.125, 0.0, -0.75, -0.375}},
          {"target", {1.6137056388801094, 2.3068528194400547, -0.57944154167983593, kNaN, 1.96231792754821907,
                  3.0191707469882738}}}},
        kImplUlps);
}

// Legacy reduce=true overrides "sum": mean (numel).
TEST_P(KlDiv, LegacyReduceTrueIsMean) {
  check(R"json({"loss": "kl_div", "dtype": "float32", "options": {"reduction": "sum", "reduce": true, )json"
        R"json("log_target": true}, "inputs": {"input": {"shape": [2, 3], "data": [-2.0, -2.0, -0.5, -1.5, )json"
        R"json(-1.25, -3.0]}, "target": {"shape": [2, 3], "data": [-1.5, -0.5, -2.0, -0.75, 0.25, -1.0]}}})json",
        {{},
         {0.63907167778641732},
         {{"input", {-0.037188360024738305, -0.1010884432854389, -0.022555880539435449, -0.078727758790169118,
                 -0.21400423611462358, -0.061313240195240387}},
          {"target", {0.055782540037107457, 0.25272110821359726, -0.011277940269717724, 0.13777357788279596,
                  0.53501059028655895, 0.18393972058572116}}}},
        kImplUlps);
}

// torch 1.13 quirk: with a legacy flag AND reduction "batchmean", F.kl_div reduces as the flags say
// (size_average=false: sum) and then still divides by input.size(0) because reduction is the string "batchmean":
// sum / 2 here. (core's resolve_problem maps the flags to plain sum, so neither implementation can see this.)
TEST_P(KlDiv, LegacyFlagsWithBatchmeanDivideTwice) {
  check(R"json({"loss": "kl_div", "dtype": "float64", "options": {"reduction": "batchmean", )json"
        R"json("size_average": false}, "inputs": {"input": {"shape": [2, 3], "data": [-2.0, -2.0, -0.5, -1.5, )json"
        R"json(-1.25, -3.0]}, "target": {"shape": [2, 3], "data": [0.25, 0.5, 0.125, 0.0, 0.75, 0.375]}}})json",
        {{},
         {1.0441750512559211},
         {{"input", {-0.125, -0.25, -0.0625, 0.0, -0.375, -0.1875}},
          {"target", {0.80685281944005469, 1.1534264097200273, -0.28972077083991796, kNaN, 0.98115896377410954,
                  1.5095853734941369}}}},
        kImplUlps);
}

// The same quirk with reduce=false: none, every element divided by input.size(0) = 2.
TEST_P(KlDiv, LegacyReduceFalseWithBatchmean) {
  check(R"json({"loss": "kl_div", "dtype": "float64", "options": {"reduction": "batchmean", "reduce": false, )json"
        R"json("log_target": true}, "inputs": {"input": {"shape": [2, 3], "data": [-2.0, -2.0, -0.5, -1.5, )json"
        R"json(-1.25, -3.0]}, "target": {"shape": [2, 3], "data": [-1.5, -0.5, -2.0, -0.75, 0.25, -1.0]}}})json",
        {{2, 3},
         {0.055782540037107457, 0.45489799478447507, -0.101501462427459519, 0.17713745727788052, 0.96301906251580611,
          0.36787944117144232},
         {{"input", {-0.11156508007421491, -0.30326532985631671, -0.067667641618306346, -0.23618327637050735,
                 -0.64201270834387074, -0.18393972058572116}},
          {"target", {0.16734762011132237, 0.75816332464079178, -0.033833820809153173, 0.41332073364838787,
                  1.6050317708596769, 0.55181916175716348}}}},
        kImplUlps);
}

}  // namespace
}  // namespace kl_div_test
