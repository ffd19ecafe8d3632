// Spot tests of binary_cross_entropy against values computed independently of both implementations.
//
// Where the expected values come from: every case below was evaluated exactly, in Python's mpmath at 50 significant
// digits, by the model reproduced at the end of this comment. The model was written from PyTorch 1.13.1's semantics
// (torch.nn.functional, ATen's Loss.cpp / LossNLL.cpp, docs/torch-quirks.md), not from losscheck's code. The inputs of
// a float32 case are the float32 values of its decimals, as the case reader rounds them. The exact results are
// written to 17 significant digits (more only where 17 would not round to the correctly rounded value of the dtype);
// expect_values_near rounds them to float32 for a float32 case. Each case's semantics were also checked against
// torch 1.13.1 run in float64 on the same values; torch is never the source of a value.
// Note: ATen declares `constexpr float EPSILON = 1e-12`, so the gradient clamp is float32(1e-12) =
// 9.999999960041972e-13 even in float64: torch 1.13 gives -1.0000000039958029e12 for x=0, y=1 in float64, and
// so do these expected values.
//
// Error bounds, in ULPs of the case dtype:
//   reference  0  it computes at 256 bits and rounds once to the dtype, so it must give the correctly rounded value
//                 (no expected value here is a rounding tie).
//   impl       kImplUlps = 4. Each value takes a log, a product with y and w, a sum of two terms of the
//                 same sign, and at most 6 more roundings for the reduction: no cancellation in these cases, so
//                 below 8 ULPs in the worst case and about 1 typically; we hold impl to 4.
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
//   def clog(v):  # max(log v, -100): torch clamps the logs before multiplying
//       return max(log(v), mpf(-100)) if v > 0 else mpf(-100)
//   def binary_cross_entropy(x, y, w, red, g):
//       W = np.broadcast_to(w, x.shape) if w is not None else np.full(x.shape, mpf(1), dtype=object)
//       out, G = reduce(ew(lambda a, b, c: -c * (b * clog(a) + (1 - b) * clog(1 - a)), x, y, W), red, g)
//       gx = ew(lambda a, b, c, gg: gg * c * (a - b) / max(a * (1 - a), EPS), x, y, W, G)
//       gy = ew(lambda a, c, gg: gg * c * (log(1 - a) - log(a)), x, W, G)  # not clamped: +-inf at 0 and 1
//       return out, {'input': gx, 'target': gy}

#include <gtest/gtest.h>

#include "losscheck/impl.h"
#include "losscheck/reference.h"
#include "test_util.h"

namespace binary_cross_entropy_test {
namespace {

using namespace losscheck::testing;

constexpr double kImplUlps = 4;

losscheck::loss_result reference_evaluate(const losscheck::loss_case& c) { return losscheck::reference::evaluate(c); }

class BinaryCrossEntropy : public loss_spot_test {};
INSTANTIATE_TEST_SUITE_P(Both, BinaryCrossEntropy,
                         ::testing::Values(implementation_under_test{"reference", reference_evaluate, true},
                                           implementation_under_test{"impl", losscheck::impl::evaluate, false}),
                         implementation_name);

// Elementwise loss without reduction, default grad_output.
TEST_P(BinaryCrossEntropy, NoneFloat32) {
  check(R"json({"loss": "binary_cross_entropy", "dtype": "float32", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [0.25, 0.5, 0.75, 0.125, 0.9, 0.3]}, )json"
        R"json("target": {"shape": [2, 3], "data": [0.0, 1.0, 0.5, 0.75, 1.0, 0.2]}}})json",
        {{2, 3},
         {0.28768207245178093, 0.69314718055994531, 0.83698821678583577, 1.5929640044160076, 0.10536054214877989,
          0.52613452421795044},
         {{"input", {1.3333333333333333, -2.0, 1.3333333333333333, -5.7142857142857143, -1.1111111405455044,
                 0.47619050795258809}},
          {"target", {1.0986122886681097, 0.0, -1.0986122886681097, 1.9459101490553133, -2.1972243124267151,
                  0.8472978036208759}}}},
        kImplUlps);
}

// The clamp branches are exact ties of float32: at x = 1 the loss is 100·(1 − y), at x = 0 it is 100·y, and for these
// targets both products lie exactly halfway between two float32 values (98.692226409912109375 between
// 98.6922225952148 and 98.6922302246094; 8.11856985092163085937 likewise), so the correctly rounded answer is the even
// neighbour. The reference marks such exact values and rounds them as they are instead of raising its precision
// (reference/mp.h, evaluate_rounded). Values: Python's fractions.Fraction on the float32 inputs, rounded to nearest
// even float32 by exhaustive comparison of the neighbours (not losscheck's code); the input gradients are
// (x − y) / float32(1e-12), the target gradients log(1 − x) − log(x) = ∓inf.
TEST_P(BinaryCrossEntropy, ClampBranchTiesRoundToEvenFloat32) {
  check(R"json({"loss": "binary_cross_entropy", "dtype": "float32", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input": {"shape": [2], "data": [1.0, 0.0]}, )json"
        R"json("target": {"shape": [2], "data": [0.013077735900878906, 0.08118569850921631]}}})json",
        {{2},
         {98.69223022460938, 8.118570327758789},
         {{"input", {986922287104.0, -81185701888.0}}, {"target", {-kInf, kInf}}}},
        kImplUlps);
}

// weight of shape (C) = (3) broadcasts over the rows; mean with grad_output 2.
TEST_P(BinaryCrossEntropy, MeanWithClassWeightFloat32) {
  check(R"json({"loss": "binary_cross_entropy", "dtype": "float32", "options": {"reduction": "mean"}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [0.25, 0.5, 0.75, 0.125, 0.9, 0.3]}, )json"
        R"json("target": {"shape": [2, 3], "data": [0.0, 1.0, 0.5, 0.75, 1.0, 0.2]}, "weight": {"shape": [3], )json"
        R"json("data": [0.5, 2.0, 1.5]}}, "grad_output": {"shape": [], "data": [2.0]}})json",
        {{},
         {0.763670432559504},
         {{"input", {0.22222222222222222, -1.3333333333333333, 0.66666666666666667, -0.95238095238095238,
                 -0.74074076036366958, 0.23809525397629404}},
          {"target", {0.18310204811135162, 0.0, -0.54930614433405485, 0.32431835817588555, -1.4648162082844767,
                  0.42364890181043795}}}},
        kImplUlps);
}

// weight of shape (N,1) = (2,1) broadcasts over the columns; sum.
TEST_P(BinaryCrossEntropy, SumWithRowWeightFloat64) {
  check(R"json({"loss": "binary_cross_entropy", "dtype": "float64", "options": {"reduction": "sum"}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [0.25, 0.5, 0.75, 0.125, 0.9, 0.3]}, )json"
        R"json("target": {"shape": [2, 3], "data": [0.0, 1.0, 0.5, 0.75, 1.0, 0.2]}, "weight": {"shape": [2, )json"
        R"json(1], "data": [0.5, 3.0]}}})json",
        {{},
         {7.582285843168802},
         {{"input", {0.66666666666666667, -1.0, 0.66666666666666667, -17.142857142857143, -3.33333333333333325,
                 1.4285714285714283}},
          {"target", {0.54930614433405485, 0.0, -0.54930614433405485, 5.8377304471659399, -6.5916737320086589,
                  2.541893581161611}}}},
        kImplUlps);
}

// No options: mean.
TEST_P(BinaryCrossEntropy, DefaultMeanFloat64) {
  check(R"json({"loss": "binary_cross_entropy", "dtype": "float64", "inputs": {"input": {"shape": [4], )json"
        R"json("data": [0.01, 0.99, 0.6, 0.4]}, "target": {"shape": [4], "data": [1.0, 0.0, 0.3, 0.9]}}})json",
        {{},
         {2.72018394812030654},
         {{"input", {-24.999999999999999, 24.999999999999978, 0.31249999999999998, -0.52083333333333332}},
          {"target", {1.1487799625336475, -1.1487799625336473, -0.10136627702704107, 0.10136627702704107}}}},
        kImplUlps);
}

// The -100 clamp of the logs, applied before multiplying: x=0,y=1 -> 100; x=0,y=0 -> 0; x=1,y=0 -> 100;
// x=1,y=1 -> 0. Input gradient g w (x-y)/max(x(1-x), EPSILON) with ATen's float EPSILON (so (0-1)/float(1e-12) at x=0,
// y=1); target gradient log(1-x) - log(x), not clamped: +inf at x=0, -inf at x=1. Target 2 is accepted (x=0.5).
TEST_P(BinaryCrossEntropy, LogClampAtZeroAndOneFloat64) {
  check(R"json({"loss": "binary_cross_entropy", "dtype": "float64", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input": {"shape": [5], "data": [0.0, 0.0, 1.0, 1.0, 0.5]}, "target": {"shape": [5], )json"
        R"json("data": [1.0, 0.0, 0.0, 1.0, 2.0]}}})json",
        {{5},
         {100.0, 0.0, 100.0, 0.0, 0.69314718055994531},
         {{"input", {-1.0000000039958028e+12, 0.0, 1.0000000039958028e+12, 0.0, -6.0}},
          {"target", {kInf, kInf, -kInf, -kInf, 0.0}}}},
        kImplUlps);
}

// The same corners in float32 with a weight and grad_output.
TEST_P(BinaryCrossEntropy, LogClampWithGradOutputFloat32) {
  check(R"json({"loss": "binary_cross_entropy", "dtype": "float32", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input": {"shape": [5], "data": [0.0, 0.0, 1.0, 1.0, 0.5]}, "target": {"shape": [5], )json"
        R"json("data": [1.0, 0.0, 0.0, 1.0, 2.0]}, "weight": {"shape": [5], "data": [2.0, 0.5, 0.25, 1.0, )json"
        R"json(3.0]}}, "grad_output": {"shape": [5], "data": [0.5, 1.0, -2.0, 1.0, 0.75]}})json",
        {{5},
         {200.0, 0.0, 25.0, 0.0, 2.0794415416798359},
         {{"input", {-1.0000000039958028e+12, 0.0, -5.0000000199790141e+11, 0.0, -13.5}},
          {"target", {kInf, kInf, kInf, -kInf, 0.0}}}},
        kImplUlps);
}

// A clamped element inside a sum: 100 + the rest.
TEST_P(BinaryCrossEntropy, ClampInSumFloat32) {
  check(R"json({"loss": "binary_cross_entropy", "dtype": "float32", "options": {"reduction": "sum"}, )json"
        R"json("inputs": {"input": {"shape": [3], "data": [0.0, 0.3, 0.8]}, "target": {"shape": [3], )json"
        R"json("data": [1.0, 0.4, 1.0]}}})json",
        {{},
         {100.91873762388032},
         {{"input", {-1.0000000039958028e+12, -0.47619043699467925, -1.2499999813735488}},
          {"target", {kInf, 0.8472978036208759, -1.3862944356256983}}}},
        kImplUlps);
}

// Targets 2 and -1 are not checked: the formula applies.
TEST_P(BinaryCrossEntropy, TargetsOutsideUnitInterval) {
  check(R"json({"loss": "binary_cross_entropy", "dtype": "float64", "options": {"reduction": "mean"}, )json"
        R"json("inputs": {"input": {"shape": [3], "data": [0.2, 0.7, 0.45]}, "target": {"shape": [3], )json"
        R"json("data": [2.0, -1.0, 0.5]}}, "grad_output": {"shape": [], "data": [-1.5]}})json",
        {{},
         {1.915058428917942},
         {{"input", {5.6249999999999997, -4.0476190476190472, 0.101010101010100987}},
          {"target", {-0.69314718055994527, 0.4236489301936017, -0.100335347731075558}}}},
        kImplUlps);
}

// Legacy size_average=false: sum.
TEST_P(BinaryCrossEntropy, LegacySizeAverageFalseIsSum) {
  check(R"json({"loss": "binary_cross_entropy", "dtype": "float64", "options": {"size_average": false}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [0.25, 0.5, 0.75, 0.125, 0.9, 0.3]}, )json"
        R"json("target": {"shape": [2, 3], "data": [0.0, 1.0, 0.5, 0.75, 1.0, 0.2]}}})json",
        {{},
         {4.042276505887569},
         {{"input", {1.3333333333333333, -2.0, 1.3333333333333333, -5.7142857142857143, -1.1111111111111111,
                 0.47619047619047609}},
          {"target", {1.0986122886681097, 0.0, -1.0986122886681097, 1.9459101490553133, -2.1972245773362196,
                  0.84729786038720367}}}},
        kImplUlps);
}

// Legacy reduce=false (size_average null) overrides "mean": none.
TEST_P(BinaryCrossEntropy, LegacyReduceFalseIsNone) {
  check(R"json({"loss": "binary_cross_entropy", "dtype": "float32", "options": {"reduction": "mean", )json"
        R"json("size_average": null, "reduce": false}, "inputs": {"input": {"shape": [2, 3], "data": [0.25, )json"
        R"json(0.5, 0.75, 0.125, 0.9, 0.3]}, "target": {"shape": [2, 3], "data": [0.0, 1.0, 0.5, 0.75, 1.0, )json"
        R"json(0.2]}}})json",
        {{2, 3},
         {0.28768207245178093, 0.69314718055994531, 0.83698821678583577, 1.5929640044160076, 0.10536054214877989,
          0.52613452421795044},
         {{"input", {1.3333333333333333, -2.0, 1.3333333333333333, -5.7142857142857143, -1.1111111405455044,
                 0.47619050795258809}},
          {"target", {1.0986122886681097, 0.0, -1.0986122886681097, 1.9459101490553133, -2.1972243124267151,
                  0.8472978036208759}}}},
        kImplUlps);
}

// Input 1.5 is outside [0, 1].
TEST_P(BinaryCrossEntropy, InputAboveOneIsAnError) {
  check_error(R"json({"loss": "binary_cross_entropy", "dtype": "float32", "inputs": {"input": {"shape": [2], )json"
              R"json("data": [0.5, 1.5]}, "target": {"shape": [2], "data": [0.5, 0.5]}}})json",
              "between 0 and 1");
}

// A NaN input is rejected too.
TEST_P(BinaryCrossEntropy, NaNInputIsAnError) {
  check_error(R"json({"loss": "binary_cross_entropy", "dtype": "float64", "inputs": {"input": {"shape": [2], )json"
              R"json("data": ["nan", 0.5]}, "target": {"shape": [2], "data": [0.5, 0.5]}}})json",
              "between 0 and 1");
}

// Input -0.1 is outside [0, 1].
TEST_P(BinaryCrossEntropy, NegativeInputIsAnError) {
  check_error(R"json({"loss": "binary_cross_entropy", "dtype": "float64", "options": {"reduction": "none"}, )json"
              R"json("inputs": {"input": {"shape": [2], "data": [0.5, -0.1]}, "target": {"shape": [2], "data": [0.5, )json"
              R"json(0.5]}}})json",
              "between 0 and 1");
}

// A weight of shape (2) does not broadcast to (2,3).
TEST_P(BinaryCrossEntropy, WeightThatDoesNotBroadcast) {
  check_error(R"json({"loss": "binary_cross_entropy", "dtype": "float32", "inputs": {"input": {"shape": [2, 3], )json"
              R"json("data": [0.25, 0.5, 0.75, 0.125, 0.9, 0.3]}, "target": {"shape": [2, 3], "data": [0.0, 1.0, )json"
              R"json(0.5, 0.75, 1.0, 0.2]}, "weight": {"shape": [2], "data": [1.0, 2.0]}}})json",
              "must broadcast to the target");
}

// The target must have the input's shape (no broadcasting).
TEST_P(BinaryCrossEntropy, TargetShapeMustMatch) {
  check_error(R"json({"loss": "binary_cross_entropy", "dtype": "float32", "inputs": {"input": {"shape": [2, 3], )json"
              R"json("data": [0.25, 0.5, 0.75, 0.125, 0.9, 0.3]}, "target": {"shape": [3], "data": [0.5, 0.5, 0.5]}}})json",
              "must be the same as input size");
}

}  // namespace
}  // namespace binary_cross_entropy_test
