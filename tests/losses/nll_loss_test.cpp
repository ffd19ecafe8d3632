// Spot tests of nll_loss against values computed independently of both implementations.
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
//   impl       kImplUlps = 4. Each value is -w[y] x[y] (one rounding) and a reduction of at most 4 terms of
//                 one sign plus a division: at most ~6 roundings without cancellation, so below 6 ULPs in the
//                 worst case and about 1 typically; we hold impl to 4.
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
//   def class_rows(x):
//       """(position, list of input indices of its C logits) for (C), (N, C) or (N, C, d1..dk)."""
//       if x.ndim == 1: return [((), [(c,) for c in range(x.shape[0])])]
//       rows = []
//       for n in range(x.shape[0]):
//           for k in np.ndindex(*x.shape[2:]):
//               rows.append(((n,) + k, [(n, c) + k for c in range(x.shape[1])]))
//       return rows
//   def nll_loss(x, t, w, red, g, ignore_index=-100):
//       C = x.shape[0] if x.ndim == 1 else x.shape[1]
//       wv = [mpf(1)] * C if w is None else list(w.flat)
//       none, denom = np.empty(t.shape, dtype=object), mpf(0)
//       rows = class_rows(x)
//       for pos, idx in rows:
//           y = int(t[pos])
//           if y == ignore_index: none[pos] = mpf(0); continue
//           if not 0 <= y < C: raise ValueError(f'Target {y} is out of bounds.')
//           none[pos] = -wv[y] * x[idx[y]]
//           denom += wv[y]
//       out, G = reduce(none, red, g, denom if red == 'mean' else None)
//       gx = np.full(x.shape, mpf(0), dtype=object)
//       for pos, idx in rows:
//           y = int(t[pos])
//           if y != ignore_index: gx[idx[y]] = G[pos] * -wv[y]
//       return out, {'input': gx}

#include <gtest/gtest.h>

#include "losscheck/impl.h"
#include "losscheck/reference.h"
#include "test_util.h"

namespace nll_loss_test {
namespace {

using namespace losscheck::testing;

constexpr double kImplUlps = 4;

losscheck::loss_result reference_evaluate(const losscheck::loss_case& c) { return losscheck::reference::evaluate(c); }

class NllLoss : public loss_spot_test {};
INSTANTIATE_TEST_SUITE_P(Both, NllLoss,
                         ::testing::Values(implementation_under_test{"reference", reference_evaluate, true},
                                           implementation_under_test{"impl", losscheck::impl::evaluate, false}),
                         implementation_name);

// Input (C) with a 0-D target: -x[y].
TEST_P(NllLoss, UnbatchedWithScalarTarget) {
  check(R"json({"loss": "nll_loss", "dtype": "float32", "inputs": {"input": {"shape": [4], "data": [-0.5, )json"
        R"json(-1.25, -3.0, -0.75]}, "target": {"shape": [], "dtype": "int64", "data": [2]}}})json",
        {{},
         {3.0},
         {{"input", {0.0, 0.0, -1.0, 0.0}}}},
        kImplUlps);
}

// (N,C) = (3,4), mean over rows.
TEST_P(NllLoss, BatchedMeanFloat64) {
  check(R"json({"loss": "nll_loss", "dtype": "float64", "inputs": {"input": {"shape": [3, 4], "data": [-0.5, )json"
        R"json(-1.25, -3.0, -0.75, -1.0, -2.0, -0.125, -0.25, -0.375, -1.75, -1.5, -2.5]}, )json"
        R"json("target": {"shape": [3], "dtype": "int64", "data": [1, 3, 0]}}})json",
        {{},
         {0.625},
         {{"input", {0.0, -0.33333333333333333, 0.0, 0.0, 0.0, 0.0, 0.0, -0.33333333333333333, -0.33333333333333333, 0.0,
                 0.0, 0.0}}}},
        kImplUlps);
}

// Weighted mean: sum of -w[y] x[y] over sum of w[y]; grad_output -2.
TEST_P(NllLoss, WeightedMeanWithGradOutput) {
  check(R"json({"loss": "nll_loss", "dtype": "float32", "options": {"reduction": "mean"}, )json"
        R"json("inputs": {"input": {"shape": [3, 4], "data": [-0.5, -1.25, -3.0, -0.75, -1.0, -2.0, -0.125, )json"
        R"json(-0.25, -0.375, -1.75, -1.5, -2.5]}, "target": {"shape": [3], "dtype": "int64", "data": [1, 3, )json"
        R"json(0]}, "weight": {"shape": [4], "data": [1.0, 2.0, 0.5, 1.5]}}, "grad_output": {"shape": [], )json"
        R"json("data": [-2.0]}})json",
        {{},
         {0.72222222222222222},
         {{"input", {0.0, 0.88888888888888889, 0.0, 0.0, 0.0, 0.0, 0.0, 0.66666666666666667, 0.44444444444444444, 0.0,
                 0.0, 0.0}}}},
        kImplUlps);
}

// Weighted, no reduction, grad_output (3).
TEST_P(NllLoss, WeightedNone) {
  check(R"json({"loss": "nll_loss", "dtype": "float64", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input": {"shape": [3, 4], "data": [-0.5, -1.25, -3.0, -0.75, -1.0, -2.0, -0.125, )json"
        R"json(-0.25, -0.375, -1.75, -1.5, -2.5]}, "target": {"shape": [3], "dtype": "int64", "data": [1, 3, )json"
        R"json(0]}, "weight": {"shape": [4], "data": [1.0, 2.0, 0.5, 1.5]}}, "grad_output": {"shape": [3], )json"
        R"json("data": [0.5, 1.0, -3.0]}})json",
        {{3},
         {2.5, 0.375, 0.375},
         {{"input", {0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.5, 3.0, 0.0, 0.0, 0.0}}}},
        kImplUlps);
}

// K-dim (2,3,2) input with a (2,2) target and grad_output.
TEST_P(NllLoss, KDimNoneWithGradOutput) {
  check(R"json({"loss": "nll_loss", "dtype": "float32", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input": {"shape": [2, 3, 2], "data": [-0.5, -1.0, -2.0, -0.25, -0.75, -1.5, -1.0, )json"
        R"json(-0.125, -2.25, -3.0, -0.5, -0.625]}, "target": {"shape": [2, 2], "dtype": "int64", "data": [2, )json"
        R"json(0, 1, 1]}}, "grad_output": {"shape": [2, 2], "data": [1.0, 0.5, -1.0, 2.0]}})json",
        {{2, 2},
         {0.75, 1.0, 2.25, 3.0},
         {{"input", {0.0, -0.5, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 1.0, -2.0, 0.0, 0.0}}}},
        kImplUlps);
}

// K-dim input, weighted mean.
TEST_P(NllLoss, KDimWeightedMean) {
  check(R"json({"loss": "nll_loss", "dtype": "float64", "inputs": {"input": {"shape": [2, 3, 2], )json"
        R"json("data": [-0.5, -1.0, -2.0, -0.25, -0.75, -1.5, -1.0, -0.125, -2.25, -3.0, -0.5, -0.625]}, )json"
        R"json("target": {"shape": [2, 2], "dtype": "int64", "data": [2, 0, 1, 1]}, "weight": {"shape": [3], )json"
        R"json("data": [0.5, 2.0, 1.25]}}})json",
        {{},
         {2.0760869565217391},
         {{"input", {0.0, -0.086956521739130435, 0.0, 0.0, -0.21739130434782609, 0.0, 0.0, 0.0, -0.34782608695652174,
                 -0.34782608695652174, 0.0, 0.0}}}},
        kImplUlps);
}

// ignore_index = -3: that row is skipped; the weighted mean divides by the other rows' weights.
TEST_P(NllLoss, NegativeIgnoreIndexWeighted) {
  check(R"json({"loss": "nll_loss", "dtype": "float64", "options": {"ignore_index": -3}, )json"
        R"json("inputs": {"input": {"shape": [3, 4], "data": [-0.5, -1.25, -3.0, -0.75, -1.0, -2.0, -0.125, )json"
        R"json(-0.25, -0.375, -1.75, -1.5, -2.5]}, "target": {"shape": [3], "dtype": "int64", "data": [2, -3, )json"
        R"json(1]}, "weight": {"shape": [4], "data": [1.0, 2.0, 0.5, 1.5]}}})json",
        {{},
         {2.0},
         {{"input", {0.0, 0.0, -0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.8, 0.0, 0.0}}}},
        kImplUlps);
}

// ignore_index = 0 (a valid class); sum.
TEST_P(NllLoss, IgnoreIndexInRangeSum) {
  check(R"json({"loss": "nll_loss", "dtype": "float32", "options": {"ignore_index": 0, "reduction": "sum"}, )json"
        R"json("inputs": {"input": {"shape": [3, 4], "data": [-0.5, -1.25, -3.0, -0.75, -1.0, -2.0, -0.125, )json"
        R"json(-0.25, -0.375, -1.75, -1.5, -2.5]}, "target": {"shape": [3], "dtype": "int64", "data": [0, 3, )json"
        R"json(2]}}})json",
        {{},
         {1.75},
         {{"input", {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, -1.0, 0.0}}}},
        kImplUlps);
}

// ignore_index = 4 = C: skipped before the bounds check.
TEST_P(NllLoss, IgnoreIndexBeyondClasses) {
  check(R"json({"loss": "nll_loss", "dtype": "float64", "options": {"ignore_index": 4}, )json"
        R"json("inputs": {"input": {"shape": [3, 4], "data": [-0.5, -1.25, -3.0, -0.75, -1.0, -2.0, -0.125, )json"
        R"json(-0.25, -0.375, -1.75, -1.5, -2.5]}, "target": {"shape": [3], "dtype": "int64", "data": [4, 3, )json"
        R"json(4]}}})json",
        {{},
         {0.25},
         {{"input", {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0}}}},
        kImplUlps);
}

// All targets ignored: mean NaN, gradient 0.
TEST_P(NllLoss, AllIgnoredMeanIsNaN) {
  check(R"json({"loss": "nll_loss", "dtype": "float64", "options": {"ignore_index": 2}, )json"
        R"json("inputs": {"input": {"shape": [2, 4], "data": [-0.5, -1.25, -3.0, -0.75, -1.0, -2.0, -0.125, )json"
        R"json(-0.25]}, "target": {"shape": [2], "dtype": "int64", "data": [2, 2]}}})json",
        {{},
         {kNaN},
         {{"input", {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0}}}},
        kImplUlps);
}

// All targets ignored: sum 0, gradient 0.
TEST_P(NllLoss, AllIgnoredSumIsZero) {
  check(R"json({"loss": "nll_loss", "dtype": "float32", "options": {"reduction": "sum"}, )json"
        R"json("inputs": {"input": {"shape": [2, 4], "data": [-0.5, -1.25, -3.0, -0.75, -1.0, -2.0, -0.125, )json"
        R"json(-0.25]}, "target": {"shape": [2], "dtype": "int64", "data": [-100, -100]}}})json",
        {{},
         {0.0},
         {{"input", {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0}}}},
        kImplUlps);
}

// Weights 0 for every target: mean 0/0 = NaN; the gradient at the targets is (-g/0) * 0 = NaN, 0
// elsewhere (torch 1.13).
TEST_P(NllLoss, TotalWeightZeroMeanIsNaN) {
  check(R"json({"loss": "nll_loss", "dtype": "float64", "inputs": {"input": {"shape": [2, 4], "data": [-0.5, )json"
        R"json(-1.25, -3.0, -0.75, -1.0, -2.0, -0.125, -0.25]}, "target": {"shape": [2], "dtype": "int64", )json"
        R"json("data": [0, 0]}, "weight": {"shape": [4], "data": [0.0, 1.0, 2.0, 1.0]}}})json",
        {{},
         {kNaN},
         {{"input", {kNaN, 0.0, 0.0, 0.0, kNaN, 0.0, 0.0, 0.0}}}},
        kImplUlps);
}

// Weights 0 for every target, sum: 0 and a zero gradient.
TEST_P(NllLoss, TotalWeightZeroSumIsZero) {
  check(R"json({"loss": "nll_loss", "dtype": "float32", "options": {"reduction": "sum"}, )json"
        R"json("inputs": {"input": {"shape": [2, 4], "data": [-0.5, -1.25, -3.0, -0.75, -1.0, -2.0, -0.125, )json"
        R"json(-0.25]}, "target": {"shape": [2], "dtype": "int64", "data": [0, 0]}, "weight": {"shape": [4], )json"
        R"json("data": [0.0, 1.0, 2.0, 1.0]}}})json",
        {{},
         {0.0},
         {{"input", {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0}}}},
        kImplUlps);
}

// nll_loss does not check that its input is log-probabilities (positive values).
TEST_P(NllLoss, InputNotCheckedForLogProbabilities) {
  check(R"json({"loss": "nll_loss", "dtype": "float64", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [2.0, -0.5, 7.25, 0.0, 1.5, -3.0]}, )json"
        R"json("target": {"shape": [2], "dtype": "int64", "data": [2, 1]}}})json",
        {{2},
         {-7.25, -1.5},
         {{"input", {0.0, 0.0, -1.0, 0.0, -1.0, 0.0}}}},
        kImplUlps);
}

// Legacy size_average=false with weights: the plain weighted sum.
TEST_P(NllLoss, LegacySizeAverageFalseIsSum) {
  check(R"json({"loss": "nll_loss", "dtype": "float64", "options": {"size_average": false}, )json"
        R"json("inputs": {"input": {"shape": [3, 4], "data": [-0.5, -1.25, -3.0, -0.75, -1.0, -2.0, -0.125, )json"
        R"json(-0.25, -0.375, -1.75, -1.5, -2.5]}, "target": {"shape": [3], "dtype": "int64", "data": [1, 3, )json"
        R"json(0]}, "weight": {"shape": [4], "data": [1.0, 2.0, 0.5, 1.5]}}})json",
        {{},
         {3.25},
         {{"input", {0.0, -2.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.5, -1.0, 0.0, 0.0, 0.0}}}},
        kImplUlps);
}

// Legacy reduce=false overrides "sum".
TEST_P(NllLoss, LegacyReduceFalseIsNone) {
  check(R"json({"loss": "nll_loss", "dtype": "float32", "options": {"reduction": "sum", "reduce": false}, )json"
        R"json("inputs": {"input": {"shape": [3, 4], "data": [-0.5, -1.25, -3.0, -0.75, -1.0, -2.0, -0.125, )json"
        R"json(-0.25, -0.375, -1.75, -1.5, -2.5]}, "target": {"shape": [3], "dtype": "int64", "data": [1, 3, )json"
        R"json(0]}}})json",
        {{3},
         {1.25, 0.25, 0.375},
         {{"input", {0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0, -1.0, 0.0, 0.0, 0.0}}}},
        kImplUlps);
}

// Target 4 with 4 classes.
TEST_P(NllLoss, TargetOutOfBounds) {
  check_error(R"json({"loss": "nll_loss", "dtype": "float64", "inputs": {"input": {"shape": [2, 4], "data": [-0.5, )json"
              R"json(-1.25, -3.0, -0.75, -1.0, -2.0, -0.125, -0.25]}, "target": {"shape": [2], "dtype": "int64", )json"
              R"json("data": [4, 0]}}})json",
              "out of bounds");
}

// Target -2 (ignore_index -1).
TEST_P(NllLoss, NegativeTargetOutOfBounds) {
  check_error(R"json({"loss": "nll_loss", "dtype": "float32", "options": {"ignore_index": -1}, )json"
              R"json("inputs": {"input": {"shape": [2, 4], "data": [-0.5, -1.25, -3.0, -0.75, -1.0, -2.0, -0.125, )json"
              R"json(-0.25]}, "target": {"shape": [2], "dtype": "int64", "data": [-1, -2]}}})json",
              "out of bounds");
}

// Weight of 5 values for 4 classes.
TEST_P(NllLoss, WrongWeightSize) {
  check_error(R"json({"loss": "nll_loss", "dtype": "float32", "inputs": {"input": {"shape": [2, 4], "data": [-0.5, )json"
              R"json(-1.25, -3.0, -0.75, -1.0, -2.0, -0.125, -0.25]}, "target": {"shape": [2], "dtype": "int64", )json"
              R"json("data": [1, 3]}, "weight": {"shape": [5], "data": [1.0, 1.0, 1.0, 1.0, 1.0]}}})json",
              "weight tensor should be defined either for all 4 classes or no classes");
}

// Target (2,1) for input (2,4).
TEST_P(NllLoss, TargetWithWrongShape) {
  check_error(R"json({"loss": "nll_loss", "dtype": "float32", "inputs": {"input": {"shape": [2, 4], "data": [-0.5, )json"
              R"json(-1.25, -3.0, -0.75, -1.0, -2.0, -0.125, -0.25]}, "target": {"shape": [2, 1], "dtype": "int64", )json"
              R"json("data": [1, 3]}}})json",
              "expected target of shape [2]");
}

// A float target is not a class index.
TEST_P(NllLoss, FloatTarget) {
  check_error(R"json({"loss": "nll_loss", "dtype": "float32", "inputs": {"input": {"shape": [2, 4], "data": [-0.5, )json"
              R"json(-1.25, -3.0, -0.75, -1.0, -2.0, -0.125, -0.25]}, "target": {"shape": [2], "data": [1.0, 3.0]}}})json",
              "int64");
}

}  // namespace
}  // namespace nll_loss_test
