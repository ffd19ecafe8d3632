// Spot tests of cross_entropy against values computed independently of both implementations.
//
// Where the expected values come from: every case below was evaluated exactly, in Python's mpmath at 50 significant
// digits, by the model reproduced at the end of this comment. The model was written from PyTorch 1.13.1's semantics
// (torch.nn.functional, ATen's Loss.cpp / LossNLL.cpp, docs/torch-quirks.md), not from losscheck's code. The inputs of
// a float32 case are the float32 values of its decimals, as the case reader rounds them. The exact results are
// written to 17 significant digits (more only where 17 would not round to the correctly rounded value of the dtype);
// expect_values_near rounds them to float32 for a float32 case. Each case's semantics were also checked against
// torch 1.13.1 run in float64 on the same values; torch is never the source of a value.
// Label smoothing semantics (incl. weights with an ignored row) were checked against torch 1.13.1: mean divides
// both terms by the sum of w[y] over non-ignored rows, and ignored rows get neither term.
//
// Error bounds, in ULPs of the case dtype:
//   reference  0  it computes at 256 bits and rounds once to the dtype, so it must give the correctly rounded value
//                 (no expected value here is a rounding tie).
//   impl       kImplUlps = 8. A log-sum-exp over at most 4 logits (max-shifted), a subtraction, products by
//                 weights and a reduction over at most 4 positions. Logits lie in [-2, 3], and no target class
//                 has p > 0.8, so no loss or p - 1 cancels; but log p_c = x_c - lse carries an absolute error of
//                 about u |lse| <= 3u, which becomes the relative error of p_c = exp(log p_c) (up to ~3 ULPs before
//                 the few roundings after it: torch itself is off by up to 5 ULPs here); we hold impl to 8.
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
//   def log_softmax(v):
//       m = max(v); lse = m + log(sum((exp(e - m) for e in v), mpf(0)))
//       return [e - lse for e in v]
//   def class_rows(x):
//       """(position, list of input indices of its C logits) for (C), (N, C) or (N, C, d1..dk)."""
//       if x.ndim == 1: return [((), [(c,) for c in range(x.shape[0])])]
//       rows = []
//       for n in range(x.shape[0]):
//           for k in np.ndindex(*x.shape[2:]):
//               rows.append(((n,) + k, [(n, c) + k for c in range(x.shape[1])]))
//       return rows
//   def cross_entropy(x, t, w, red, g, ignore_index=-100, label_smoothing=0.0):
//       C = x.shape[0] if x.ndim == 1 else x.shape[1]
//       wv = [mpf(1)] * C if w is None else list(w.flat)
//       eps = mpf(label_smoothing) if label_smoothing > 0 else mpf(0)
//       rows = class_rows(x)
//       if t.shape == x.shape:  # probability targets: mean divides by N d1..dk (not by weights)
//           none = np.empty(() if x.ndim == 1 else (x.shape[0],) + x.shape[2:], dtype=object)
//           for pos, idx in rows:
//               lp = log_softmax([x[i] for i in idx])
//               tp = [t[i] * (1 - eps) + eps / C for i in idx]
//               none[pos] = -sum((wv[c] * tp[c] * lp[c] for c in range(C)), mpf(0))
//           out, G = reduce(none, red, g)
//           gx, gt, gw = np.empty(x.shape, dtype=object), np.empty(x.shape, dtype=object), [mpf(0)] * C
//           for pos, idx in rows:
//               lp = log_softmax([x[i] for i in idx])
//               tp = [t[i] * (1 - eps) + eps / C for i in idx]
//               s = sum((wv[c] * tp[c] for c in range(C)), mpf(0))
//               for c, i in enumerate(idx):
//                   gx[i] = G[pos] * (s * exp(lp[c]) - wv[c] * tp[c])
//                   gt[i] = G[pos] * (-wv[c] * lp[c]) * (1 - eps)
//                   gw[c] += G[pos] * (-tp[c] * lp[c])
//           grads = {'input': gx, 'target': gt}
//           if w is not None: grads['weight'] = np.array(gw, dtype=object)
//           return out, grads
//       # class indices: l = (1 - eps) w[y] (-lp[y]) + eps/C sum_c w_c (-lp[c]); mean divides by sum of w[y]
//       none = np.empty(t.shape, dtype=object)
//       denom = mpf(0)
//       for pos, idx in rows:
//           y = int(t[pos])
//           if y == ignore_index: none[pos] = mpf(0); continue
//           if not 0 <= y < C: raise ValueError(f'Target {y} is out of bounds.')
//           lp = log_softmax([x[i] for i in idx])
//           none[pos] = (1 - eps) * (-wv[y] * lp[y]) + eps / C * sum((-wv[c] * lp[c] for c in range(C)), mpf(0))
//           denom += wv[y]
//       out, G = reduce(none, red, g, denom if red == 'mean' else None)
//       gx = np.full(x.shape, mpf(0), dtype=object)
//       W = sum(wv, mpf(0))
//       for pos, idx in rows:
//           y = int(t[pos])
//           if y == ignore_index: continue
//           lp = log_softmax([x[i] for i in idx])
//           for c, i in enumerate(idx):
//               p = exp(lp[c])  # the two terms are multiplied by G separately, as autograd does (NaN when G = inf)
//               gx[i] = G[pos] * ((1 - eps) * wv[y] * (p - (c == y)))
//               if eps: gx[i] += G[pos] * (eps / C * (W * p - wv[c]))
//       return out, {'input': gx}

#include <gtest/gtest.h>

#include "losscheck/impl.h"
#include "losscheck/reference.h"
#include "test_util.h"

namespace cross_entropy_test {
namespace {

using namespace losscheck::testing;

constexpr double kImplUlps = 8;

losscheck::loss_result reference_evaluate(const losscheck::loss_case& c) { return losscheck::reference::evaluate(c); }

class CrossEntropy : public loss_spot_test {};
INSTANTIATE_TEST_SUITE_P(Both, CrossEntropy,
                         ::testing::Values(implementation_under_test{"reference", reference_evaluate, true},
                                           implementation_under_test{"impl", losscheck::impl::evaluate, false}),
                         implementation_name);

// Input (C) = (4) with a 0-D target: the output is 0-D and mean = the one loss.
TEST_P(CrossEntropy, UnbatchedWithScalarTarget) {
  check(R"json({"loss": "cross_entropy", "dtype": "float32", "inputs": {"input": {"shape": [4], "data": [0.5, )json"
        R"json(-1.25, 1.5, 0.0]}, "target": {"shape": [], "dtype": "int64", "data": [1]}}})json",
        {{},
         {3.2537632211220766},
         {{"input", {0.22229205000278605, -0.96137143387333234, 0.60425244013348277, 0.13482694373706352}}}},
        kImplUlps);
}

// (N,C) = (2,4), mean over the rows.
TEST_P(CrossEntropy, BatchedMeanFloat64) {
  check(R"json({"loss": "cross_entropy", "dtype": "float64", "options": {"reduction": "mean"}, )json"
        R"json("inputs": {"input": {"shape": [2, 4], "data": [0.5, -1.25, 1.5, 0.0, 1.0, 2.0, -1.5, 0.25]}, )json"
        R"json("target": {"shape": [2], "dtype": "int64", "data": [1, 3]}}})json",
        {{},
         {2.7280084896766221},
         {{"input", {0.11114602500139302, -0.48068571693666617, 0.30212622006674139, 0.067413471868531759,
                 0.11702110933507406, 0.31809635505165096, 9.6056775987366647e-3, -0.44472314198546169}}}},
        kImplUlps);
}

// Class weights: mean = sum of w[y] l / sum of w[y] (a weighted mean); grad_output 1.5.
TEST_P(CrossEntropy, WeightedMeanFloat32) {
  check(R"json({"loss": "cross_entropy", "dtype": "float32", "options": {"reduction": "mean"}, )json"
        R"json("inputs": {"input": {"shape": [3, 4], "data": [0.5, -1.25, 1.5, 0.0, 1.0, 2.0, -1.5, 0.25, )json"
        R"json(-0.5, 0.75, 1.5, -2.0]}, "target": {"shape": [3], "dtype": "int64", "data": [0, 3, 1]}, )json"
        R"json("weight": {"shape": [4], "data": [1.0, 2.0, 0.5, 1.5]}}, "grad_output": {"shape": [], )json"
        R"json("data": [1.5]}})json",
        {{},
         {1.6208828382909298},
         {{"input", {-0.25923598333240465, 0.012876188708889221, 0.20141748004449426, 0.044942314579021173,
                 0.11702110933507406, 0.31809635505165096, 9.6056775987366647e-3, -0.44472314198546169,
                 0.055084904546688604, -0.47440145801967433, 0.40702544989972213, 0.012291103573263599}}}},
        kImplUlps);
}

// Class weights without reduction; grad_output (3).
TEST_P(CrossEntropy, WeightedNoneWithGradOutput) {
  check(R"json({"loss": "cross_entropy", "dtype": "float64", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input": {"shape": [3, 4], "data": [0.5, -1.25, 1.5, 0.0, 1.0, 2.0, -1.5, 0.25, )json"
        R"json(-0.5, 0.75, 1.5, -2.0]}, "target": {"shape": [3], "dtype": "int64", "data": [0, 3, 1]}, )json"
        R"json("weight": {"shape": [4], "data": [1.0, 2.0, 0.5, 1.5]}}, "grad_output": {"shape": [3], )json"
        R"json("data": [1.0, -0.5, 2.0]}})json",
        {{3},
         {1.5037632211220766, 3.3033806373467513, 2.48682891384035608},
         {{"input", {-0.77770794999721395, 0.038628566126667663, 0.60425244013348277, 0.13482694373706352,
                 -0.17553166400261109, -0.47714453257747645, -0.014408516398104997, 0.66708471297819254,
                 0.33050942728013162, -2.846408748118046, 2.4421526993983328, 0.073746621439581591}}}},
        kImplUlps);
}

// K-dimensional input (N,C,d1) = (2,3,2) with target (2,2); grad_output (2,2).
TEST_P(CrossEntropy, KDimNoneWithGradOutput) {
  check(R"json({"loss": "cross_entropy", "dtype": "float32", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input": {"shape": [2, 3, 2], "data": [0.5, -1.0, 2.0, 0.25, -0.75, 1.5, 1.0, 0.0, )json"
        R"json(-2.0, 3.0, 0.5, -0.5]}, "target": {"shape": [2, 2], "dtype": "int64", "data": [2, 0, 1, 0]}}, )json"
        R"json("grad_output": {"shape": [2, 2], "data": [1.0, 0.5, -1.0, 2.0]}})json",
        {{2, 2},
         {3.0023590102358224, 2.813780863337258, 3.5045969023422835, 3.076946644541926},
         {{"input", {0.1733644920789951, -0.47001110234244286, 0.77696574933514237, 0.10467153774109847,
                 -0.95033024141413747, 0.36533956460134439, -0.60374889614862578, -1.907800397893994,
                 0.96994111243042598, 1.8518785124033958, -0.3661922162818002, 0.055921885490598151}}}},
        kImplUlps);
}

// K-dimensional input with class weights: weighted mean over the 4 positions.
TEST_P(CrossEntropy, KDimWeightedMean) {
  check(R"json({"loss": "cross_entropy", "dtype": "float64", "options": {"reduction": "mean"}, )json"
        R"json("inputs": {"input": {"shape": [2, 3, 2], "data": [0.5, -1.0, 2.0, 0.25, -0.75, 1.5, 1.0, 0.0, )json"
        R"json(-2.0, 3.0, 0.5, -0.5]}, "target": {"shape": [2, 2], "dtype": "int64", "data": [2, 0, 1, 0]}, )json"
        R"json("weight": {"shape": [3], "data": [0.5, 2.0, 1.25]}}})json",
        {{},
         {3.2252956050397499},
         {{"input", {0.0509895564938220893, -0.11059084760998656, 0.22851933803974776, 0.0246285971155525817,
                 -0.27950889453356984, 0.085962250494433974, 0.28411712759935331, -0.11222355281729376,
                 -0.45644287643784752, 0.10893403014137622, 0.17232574883849421, 3.2895226759175383e-3}}}},
        kImplUlps);
}

// ignore_index = -1: the row with target -1 is skipped (not out of bounds), and the mean divides by 2.
TEST_P(CrossEntropy, NegativeIgnoreIndex) {
  check(R"json({"loss": "cross_entropy", "dtype": "float64", "options": {"ignore_index": -1}, )json"
        R"json("inputs": {"input": {"shape": [3, 4], "data": [0.5, -1.25, 1.5, 0.0, 1.0, 2.0, -1.5, 0.25, )json"
        R"json(-0.5, 0.75, 1.5, -2.0]}, "target": {"shape": [3], "dtype": "int64", "data": [1, -1, 0]}}})json",
        {{},
         {2.8735888390211273},
         {{"input", {0.11114602500139302, -0.48068571693666617, 0.30212622006674139, 0.067413471868531759, 0.0, 0.0, 0.0,
                 0.0, -0.45868632158998355, 0.14419890648524425, 0.3052690874247916, 9.2183276799476989e-3}}}},
        kImplUlps);
}

// ignore_index = 3, a valid class: rows with target 3 are skipped; weighted mean over the others.
TEST_P(CrossEntropy, IgnoreIndexInRangeWeighted) {
  check(R"json({"loss": "cross_entropy", "dtype": "float32", "options": {"ignore_index": 3}, )json"
        R"json("inputs": {"input": {"shape": [3, 4], "data": [0.5, -1.25, 1.5, 0.0, 1.0, 2.0, -1.5, 0.25, )json"
        R"json(-0.5, 0.75, 1.5, -2.0]}, "target": {"shape": [3], "dtype": "int64", "data": [3, 1, 0]}, )json"
        R"json("weight": {"shape": [4], "data": [1.0, 2.0, 0.5, 1.5]}}})json",
        {{},
         {1.132640657794171},
         {{"input", {0.0, 0.0, 0.0, 0.0, 0.15602814578009875, -0.24253819326446538, 0.012807570131648886,
                 0.073702477352717746, -0.30579088105998903, 0.096132604323496167, 0.20351272494986107,
                 6.1455517866317993e-3}}}},
        kImplUlps);
}

// ignore_index = 7 >= C: a target 7 is skipped before the bounds check; sum.
TEST_P(CrossEntropy, IgnoreIndexBeyondClassesSum) {
  check(R"json({"loss": "cross_entropy", "dtype": "float64", "options": {"ignore_index": 7, )json"
        R"json("reduction": "sum"}, "inputs": {"input": {"shape": [3, 4], "data": [0.5, -1.25, 1.5, 0.0, 1.0, )json"
        R"json(2.0, -1.5, 0.25, -0.5, 0.75, 1.5, -2.0]}, "target": {"shape": [3], "dtype": "int64", )json"
        R"json("data": [7, 1, 2]}}})json",
        {{},
         {0.94566821515134559},
         {{"input", {0.0, 0.0, 0.0, 0.0, 0.23404221867014812, -0.36380728989669807, 0.019211355197473329,
                 0.11055371602907662, 0.082627356820032905, 0.2883978129704885, -0.389461825150416803,
                 0.018436655359895398}}}},
        kImplUlps);
}

// Every target ignored: mean is NaN (0/0), gradients are 0.
TEST_P(CrossEntropy, AllIgnoredMeanIsNaN) {
  check(R"json({"loss": "cross_entropy", "dtype": "float32", "options": {"ignore_index": 1}, )json"
        R"json("inputs": {"input": {"shape": [2, 4], "data": [0.5, -1.25, 1.5, 0.0, 1.0, 2.0, -1.5, 0.25]}, )json"
        R"json("target": {"shape": [2], "dtype": "int64", "data": [1, 1]}}})json",
        {{},
         {kNaN},
         {{"input", {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0}}}},
        kImplUlps);
}

// Every target ignored (the default -100): sum is 0, gradients are 0.
TEST_P(CrossEntropy, AllIgnoredSumIsZero) {
  check(R"json({"loss": "cross_entropy", "dtype": "float64", "options": {"reduction": "sum"}, )json"
        R"json("inputs": {"input": {"shape": [2, 4], "data": [0.5, -1.25, 1.5, 0.0, 1.0, 2.0, -1.5, 0.25]}, )json"
        R"json("target": {"shape": [2], "dtype": "int64", "data": [-100, -100]}}})json",
        {{},
         {0.0},
         {{"input", {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0}}}},
        kImplUlps);
}

// Every target ignored with label smoothing: mean NaN, gradients 0 (no smoothing leaks in).
TEST_P(CrossEntropy, AllIgnoredWithLabelSmoothing) {
  check(R"json({"loss": "cross_entropy", "dtype": "float64", "options": {"ignore_index": 0, )json"
        R"json("label_smoothing": 0.1}, "inputs": {"input": {"shape": [2, 4], "data": [0.5, -1.25, 1.5, 0.0, )json"
        R"json(1.0, 2.0, -1.5, 0.25]}, "target": {"shape": [2], "dtype": "int64", "data": [0, 0]}}})json",
        {{},
         {kNaN},
         {{"input", {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0}}}},
        kImplUlps);
}

// Non-ignored targets whose weights are all 0: mean is 0/0 = NaN and the gradient is NaN in every
// element of those rows (g / 0 = inf times 0 in the nll backward, spread by the log_softmax backward).
TEST_P(CrossEntropy, TotalWeightZeroMeanIsNaN) {
  check(R"json({"loss": "cross_entropy", "dtype": "float64", "inputs": {"input": {"shape": [2, 4], )json"
        R"json("data": [0.5, -1.25, 1.5, 0.0, 1.0, 2.0, -1.5, 0.25]}, "target": {"shape": [2], )json"
        R"json("dtype": "int64", "data": [0, 0]}, "weight": {"shape": [4], "data": [0.0, 1.0, 2.0, 1.0]}}})json",
        {{},
         {kNaN},
         {{"input", {kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN}}}},
        kImplUlps);
}

// label_smoothing 0.1 without weights: (1-e) nll + e/C sum_c -log p_c, mean over rows.
TEST_P(CrossEntropy, LabelSmoothingMean) {
  check(R"json({"loss": "cross_entropy", "dtype": "float64", "options": {"label_smoothing": 0.1}, )json"
        R"json("inputs": {"input": {"shape": [3, 4], "data": [0.5, -1.25, 1.5, 0.0, 1.0, 2.0, -1.5, 0.25, )json"
        R"json(-0.5, 0.75, 1.5, -2.0]}, "target": {"shape": [3], "dtype": "int64", "data": [0, 3, 1]}}})json",
        {{},
         {1.6810604787578074},
         {{"input", {-0.23423598333240465, 4.5428553755558873e-3, 0.19308414671116092, 0.036608981245687839,
                 0.06968073955671604, 0.20373090336776731, -1.9295482675088906e-3, -0.27148209465697446,
                 0.019209118940010968, -0.21220072900983717, 0.19517939161652773, -2.1877815467015345e-3}}}},
        16 /* the input gradient p_c - (eps/C) of the class with logit -1.5 cancels by ~10x */);
}

// label_smoothing 0.1 with weights and an ignored row (the row is 0; both terms of the
// mean divide by the sum of w[y] of the other rows). Values as in docs/format.md's example, in float64.
TEST_P(CrossEntropy, LabelSmoothingWeightedWithIgnoredRow) {
  check(R"json({"loss": "cross_entropy", "dtype": "float64", "options": {"reduction": "mean", )json"
        R"json("ignore_index": -100, "label_smoothing": 0.1}, "inputs": {"input": {"shape": [3, 4], )json"
        R"json("data": [0.5, -1.25, 1.5, 0.0, 1.0, 2.0, -1.5, 0.25, 0.125, -0.5, 1.75, 0.0]}, )json"
        R"json("target": {"shape": [3], "dtype": "int64", "data": [1, 3, -100]}, "weight": {"shape": [4], )json"
        R"json("data": [1.0, 2.0, 0.5, 1.0]}}})json",
        {{},
         {2.7529513635350096},
         {{"input", {0.133377848543442772, -0.59204095576091603, 0.3810442639184286, 0.077618843299044659,
                 0.070655915467841657, 0.198048372993197734, 2.3171657124805818e-3, -0.27102145417351997, 0.0, 0.0,
                 0.0, 0.0}}}},
        kImplUlps);
}

// The same, no reduction, with grad_output (3): the ignored row has loss 0 and gradient 0.
TEST_P(CrossEntropy, LabelSmoothingNoneWithIgnoredRow) {
  check(R"json({"loss": "cross_entropy", "dtype": "float64", "options": {"reduction": "none", )json"
        R"json("label_smoothing": 0.1}, "inputs": {"input": {"shape": [3, 4], "data": [0.5, -1.25, 1.5, 0.0, )json"
        R"json(1.0, 2.0, -1.5, 0.25, 0.125, -0.5, 1.75, 0.0]}, "target": {"shape": [3], "dtype": "int64", )json"
        R"json("data": [1, 3, -100]}, "weight": {"shape": [4], "data": [1.0, 2.0, 0.5, 1.0]}}, )json"
        R"json("grad_output": {"shape": [3], "data": [2.0, -1.0, 5.0]}})json",
        {{3},
         {6.1134471603959715, 2.1454069302090571, 0.0},
         {{"input", {0.80026709126065663, -3.5522457345654962, 2.2862655835105716, 0.46571305979426795,
                 -0.21196774640352497, -0.5941451189795932, -6.9514971374417454e-3, 0.81306436252055992, 0.0, 0.0,
                 0.0, 0.0}}}},
        kImplUlps);
}

// label_smoothing 0.25 (exact in float32), K-dim input, sum.
TEST_P(CrossEntropy, LabelSmoothingQuarterSumFloat32) {
  check(R"json({"loss": "cross_entropy", "dtype": "float32", "options": {"label_smoothing": 0.25, )json"
        R"json("reduction": "sum"}, "inputs": {"input": {"shape": [2, 3, 2], "data": [0.5, -1.0, 2.0, 0.25, )json"
        R"json(-0.75, 1.5, 1.0, 0.0, -2.0, 3.0, 0.5, -0.5]}, "target": {"shape": [2, 2], "dtype": "int64", )json"
        R"json("data": [2, 0, 1, 0]}}})json",
        {{},
         {11.08518342045729},
         {{"input", {0.09003115874566177, -0.77335553801821906, 0.69363241600180904, 0.12600974214886361,
                 -0.78366357474747081, 0.64734579586935544, 0.52041556281529245, -0.78723353228033031,
                 -0.80327444576375931, 0.84260592286836457, 0.28285888294846687, -0.055372390588034258}}}},
        kImplUlps);
}

// label_smoothing < 0 is silently treated as 0.
TEST_P(CrossEntropy, NegativeLabelSmoothingIsNone) {
  check(R"json({"loss": "cross_entropy", "dtype": "float64", "options": {"label_smoothing": -0.5}, )json"
        R"json("inputs": {"input": {"shape": [2, 4], "data": [0.5, -1.25, 1.5, 0.0, 1.0, 2.0, -1.5, 0.25]}, )json"
        R"json("target": {"shape": [2], "dtype": "int64", "data": [1, 3]}}})json",
        {{},
         {2.7280084896766221},
         {{"input", {0.11114602500139302, -0.48068571693666617, 0.30212622006674139, 0.067413471868531759,
                 0.11702110933507406, 0.31809635505165096, 9.6056775987366647e-3, -0.44472314198546169}}}},
        kImplUlps);
}

// Probability targets (same shape as input) with weights and label_smoothing 0.1: the mean
// divides by N = 2, not by weights; gradients also for target and weight.
TEST_P(CrossEntropy, ProbabilityTargetsWeightedSmoothedMean) {
  check(R"json({"loss": "cross_entropy", "dtype": "float64", "options": {"label_smoothing": 0.1}, )json"
        R"json("inputs": {"input": {"shape": [2, 4], "data": [0.5, -1.25, 1.5, 0.0, 1.0, 2.0, -1.5, 0.25]}, )json"
        R"json("target": {"shape": [2, 4], "data": [0.25, 0.25, 0.5, 0.0, 0.0, 0.1, 0.7, 0.2]}, )json"
        R"json("weight": {"shape": [4], "data": [1.0, 2.0, 0.5, 1.5]}}})json",
        {{},
         {2.1547440732379338},
         {{"input", {-0.01107532437357215, -0.23020285986008282, 0.19092937556840992, 0.050348808665245052,
                 0.091648787308215914, 0.16810575599596936, -0.15520094693712436, -0.10455359636706091}},
          {"target", {0.67669344950493448, 2.9283868990098689, 0.11334672475246724, 1.3525401742574017,
                  0.65351419120402539, 0.40702838240805079, 0.88925709560201269, 1.4865212868060381}},
          {"weight", {0.20612357461814917, 0.43272499373855171, 1.4140068708372005, 0.250778050482720644}}}},
        kImplUlps);
}

// Probability targets for an unbatched (C) input: 0-D output; grad_output 2.
TEST_P(CrossEntropy, ProbabilityTargetsUnbatchedFloat32) {
  check(R"json({"loss": "cross_entropy", "dtype": "float32", "inputs": {"input": {"shape": [3], "data": [0.5, )json"
        R"json(-1.0, 2.0]}, "target": {"shape": [3], "data": [0.2, 0.3, 0.5]}}, "grad_output": {"shape": [], )json"
        R"json("data": [2.0]}})json",
        {{},
         {1.4413113404861108},
         {{"input", {-0.04941921645633032, -0.52177487613483749, 0.57119409259116781}},
          {"target", {3.4826225933143141, 6.4826225933143141, 0.48262259331431412}}}},
        kImplUlps);
}

// Probability targets with a K-dim input (2,3,2): output (2,2); grad_output given; weight, smoothing 0.25.
TEST_P(CrossEntropy, ProbabilityTargetsKDimNone) {
  check(R"json({"loss": "cross_entropy", "dtype": "float32", "options": {"reduction": "none", )json"
        R"json("label_smoothing": 0.25}, "inputs": {"input": {"shape": [2, 3, 2], "data": [0.5, -1.0, 2.0, )json"
        R"json(0.25, -0.75, 1.5, 1.0, 0.0, -2.0, 3.0, 0.5, -0.5]}, "target": {"shape": [2, 3, 2], )json"
        R"json("data": [0.5, 0.0, 0.25, 1.0, 0.25, 0.0, 0.125, 0.5, 0.375, 0.25, 0.5, 0.25]}, )json"
        R"json("weight": {"shape": [3], "data": [1.5, 0.5, 2.0]}}, "grad_output": {"shape": [2, 2], )json"
        R"json("data": [1.0, -2.0, 0.5, 0.25]}})json",
        {{2, 2},
         {2.8651982327176327, 1.0555947781972244, 1.693772856321241, 4.0633334420311699},
         {{"input", {-0.4509297035172046, 0.16503145663692144, 0.92481784544691302, 0.536763976400221,
                 -0.47388814192970843, -0.70179543303714243, 0.27912034060140613, -0.15614824495327241,
                 -0.070636904835342726, 0.2820261525063084, -0.20848343576606341, -0.12587790755303599}},
          {"target", {1.9714038865153002, -6.3310069425088304, 0.09463462883843341, -1.1728356475029435,
                  4.5035385153537336, -0.94134259001177387, 0.28383575756753447, 0.8653912437774167,
                  0.65711191918917816, 7.2137479258055671e-3, 0.75344767675671263, 1.3413549917032223}},
          {"weight", {0.731445722883861, -1.893885467576223, 1.2332513072269585}}}},
        kImplUlps);
}

// Probability targets accept a negative ignore_index (it is not used); sum.
TEST_P(CrossEntropy, ProbabilityTargetsNegativeIgnoreIndexSum) {
  check(R"json({"loss": "cross_entropy", "dtype": "float64", "options": {"ignore_index": -1, )json"
        R"json("reduction": "sum"}, "inputs": {"input": {"shape": [2, 4], "data": [0.5, -1.25, 1.5, 0.0, 1.0, )json"
        R"json(2.0, -1.5, 0.25]}, "target": {"shape": [2, 4], "data": [0.25, 0.25, 0.5, 0.0, 0.0, 0.1, 0.7, )json"
        R"json(0.2]}}})json",
        {{},
         {4.693516979353244},
         {{"input", {-0.027707949997213952, -0.21137143387333234, 0.10425244013348277, 0.13482694373706352,
                 0.234042218670148115, 0.53619271010330191, -0.68078864480252663, -0.089446283970923395}},
          {"target", {1.5037632211220766, 3.25376322112207663, 0.50376322112207663, 2.00376322112207663,
                  1.45225375823116755, 0.45225375823116755, 3.9522537582311675, 2.2022537582311675}}}},
        16 /* the input gradient p_0 - t_0 = 0.22 - 0.25 of row 0 cancels by ~10x */);
}

// Legacy size_average=false: sum (with weights: the plain sum of w[y] l).
TEST_P(CrossEntropy, LegacySizeAverageFalseIsSum) {
  check(R"json({"loss": "cross_entropy", "dtype": "float32", "options": {"size_average": false}, )json"
        R"json("inputs": {"input": {"shape": [3, 4], "data": [0.5, -1.25, 1.5, 0.0, 1.0, 2.0, -1.5, 0.25, )json"
        R"json(-0.5, 0.75, 1.5, -2.0]}, "target": {"shape": [3], "dtype": "int64", "data": [0, 3, 1]}, )json"
        R"json("weight": {"shape": [4], "data": [1.0, 2.0, 0.5, 1.5]}}})json",
        {{},
         {7.293972772309184},
         {{"input", {-0.77770794999721395, 0.038628566126667663, 0.60425244013348277, 0.13482694373706352,
                 0.35106332800522218, 0.95428906515495289, 0.028817032796209994, -1.3341694259563851,
                 0.16525471364006581, -1.423204374059023, 1.2210763496991664, 0.036873310719790796}}}},
        kImplUlps);
}

// Legacy reduce=false, size_average=false: none.
TEST_P(CrossEntropy, LegacyReduceFalseIsNone) {
  check(R"json({"loss": "cross_entropy", "dtype": "float64", "options": {"size_average": false, )json"
        R"json("reduce": false}, "inputs": {"input": {"shape": [2, 4], "data": [0.5, -1.25, 1.5, 0.0, 1.0, )json"
        R"json(2.0, -1.5, 0.25]}, "target": {"shape": [2], "dtype": "int64", "data": [1, 3]}}})json",
        {{2},
         {3.25376322112207663, 2.2022537582311675},
         {{"input", {0.22229205000278605, -0.96137143387333234, 0.60425244013348277, 0.13482694373706352,
                 0.23404221867014812, 0.63619271010330193, 0.019211355197473329, -0.88944628397092338}}}},
        kImplUlps);
}

// Target 5 with 4 classes.
TEST_P(CrossEntropy, TargetOutOfBounds) {
  check_error(R"json({"loss": "cross_entropy", "dtype": "float32", "inputs": {"input": {"shape": [2, 4], )json"
              R"json("data": [0.5, -1.25, 1.5, 0.0, 1.0, 2.0, -1.5, 0.25]}, "target": {"shape": [2], )json"
              R"json("dtype": "int64", "data": [1, 5]}}})json",
              "out of bounds");
}

// Target -1 when ignore_index is the default -100.
TEST_P(CrossEntropy, NegativeTargetOutOfBounds) {
  check_error(R"json({"loss": "cross_entropy", "dtype": "float64", "inputs": {"input": {"shape": [2, 4], )json"
              R"json("data": [0.5, -1.25, 1.5, 0.0, 1.0, 2.0, -1.5, 0.25]}, "target": {"shape": [2], )json"
              R"json("dtype": "int64", "data": [-1, 0]}}})json",
              "out of bounds");
}

// label_smoothing 1.5.
TEST_P(CrossEntropy, LabelSmoothingAboveOne) {
  check_error(R"json({"loss": "cross_entropy", "dtype": "float32", "options": {"label_smoothing": 1.5}, )json"
              R"json("inputs": {"input": {"shape": [2, 4], "data": [0.5, -1.25, 1.5, 0.0, 1.0, 2.0, -1.5, 0.25]}, )json"
              R"json("target": {"shape": [2], "dtype": "int64", "data": [1, 3]}}})json",
              "label_smoothing must be between 0.0 and 1.0");
}

// ignore_index >= 0 with probability targets.
TEST_P(CrossEntropy, IgnoreIndexWithProbabilityTargets) {
  check_error(R"json({"loss": "cross_entropy", "dtype": "float32", "options": {"ignore_index": 0}, )json"
              R"json("inputs": {"input": {"shape": [2, 4], "data": [0.5, -1.25, 1.5, 0.0, 1.0, 2.0, -1.5, 0.25]}, )json"
              R"json("target": {"shape": [2, 4], "data": [0.25, 0.25, 0.5, 0.0, 0.0, 0.1, 0.7, 0.2]}}})json",
              "ignore_index is not supported for floating point target");
}

// A weight of 3 values for 4 classes.
TEST_P(CrossEntropy, WrongWeightSize) {
  check_error(R"json({"loss": "cross_entropy", "dtype": "float32", "inputs": {"input": {"shape": [2, 4], )json"
              R"json("data": [0.5, -1.25, 1.5, 0.0, 1.0, 2.0, -1.5, 0.25]}, "target": {"shape": [2], )json"
              R"json("dtype": "int64", "data": [1, 3]}, "weight": {"shape": [3], "data": [1.0, 1.0, 1.0]}}})json",
              "weight tensor should be defined either for all 4 classes or no classes");
}

// An int64 target of shape (3) for input (2,4).
TEST_P(CrossEntropy, IndexTargetWithWrongShape) {
  check_error(R"json({"loss": "cross_entropy", "dtype": "float32", "inputs": {"input": {"shape": [2, 4], )json"
              R"json("data": [0.5, -1.25, 1.5, 0.0, 1.0, 2.0, -1.5, 0.25]}, "target": {"shape": [3], )json"
              R"json("dtype": "int64", "data": [1, 3, 0]}}})json",
              "expected target of shape [2]");
}

}  // namespace
}  // namespace cross_entropy_test
