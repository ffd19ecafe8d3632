// Spot tests of cosine_embedding_loss against values computed independently of both implementations.
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
//   impl       kImplUlps = 8. cos takes three dot products of 3 terms, two additions of EPSILON, a product, a
//                 square root and a division (~14 roundings on the longest path), then 1 - cos or cos - margin and
//                 a reduction; a gradient is x2/(|x1||x2|) - cos x1/|x1|^2. The vectors were picked so that no
//                 gradient component is less than 1/2 of the larger of its two terms (cancellation factor <= 2)
//                 and 1 - cos, cos - margin stay away from 0 (unless exactly 0), so the worst case is below ~16
//                 ULPs and the typical error 1-2; we hold impl to 8.
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
//   def cosine_embedding_loss(x1, x2, y, red, g, margin=0.0):
//       # cos = sum x1 x2 / sqrt((sum x1^2 + EPS)(sum x2^2 + EPS)); rows of 2-D inputs, or the one 1-D pair
//       shape = np.broadcast_shapes(x1.shape, x2.shape)
//       A, B = np.broadcast_to(x1, shape), np.broadcast_to(x2, shape)
//       A2, B2 = (A.reshape(1, -1), B.reshape(1, -1)) if len(shape) == 1 else (A, B)
//       margin = mpf(margin)
//       cos, d1, d2 = [], [], []
//       for a, b in zip(A2, B2):
//           p = sum((u * v for u, v in zip(a, b)), mpf(0))
//           m1 = sum((u * u for u in a), mpf(0)) + EPS
//           m2 = sum((v * v for v in b), mpf(0)) + EPS
//           c = p / sqrt(m1 * m2)
//           cos.append(c)
//           d1.append([v / sqrt(m1 * m2) - c * u / m1 for u, v in zip(a, b)])  # d cos / d x1
//           d2.append([u / sqrt(m1 * m2) - c * v / m2 for u, v in zip(a, b)])
//       cosa = np.array(cos, dtype=object).reshape(() if len(shape) == 1 else (len(cos),))
//       Y = np.broadcast_to(y, np.broadcast_shapes(y.shape, cosa.shape))
//       C = np.broadcast_to(cosa, Y.shape)
//       L = ew(lambda c, t: 1 - c if t == 1 else (max(mpf(0), c - margin) if t == -1 else mpf(0)), C, Y)
//       out, G = reduce(L, red, g)
//       # dL/dcos: -1 for y = 1; 1 for y = -1 where cos - margin >= 0 (clamp_min's backward passes at equality)
//       dc = ew(lambda c, t, gg: -gg if t == 1 else (gg if t == -1 and c - margin >= 0 else mpf(0)), C, Y, G)
//       dc = np.asarray(dc, dtype=object).reshape(-1)
//       g1 = np.array([[dc[r] * e for e in d1[r]] for r in range(len(d1))], dtype=object).reshape(shape)
//       g2 = np.array([[dc[r] * e for e in d2[r]] for r in range(len(d2))], dtype=object).reshape(shape)
//       return out, {'input1': unbroadcast(g1, x1.shape), 'input2': unbroadcast(g2, x2.shape)}

#include <gtest/gtest.h>

#include "losscheck/impl.h"
#include "losscheck/reference.h"
#include "test_util.h"

namespace cosine_embedding_loss_test {
namespace {

using namespace losscheck::testing;

constexpr double kImplUlps = 8;

losscheck::loss_result reference_evaluate(const losscheck::loss_case& c) { return losscheck::reference::evaluate(c); }

class CosineEmbeddingLoss : public loss_spot_test {};
INSTANTIATE_TEST_SUITE_P(Both, CosineEmbeddingLoss,
                         ::testing::Values(implementation_under_test{"reference", reference_evaluate, true},
                                           implementation_under_test{"impl", losscheck::impl::evaluate, false}),
                         implementation_name);

// Rows with y = 1, -1 and 0: y = 0 gives 0 but is still counted in the mean (divides by 3).
TEST_P(CosineEmbeddingLoss, RowsMeanCountsZeroTargets) {
  check(R"json({"loss": "cosine_embedding_loss", "dtype": "float64", "inputs": {"input1": {"shape": [3, 3], )json"
        R"json("data": [3.0, 2.5, 0.25, 0.25, -1.5, -1.5, 2.0, 1.5, -1.0]}, "input2": {"shape": [3, 3], )json"
        R"json("data": [1.0, -1.5, 2.5, 1.5, -1.5, 0.5, -2.0, 2.0, -0.5]}, "target": {"shape": [3], )json"
        R"json("data": [1.0, -1.0, 0.0]}}})json",
        {{},
         {0.471043385528615548},
         {{"input1", {-0.028314019635000523, 0.040891761425050657, -0.06914937863049939, 0.10004786224872456,
                  -0.063265559951408007, 0.079940203659509149, 0.0, 0.0, 0.0}},
          {"input2", {-0.083275218684299964, -0.068547505336203334, -7.8184157280018696e-3, -0.024495722722911114,
                  -0.065007879533912109, -0.12153647043294645, 0.0, 0.0, 0.0}}}},
        kImplUlps);
}

// No reduction with grad_output (2); y = -1 with cos > 0 = margin: loss cos.
TEST_P(CosineEmbeddingLoss, RowsNoneWithGradOutputFloat32) {
  check(R"json({"loss": "cosine_embedding_loss", "dtype": "float32", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input1": {"shape": [2, 3], "data": [3.0, 2.5, 0.25, 0.25, -1.5, -1.5]}, )json"
        R"json("input2": {"shape": [2, 3], "data": [1.0, -1.5, 2.5, 1.5, -1.5, 0.5]}, "target": {"shape": [2], )json"
        R"json("data": [-1.0, 1.0]}}, "grad_output": {"shape": [2], "data": [2.0, -0.5]}})json",
        {{2},
         {0.0, 0.5972337898442955},
         {{"input1", {0.0, 0.0, 0.0, 0.15007179337308684, -0.094898339927112011, 0.11991030548926372}},
          {"input2", {0.0, 0.0, 0.0, -0.036743584084366672, -0.097511819300868163, -0.18230470564941968}}}},
        kImplUlps);
}

// margin 0.5: y = -1 rows give max(0, cos - 0.5): one above (cos = 0.71), one below (cos = 0.08, loss 0,
// gradient 0).
TEST_P(CosineEmbeddingLoss, PositiveMarginSum) {
  check(R"json({"loss": "cosine_embedding_loss", "dtype": "float64", "options": {"margin": 0.5, )json"
        R"json("reduction": "sum"}, "inputs": {"input1": {"shape": [2, 2], "data": [3.0, 1.0, 1.0, 0.5]}, )json"
        R"json("input2": {"shape": [2, 2], "data": [1.0, 2.0, -0.5, 1.25]}, "target": {"shape": [2], )json"
        R"json("data": [-1.0, -1.0]}}})json",
        {{},
         {0.20710678118644146},
         {{"input1", {-0.070710678118622933, 0.21213203435593951, 0.0, 0.0}},
          {"input2", {0.28284271247460487, -0.14142135623723172, 0.0, 0.0}}}},
        kImplUlps);
}

// margin -0.25: y = -1 gives max(0, cos + 0.25), positive for cos = -0.18 too.
TEST_P(CosineEmbeddingLoss, NegativeMarginNone) {
  check(R"json({"loss": "cosine_embedding_loss", "dtype": "float32", "options": {"margin": -0.25, )json"
        R"json("reduction": "none"}, "inputs": {"input1": {"shape": [2, 2], "data": [3.0, 1.0, 1.0, 0.5]}, )json"
        R"json("input2": {"shape": [2, 2], "data": [1.0, 2.0, -0.75, 1.0]}, "target": {"shape": [2], )json"
        R"json("data": [-1.0, -1.0]}}})json",
        {{2},
         {0.95710678118644146, 0.071114561800145622},
         {{"input1", {-0.070710678118622933, 0.21213203435593951, -0.39354796403979412, 0.78709592807930202}},
          {"input2", {0.28284271247460487, -0.14142135623723172, 0.62967674246354236, 0.47225755684754229}}}},
        kImplUlps);
}

// 1-D inputs with a 0-D target y = 1: 0-D output 1 - cos.
TEST_P(CosineEmbeddingLoss, UnbatchedPositive) {
  check(R"json({"loss": "cosine_embedding_loss", "dtype": "float64", "inputs": {"input1": {"shape": [3], )json"
        R"json("data": [3.0, 2.5, 0.25]}, "input2": {"shape": [3], "data": [1.0, -1.5, 2.5]}, )json"
        R"json("target": {"shape": [], "data": [1.0]}}})json",
        {{},
         {1.0103639464301421},
         {{"input1", {-0.08494205890500157, 0.12267528427515197, -0.20744813589149817}},
          {"input2", {-0.24982565605289989, -0.20564251600861, -0.023455247184005609}}}},
        kImplUlps);
}

// 1-D inputs, 0-D target y = -1, grad_output 1.5.
TEST_P(CosineEmbeddingLoss, UnbatchedNegativeWithGradOutput) {
  check(R"json({"loss": "cosine_embedding_loss", "dtype": "float32", "options": {"reduction": "sum"}, )json"
        R"json("inputs": {"input1": {"shape": [3], "data": [0.25, -1.5, -1.5]}, "input2": {"shape": [3], )json"
        R"json("data": [1.5, -1.5, 0.5]}, "target": {"shape": [], "data": [-1.0]}}, )json"
        R"json("grad_output": {"shape": [], "data": [1.5]}})json",
        {{},
         {0.4027662101557045},
         {{"input1", {0.45021538011926051, -0.28469501978133603, 0.35973091646779117}},
          {"input2", {-0.11023075225310001, -0.29253545790260449, -0.54691411694825904}}}},
        kImplUlps);
}

// An int64 target works like a float one.
TEST_P(CosineEmbeddingLoss, Int64Target) {
  check(R"json({"loss": "cosine_embedding_loss", "dtype": "float64", "options": {"margin": 0.25}, )json"
        R"json("inputs": {"input1": {"shape": [3, 3], "data": [3.0, 2.5, 0.25, 0.25, -1.5, -1.5, 2.0, 1.5, )json"
        R"json(-1.0]}, "input2": {"shape": [3, 3], "data": [1.0, -1.5, 2.5, 1.5, -1.5, 0.5, -2.0, 2.0, -0.5]}, )json"
        R"json("target": {"shape": [3], "dtype": "int64", "data": [1, -1, -1]}}})json",
        {{},
         {0.38771005219528221},
         {{"input1", {-0.028314019635000523, 0.040891761425050657, -0.06914937863049939, 0.10004786224872456,
                  -0.063265559951408007, 0.079940203659509149, 0.0, 0.0, 0.0}},
          {"input2", {-0.083275218684299964, -0.068547505336203334, -7.8184157280018696e-3, -0.024495722722911114,
                  -0.065007879533912109, -0.12153647043294645, 0.0, 0.0, 0.0}}}},
        kImplUlps);
}

// Targets other than 1 and -1 (0, 2, 0.5) give 0 and zero gradients, counted in the mean.
TEST_P(CosineEmbeddingLoss, OtherTargetValuesGiveZero) {
  check(R"json({"loss": "cosine_embedding_loss", "dtype": "float32", "inputs": {"input1": {"shape": [3, 3], )json"
        R"json("data": [3.0, 2.5, 0.25, 0.25, -1.5, -1.5, 2.0, 1.5, -1.0]}, "input2": {"shape": [3, 3], )json"
        R"json("data": [1.0, -1.5, 2.5, 1.5, -1.5, 0.5, -2.0, 2.0, -0.5]}, "target": {"shape": [3], )json"
        R"json("data": [0.0, 2.0, 0.5]}}})json",
        {{},
         {0.0},
         {{"input1", {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0}},
          {"input2", {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0}}}},
        kImplUlps);
}

// Zero vectors: the 1e-12 (ATen's float EPSILON) keeps cos = 0/sqrt(eps (|x2|^2 + eps)) = 0 finite. y = 1 with x1 = 0:
// loss 1, gradient -x2 / sqrt(eps |x2|^2) for x1. y = -1, margin 0: cos - margin = 0 exactly, and torch's clamp_min
// backward passes the gradient at equality (where(self >= min)), so x1 gets +x2 / sqrt(...) there too. Both zero: 0.
TEST_P(CosineEmbeddingLoss, ZeroVectors) {
  check(R"json({"loss": "cosine_embedding_loss", "dtype": "float64", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input1": {"shape": [3, 2], "data": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]}, )json"
        R"json("input2": {"shape": [3, 2], "data": [1.0, 2.0, 1.0, 2.0, 0.0, 0.0]}, "target": {"shape": [3], )json"
        R"json("data": [1.0, -1.0, 1.0]}}})json",
        {{3},
         {1.0, 0.0, 1.0},
         {{"input1", {-447213.59639340189, -894427.19278680378, 447213.59639340189, 894427.19278680378, 0.0, 0.0}},
          {"input2", {0.0, 0.0, 0.0, 0.0, 0.0, 0.0}}}},
        kImplUlps);
}

// Vectors of norm 1e-6: |x|^2 = 1e-12 is comparable to EPSILON, and the result depends on it being
// float32(1e-12) = 9.999999960041972e-13 as in ATen (torch 1.13 gives 0.4999999990010493 here), not 1e-12.
TEST_P(CosineEmbeddingLoss, NearZeroVectorsSeeEpsilon) {
  check(R"json({"loss": "cosine_embedding_loss", "dtype": "float64", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input1": {"shape": [1, 2], "data": [1e-6, 0.0]}, "input2": {"shape": [1, 2], )json"
        R"json("data": [1e-6, 0.0]}, "target": {"shape": [1], "data": [1.0]}}})json",
        {{1},
         {0.49999999900104932},
         {{"input1", {-250000.00000000001, 0.0}},
          {"input2", {-250000.00000000001, 0.0}}}},
        kImplUlps);
}

// Legacy reduce=false overrides "mean".
TEST_P(CosineEmbeddingLoss, LegacyReduceFalseIsNone) {
  check(R"json({"loss": "cosine_embedding_loss", "dtype": "float64", "options": {"reduction": "mean", )json"
        R"json("reduce": false}, "inputs": {"input1": {"shape": [3, 3], "data": [3.0, 2.5, 0.25, 0.25, -1.5, )json"
        R"json(-1.5, 2.0, 1.5, -1.0]}, "input2": {"shape": [3, 3], "data": [1.0, -1.5, 2.5, 1.5, -1.5, 0.5, )json"
        R"json(-2.0, 2.0, -0.5]}, "target": {"shape": [3], "data": [1.0, -1.0, 1.0]}}})json",
        {{3},
         {1.0103639464301421, 0.4027662101557045, 1.0646508183835152},
         {{"input1", {-0.08494205890500157, 0.12267528427515197, -0.20744813589149817, 0.30014358674617367,
                  -0.18979667985422402, 0.23982061097852745, 0.24076856501447292, -0.27197930492375182,
                  0.073568172643309188}},
          {"input2", {-0.24982565605289989, -0.20564251600861, -0.023455247184005609, -0.073487168168733343,
                  -0.19502363860173633, -0.36460941129883936, -0.2429303478653318, -0.20962538081927471,
                  0.1332198681842127}}}},
        kImplUlps);
}

// Legacy size_average=false overrides "none".
TEST_P(CosineEmbeddingLoss, LegacySizeAverageFalseIsSum) {
  check(R"json({"loss": "cosine_embedding_loss", "dtype": "float32", "options": {"reduction": "none", )json"
        R"json("size_average": false}, "inputs": {"input1": {"shape": [3, 3], "data": [3.0, 2.5, 0.25, 0.25, )json"
        R"json(-1.5, -1.5, 2.0, 1.5, -1.0]}, "input2": {"shape": [3, 3], "data": [1.0, -1.5, 2.5, 1.5, -1.5, )json"
        R"json(0.5, -2.0, 2.0, -0.5]}, "target": {"shape": [3], "data": [1.0, -1.0, 1.0]}}})json",
        {{},
         {2.4777809749693619},
         {{"input1", {-0.08494205890500157, 0.12267528427515197, -0.20744813589149817, 0.30014358674617367,
                  -0.18979667985422402, 0.23982061097852745, 0.24076856501447292, -0.27197930492375182,
                  0.073568172643309188}},
          {"input2", {-0.24982565605289989, -0.20564251600861, -0.023455247184005609, -0.073487168168733343,
                  -0.19502363860173633, -0.36460941129883936, -0.2429303478653318, -0.20962538081927471,
                  0.1332198681842127}}}},
        kImplUlps);
}

// A 2-D target.
TEST_P(CosineEmbeddingLoss, TwoDimensionalTarget) {
  check_error(R"json({"loss": "cosine_embedding_loss", "dtype": "float32", "inputs": {"input1": {"shape": [2, 3], )json"
              R"json("data": [3.0, 2.5, 0.25, 0.25, -1.5, -1.5]}, "input2": {"shape": [2, 3], "data": [1.0, -1.5, )json"
              R"json(2.5, 1.5, -1.5, 0.5]}, "target": {"shape": [1, 2], "data": [1.0, -1.0]}}})json",
              "0D or 1D target tensor expected");
}

// 2-D inputs with a 0-D target.
TEST_P(CosineEmbeddingLoss, TargetDimensionMismatch) {
  check_error(R"json({"loss": "cosine_embedding_loss", "dtype": "float32", "inputs": {"input1": {"shape": [2, 3], )json"
              R"json("data": [3.0, 2.5, 0.25, 0.25, -1.5, -1.5]}, "input2": {"shape": [2, 3], "data": [1.0, -1.5, )json"
              R"json(2.5, 1.5, -1.5, 0.5]}, "target": {"shape": [], "data": [1.0]}}})json",
              "0D target tensor expects 1D input tensors");
}

// A 1-D target with 1-D inputs.
TEST_P(CosineEmbeddingLoss, InputDimensionMismatch) {
  check_error(R"json({"loss": "cosine_embedding_loss", "dtype": "float64", "inputs": {"input1": {"shape": [3], )json"
              R"json("data": [3.0, 2.5, 0.25]}, "input2": {"shape": [3], "data": [1.0, -1.5, 2.5]}, )json"
              R"json("target": {"shape": [1], "data": [1.0]}}})json",
              "1D target tensor expects 2D input tensors");
}

}  // namespace
}  // namespace cosine_embedding_loss_test
