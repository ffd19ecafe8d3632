// Spot tests of hinge_embedding_loss against values computed independently of both implementations.
//
// Where the expected values come from: every case below was evaluated exactly, in Python's mpmath at 50 significant
// digits, by the model reproduced at the end of this comment, written from PyTorch 1.13.1's semantics
// (torch.nn.functional.hinge_embedding_loss and ATen's composite in Loss.cpp: where(y != 1, clamp_min(margin - x, 0),
// 0) + where(y != -1, x, 0); clamp_min's backward passes the gradient where its argument is >= 0), not from losscheck's
// code; the non-finite cases by hand from the same composite. The inputs of a float32 case are the float32 values of
// its decimals. The semantics of each case (shapes, broadcasting, the gradient at the kink, targets that are neither
// 1 nor -1, int64 targets) were checked against torch 1.13.1; torch is never the source of a value.
//
// Error bounds, in ULPs of the case dtype:
//   reference  0  it computes at 256 bits and rounds once to the dtype.
//   impl       kImplUlps = 2: each value takes at most a subtraction, an addition, a sum of at most 6 terms and a
//                 division by n (here exact or a single rounding).
//
// The model (mpmath, mp.dps = 50; x and y flat, already broadcast):
//   def hinge(x, y, m, red, g=None):
//       L, D = [], []
//       for a, b in zip(x, y):
//           h, l = not (b == 1), not (b == -1)             # a target neither 1 nor -1 takes both terms
//           d = m - a
//           L.append((max(d, 0) if h else 0) + (a if l else 0))
//           D.append((-1 if (h and d >= 0) else 0) + (1 if l else 0))
//       n = len(x)
//       if red == 'none': return L, [dd * gg for dd, gg in zip(D, g or [1] * n)]
//       g = 1 if g is None else g
//       if red == 'sum': return [sum(L)], [dd * g for dd in D]
//       return [sum(L) / n], [dd * g / n for dd in D]
// (a broadcast input's gradient is the sum of D over the elements it was broadcast to).

#include <gtest/gtest.h>

#include "losscheck/impl.h"
#include "losscheck/reference.h"
#include "test_util.h"

namespace hinge_embedding_loss_test {
namespace {

using namespace losscheck::testing;

constexpr double kImplUlps = 2;

losscheck::loss_result reference_evaluate(const losscheck::loss_case& c) { return losscheck::reference::evaluate(c); }

class HingeEmbeddingLoss : public loss_spot_test {};
INSTANTIATE_TEST_SUITE_P(Both, HingeEmbeddingLoss,
                         ::testing::Values(implementation_under_test{"reference", reference_evaluate, true},
                                           implementation_under_test{"impl", losscheck::impl::evaluate, false}),
                         implementation_name);

// Default margin 1: y = -1 hinges (x = 1 is the kink: loss 0, gradient -1), y = 1 is x, y = 0 and 2 take both terms.
TEST_P(HingeEmbeddingLoss, NoneFloat64DefaultMargin) {
  check(R"json({"loss": "hinge_embedding_loss", "dtype": "float64", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [0.3, -1.25, 2.0, 1.0, 0.7, 1.5]}, )json"
        R"json("target": {"shape": [2, 3], "data": [-1.0, -1.0, 1.0, -1.0, 0.0, 2.0]}}})json",
        {{2, 3}, {0.70000000000000001, 2.25, 2.0, 0.0, 1.0, 1.5}, {{"input", {-1.0, -1.0, 1.0, -1.0, 0.0, 1.0}}}},
        kImplUlps);
}

// The same with int64 targets in float32.
TEST_P(HingeEmbeddingLoss, NoneFloat32Int64Target) {
  check(R"json({"loss": "hinge_embedding_loss", "dtype": "float32", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [0.3, -1.25, 2.0, 1.0, 0.7, 1.5]}, )json"
        R"json("target": {"shape": [2, 3], "dtype": "int64", "data": [-1, -1, 1, -1, 0, 2]}}})json",
        {{2, 3}, {0.69999998807907104, 2.25, 2.0, 0.0, 1.0, 1.5}, {{"input", {-1.0, -1.0, 1.0, -1.0, 0.0, 1.0}}}},
        kImplUlps);
}

// margin 0.5, mean, grad_output 2.5.
TEST_P(HingeEmbeddingLoss, MeanFloat32MarginAndGradOutput) {
  check(R"json({"loss": "hinge_embedding_loss", "dtype": "float32", "options": {"reduction": "mean", "margin": 0.5}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": [0.3, -1.25, 2.0, 1.0, 0.7, 1.5]}, )json"
        R"json("target": {"shape": [2, 3], "data": [-1.0, -1.0, 1.0, -1.0, 0.0, 2.0]}}, )json"
        R"json("grad_output": {"shape": [], "data": [2.5]}})json",
        {{},
         {1.024999996026357},
         {{"input", {-0.41666666666666667, -0.41666666666666667, 0.41666666666666667, 0.0, 0.41666666666666667,
                     0.41666666666666667}}}},
        kImplUlps);
}

// input (3) broadcasts against target (2, 3), margin 2 (x = 2 with y = -1 is the kink twice); the input's gradient
// is summed over the two rows.
TEST_P(HingeEmbeddingLoss, BroadcastInputSum) {
  check(R"json({"loss": "hinge_embedding_loss", "dtype": "float64", "options": {"reduction": "sum", "margin": 2.0}, )json"
        R"json("inputs": {"input": {"shape": [3], "data": [0.5, 2.0, -1.0]}, )json"
        R"json("target": {"shape": [2, 3], "data": [1.0, -1.0, 0.0, -1.0, -1.0, 1.0]}}})json",
        {{}, {3.0}, {{"input", {0.0, -2.0, 1.0}}}}, kImplUlps);
}

// Non-finite inputs and targets, by torch's composite: y = -1: clamp_min(1 - inf) = 0, clamp_min(inf) = inf with
// gradient -1, a NaN kept with no gradient; y = 0: inf - inf = NaN with gradient -1 + 1 = 0; a NaN target takes
// both terms.
TEST_P(HingeEmbeddingLoss, NonFiniteAsTorch) {
  check(R"json({"loss": "hinge_embedding_loss", "dtype": "float64", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input": {"shape": [8], "data": ["inf", "-inf", "nan", "inf", "-inf", "nan", 1.0, "inf"]}, )json"
        R"json("target": {"shape": [8], "data": [-1.0, -1.0, -1.0, 1.0, 0.0, 0.0, "nan", "nan"]}}})json",
        {{8}, {0.0, kInf, kNaN, kInf, kNaN, kNaN, 1.0, kInf}, {{"input", {0.0, -1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0}}}},
        kImplUlps);
}

// Legacy reduce=false gives none whatever reduction says.
TEST_P(HingeEmbeddingLoss, LegacyReduceFalseIsNone) {
  check(R"json({"loss": "hinge_embedding_loss", "dtype": "float64", "options": {"reduction": "sum", "reduce": false}, )json"
        R"json("inputs": {"input": {"shape": [2], "data": [0.25, 3.0]}, "target": {"shape": [2], "data": [-1.0, -1.0]}}})json",
        {{2}, {0.75, 0.0}, {{"input", {-1.0, 0.0}}}}, kImplUlps);
}

// Empty input: mean is NaN.
TEST_P(HingeEmbeddingLoss, EmptyMeanIsNaN) {
  check(R"json({"loss": "hinge_embedding_loss", "dtype": "float32", "options": {"reduction": "mean"}, )json"
        R"json("inputs": {"input": {"shape": [0, 3], "data": []}, "target": {"shape": [3], "data": [1.0, -1.0, 1.0]}}})json",
        {{}, {kNaN}, {{"input", {}}}}, kImplUlps);
}

// Shapes (2, 3) and (4) do not broadcast.
TEST_P(HingeEmbeddingLoss, ShapesThatDoNotBroadcast) {
  check_error(R"json({"loss": "hinge_embedding_loss", "dtype": "float32", "inputs": {"input": {"shape": [2, 3], )json"
              R"json("data": [0.5, -1.25, 3.0, 0.1, 2.0, -0.7]}, "target": {"shape": [4], "data": [1.0, -1.0, 1.0, 1.0]}}})json",
              "hinge_embedding_loss: input of shape [2, 3] and target of shape [4] do not broadcast");
}

// "batchmean" is kl_div's only.
TEST_P(HingeEmbeddingLoss, BatchmeanIsOnlyForKlDiv) {
  check_error(R"json({"loss": "hinge_embedding_loss", "dtype": "float32", "options": {"reduction": "batchmean"}, )json"
              R"json("inputs": {"input": {"shape": [2], "data": [0.5, 1.0]}, "target": {"shape": [2], "data": [1.0, -1.0]}}})json",
              "batchmean is not a valid value for reduction");
}

// An unknown option lists the valid ones.
TEST_P(HingeEmbeddingLoss, UnknownOptionListsValidOnes) {
  check_error(R"json({"loss": "hinge_embedding_loss", "dtype": "float32", "options": {"p": 2}, "inputs": {"input": )json"
              R"json({"shape": [2], "data": [0.5, 1.0]}, "target": {"shape": [2], "data": [1.0, -1.0]}}})json",
              "hinge_embedding_loss: unknown option 'p' (valid options: reduction, size_average, reduce, margin)");
}

}  // namespace
}  // namespace hinge_embedding_loss_test
