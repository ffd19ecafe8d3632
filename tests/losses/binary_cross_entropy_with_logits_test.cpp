// Spot tests of binary_cross_entropy_with_logits against values computed independently of both implementations.
//
// Where the expected values come from: every case below was evaluated exactly, in Python's mpmath at 50 significant
// digits, by the model reproduced at the end of this comment. The model was written from PyTorch 1.13.1's semantics
// (torch.nn.functional, ATen's Loss.cpp / LossNLL.cpp, docs/torch-quirks.md), not from losscheck's code. The inputs of
// a float32 case are the float32 values of its decimals, as the case reader rounds them. The exact results are
// written to 17 significant digits (more only where 17 would not round to the correctly rounded value of the dtype);
// expect_values_near rounds them to float32 for a float32 case. Each case's semantics were also checked against
// torch 1.13.1 run in float64 on the same values; torch is never the source of a value.
// Note: for large |x| torch 1.13 rounds the tiny losses to 0 (see LargeLogits*); the expected values are exact.
//
// Error bounds, in ULPs of the case dtype:
//   reference  0  it computes at 256 bits and rounds once to the dtype, so it must give the correctly rounded value
//                 (no expected value here is a rounding tie).
//   impl       kImplUlps = 4. Each value is a softplus or sigmoid (one exp, one log1p or division), a few
//                 products and a sum; the cases avoid cancellation between (1-y)x and the softplus term, so the
//                 worst case is below 8 ULPs and the typical error about 1; we hold impl to 4 (which still
//                 rejects log(1 + e^-x) without log1p: that loses all digits at x = 30).
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
//   def softplus(v): return mpmath.log1p(exp(v))
//   def sigmoid(v): return 1 / (1 + exp(-v))
//   def binary_cross_entropy_with_logits(x, y, w, pw, red, g):
//       ones = np.full(x.shape, mpf(1), dtype=object)
//       W = np.broadcast_to(w, x.shape) if w is not None else ones
//       P = np.broadcast_to(pw, x.shape) if pw is not None else ones
//       # -w [p y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))] = w [(1 - y) x + (p y + 1 - y) softplus(-x)]
//       # written without cancellation: for x < 0, (1 - y) x + (p y + 1 - y) softplus(-x) = -p y x + (p y + 1 - y) softplus(x)
//       def elem(a, b, c, p):
//           return c * ((1 - b) * a + (p * b + 1 - b) * softplus(-a) if a >= 0 else -p * b * a + (p * b + 1 - b) * softplus(a))
//       out, G = reduce(ew(elem, x, y, W, P), red, g)
//       # (p y + 1 - y) sigmoid(x) - p y = (1 - y) sigmoid(x) - p y sigmoid(-x)
//       gx = ew(lambda a, b, c, p, gg: gg * c * ((1 - b) * sigmoid(a) - p * b * sigmoid(-a)), x, y, W, P, G)
//       gy = ew(lambda a, c, p, gg: gg * c * (-a + (p - 1) * softplus(-a)), x, W, P, G)
//       return out, {'input': gx, 'target': gy}

#include <gtest/gtest.h>

#include "losscheck/impl.h"
#include "losscheck/reference.h"
#include "test_util.h"

namespace binary_cross_entropy_with_logits_test {
namespace {

using namespace losscheck::testing;

constexpr double kImplUlps = 4;

losscheck::loss_result reference_evaluate(const losscheck::loss_case& c) { return losscheck::reference::evaluate(c); }

class BinaryCrossEntropyWithLogits : public loss_spot_test {};
INSTANTIATE_TEST_SUITE_P(Both, BinaryCrossEntropyWithLogits,
                         ::testing::Values(implementation_under_test{"reference", reference_evaluate, true},
                                           implementation_under_test{"impl", losscheck::impl::evaluate, false}),
                         implementation_name);

// Elementwise loss without reduction, default grad_output.
TEST_P(BinaryCrossEntropyWithLogits, NoneFloat32) {
  check(R"json({"loss": "binary_cross_entropy_with_logits", "dtype": "float32", )json"
        R"json("options": {"reduction": "none"}, "inputs": {"input": {"shape": [2, 3], "data": [0.5, -1.5, )json"
        R"json(2.0, -0.25, 3.0, -4.0]}, "target": {"shape": [2, 3], "data": [0.25, 1.0, 0.0, 0.75, 0.5, 1.0]}}})json",
        {{2, 3},
         {0.84907698418010668, 1.7014132779827524, 2.1269280110429725, 0.76343941987884356, 1.5485873515737421,
          4.0181499279178097},
         {{"input", {0.37245933120185456, -0.81757447619364366, 0.88079707797788244, -0.3121765008857981,
                 0.45257412682243322, -0.98201379003790844}},
          {"target", {-0.5, 1.5, -2.0, 0.25, -3.0, 4.0}}}},
        kImplUlps);
}

// pos_weight (C) = (2) per class and weight (2) broadcast over the rows; no reduction.
TEST_P(BinaryCrossEntropyWithLogits, PosWeightAndWeightNoneFloat64) {
  check(R"json({"loss": "binary_cross_entropy_with_logits", "dtype": "float64", )json"
        R"json("options": {"reduction": "none"}, "inputs": {"input": {"shape": [2, 2], "data": [0.5, -1.5, )json"
        R"json(2.0, -0.25]}, "target": {"shape": [2, 2], "data": [0.25, 1.0, 0.0, 0.75]}, )json"
        R"json("weight": {"shape": [2], "data": [1.5, 0.5]}, "pos_weight": {"shape": [2], "data": [2.0, 0.5]}}})json",
        {{2, 2},
         {1.4513943453377, 0.4253533194956881, 3.1903920165644587, 0.22685606871213861},
         {{"input", {0.41711124600347731, -0.20439361904841091, 1.3211956169668237, -0.050680156526811908}},
          {"target", {-0.038884523729839979, 0.3246466805043119, -2.8096079834355413, -0.081484854969710891}}}},
        kImplUlps);
}

// pos_weight (3) with mean and grad_output 0.5.
TEST_P(BinaryCrossEntropyWithLogits, PosWeightMeanFloat32) {
  check(R"json({"loss": "binary_cross_entropy_with_logits", "dtype": "float32", )json"
        R"json("options": {"reduction": "mean"}, "inputs": {"input": {"shape": [2, 3], "data": [0.5, -1.5, )json"
        R"json(2.0, -0.25, 3.0, -4.0]}, "target": {"shape": [2, 3], "data": [0.25, 1.0, 0.0, 0.75, 0.5, 1.0]}, )json"
        R"json("pos_weight": {"shape": [3], "data": [3.0, 0.25, 1.5]}}, "grad_output": {"shape": [], )json"
        R"json("data": [0.5]}})json",
        {{},
         {2.1997228905193722},
         {{"input", {0.015307416400231821, -0.017032801587367576, 0.07339975649815687, -0.096286771017874605,
                 0.039196569105335063, -0.12275172375473856}},
          {"target", {0.03734616403001778, 0.018661670126077974, -0.16137799953987615, 0.15848990331314059,
                  -0.25303670947335888, 0.50075624699657541}}}},
        kImplUlps);
}

// weight (N,1) = (2,1) and pos_weight (3), summed.
TEST_P(BinaryCrossEntropyWithLogits, RowWeightAndPosWeightSumFloat64) {
  check(R"json({"loss": "binary_cross_entropy_with_logits", "dtype": "float64", )json"
        R"json("options": {"reduction": "sum"}, "inputs": {"input": {"shape": [2, 3], "data": [0.5, -1.5, 2.0, )json"
        R"json(-0.25, 3.0, -4.0]}, "target": {"shape": [2, 3], "data": [0.25, 1.0, 0.0, 0.75, 0.5, 1.0]}, )json"
        R"json("weight": {"shape": [2, 1], "data": [0.25, 2.0]}, "pos_weight": {"shape": [3], "data": [3.0, )json"
        R"json(0.25, 1.5]}}})json",
        {{},
         {20.02948027431703},
         {{"input", {0.045922249200695462, -0.051098404762102729, 0.22019926949447061, -2.3108825044289905,
                 0.94071765852804152, -2.9460413701137253}},
          {"target", {0.11203849209005334, 0.055985010378233923, -0.48413399861962844, 3.8037576795153742,
                  -6.0728810273606131, 12.01814992791781}}}},
        kImplUlps);
}

// Large |x| in float32: log(1 + e^-30) = 9.4e-14 and log(1 + e^-100) = 3.7e-44 (a float32 subnormal) are
// tiny but not zero. torch 1.13 computes them as log(e^-m + e^(-x-m)) + m and returns 0 for both (and 0 for the
// gradient at x = 100): losscheck wants the exact values.
TEST_P(BinaryCrossEntropyWithLogits, LargeLogitsFloat32) {
  check(R"json({"loss": "binary_cross_entropy_with_logits", "dtype": "float32", )json"
        R"json("options": {"reduction": "none"}, "inputs": {"input": {"shape": [6], "data": [30.0, -30.0, )json"
        R"json(100.0, -100.0, 20.0, -30.0]}, "target": {"shape": [6], "data": [1.0, 0.0, 1.0, 0.0, 1.0, 1.0]}}})json",
        {{6},
         {9.3576229688397368e-14, 9.3576229688397368e-14, 3.720075976020836e-44, 3.720075976020836e-44,
          2.0611536203143807e-9, 30.000000000000094},
         {{"input", {-9.357622968839299e-14, 9.357622968839299e-14, -3.720075976020836e-44, 3.720075976020836e-44,
                 -2.0611536181902036e-9, -0.99999999999990642}},
          {"target", {-30.0, 30.0, -100.0, 100.0, -20.0, 30.0}}}},
        kImplUlps);
}

// Large |x| in float64 with a weight, summed: 100 x (1 - 0) ... the sum is dominated by the x = -40, y = 1
// element; the gradients of the saturated elements are tiny but not zero.
TEST_P(BinaryCrossEntropyWithLogits, LargeLogitsFloat64) {
  check(R"json({"loss": "binary_cross_entropy_with_logits", "dtype": "float64", )json"
        R"json("options": {"reduction": "none"}, "inputs": {"input": {"shape": [4], "data": [100.0, -100.0, )json"
        R"json(40.0, -40.0]}, "target": {"shape": [4], "data": [1.0, 0.0, 1.0, 1.0]}, "weight": {"shape": [4], )json"
        R"json("data": [2.0, 0.5, 1.0, 1.0]}}})json",
        {{4},
         {7.4401519520416719e-44, 1.860037988010418e-44, 4.248354255291589e-18, 40.0},
         {{"input", {-7.4401519520416719e-44, 1.860037988010418e-44, -4.248354255291589e-18, -1.0}},
          {"target", {-200.0, 50.0, -40.0, 40.0}}}},
        kImplUlps);
}

// Targets 2 and -0.5 are accepted and computed by the formula.
TEST_P(BinaryCrossEntropyWithLogits, TargetsOutsideUnitInterval) {
  check(R"json({"loss": "binary_cross_entropy_with_logits", "dtype": "float64", )json"
        R"json("options": {"reduction": "sum"}, "inputs": {"input": {"shape": [2], "data": [0.75, -1.25]}, )json"
        R"json("target": {"shape": [2], "data": [2.0, -0.5]}}})json",
        {{},
         {-0.73619991253972717},
         {{"input", {-1.320821300824607, 0.72270013882530885}},
          {"target", {-0.75, 1.25}}}},
        kImplUlps);
}

// Legacy size_average=false, reduce=true: sum.
TEST_P(BinaryCrossEntropyWithLogits, LegacySizeAverageFalseIsSum) {
  check(R"json({"loss": "binary_cross_entropy_with_logits", "dtype": "float32", )json"
        R"json("options": {"size_average": false, "reduce": true}, "inputs": {"input": {"shape": [2, 3], )json"
        R"json("data": [0.5, -1.5, 2.0, -0.25, 3.0, -4.0]}, "target": {"shape": [2, 3], "data": [0.25, 1.0, )json"
        R"json(0.0, 0.75, 0.5, 1.0]}}})json",
        {{},
         {11.007594972576227},
         {{"input", {0.37245933120185456, -0.81757447619364366, 0.88079707797788244, -0.3121765008857981,
                 0.45257412682243322, -0.98201379003790844}},
          {"target", {-0.5, 1.5, -2.0, 0.25, -3.0, 4.0}}}},
        kImplUlps);
}

// Legacy size_average=true overrides "none": mean.
TEST_P(BinaryCrossEntropyWithLogits, LegacySizeAverageTrueIsMean) {
  check(R"json({"loss": "binary_cross_entropy_with_logits", "dtype": "float64", )json"
        R"json("options": {"reduction": "none", "size_average": true}, "inputs": {"input": {"shape": [2, 3], )json"
        R"json("data": [0.5, -1.5, 2.0, -0.25, 3.0, -4.0]}, "target": {"shape": [2, 3], "data": [0.25, 1.0, )json"
        R"json(0.0, 0.75, 0.5, 1.0]}}})json",
        {{},
         {1.8345991620960378},
         {{"input", {0.062076555200309094, -0.13626241269894061, 0.14679951299631374, -0.052029416814299684,
                 0.075429021137072203, -0.163668965006318074}},
          {"target", {-0.083333333333333333, 0.25, -0.33333333333333333, 0.041666666666666667, -0.5, 0.66666666666666667}}}},
        kImplUlps);
}

// pos_weight (2) does not broadcast to (2,3).
TEST_P(BinaryCrossEntropyWithLogits, PosWeightThatDoesNotBroadcast) {
  check_error(R"json({"loss": "binary_cross_entropy_with_logits", "dtype": "float32", )json"
              R"json("inputs": {"input": {"shape": [2, 3], "data": [0.5, -1.5, 2.0, -0.25, 3.0, -4.0]}, )json"
              R"json("target": {"shape": [2, 3], "data": [0.25, 1.0, 0.0, 0.75, 0.5, 1.0]}, )json"
              R"json("pos_weight": {"shape": [2], "data": [1.0, 2.0]}}})json",
              "must broadcast to the target");
}

}  // namespace
}  // namespace binary_cross_entropy_with_logits_test
