// Spot tests of margin_ranking_loss against values computed independently of both implementations.
//
// Where the expected values come from: every case below was evaluated exactly, in Python's mpmath at 50 significant
// digits, by the model reproduced at the end of this comment, written from PyTorch 1.13.1's semantics
// (torch.nn.functional.margin_ranking_loss: the same-dimension check, then ATen's composite
// clamp_min(-target * (input1 - input2) + margin, 0), differentiated by autograd: clamp_min passes the gradient where
// its argument is >= 0), not from losscheck's code; the non-finite case by hand from the same composite. The inputs
// of a float32 case are the float32 values of its decimals. The semantics (broadcasting, the kink, the target's
// gradient, int64 targets, the dimension check) were checked against torch 1.13.1; torch is never the source of a
// value.
//
// Error bounds, in ULPs of the case dtype:
//   reference  0  it computes at 256 bits and rounds once to the dtype.
//   impl       kImplUlps = 3: a value takes a subtraction, a product and an addition (in double for float32), a sum of
//                 at most 6 terms and a division by n, without cancellation in these cases.
//
// The model (mpmath, mp.dps = 50; flat inputs already broadcast):
//   def mr(x1, x2, y, m, red, g=None):              # g: per element for none, a scalar otherwise
//       n = len(x1); L, G1, GY = [], [], []
//       for i, (a, b, t) in enumerate(zip(x1, x2, y)):
//           d = a - b; z = -t * d + m
//           L.append(max(z, 0))
//           gg = (g[i] if g else 1) if red == 'none' else (1 if g is None else g)
//           if red == 'mean': gg = gg / n
//           G = gg if z >= 0 else 0                  # clamp_min passes the gradient at z = 0
//           G1.append(G * -t); GY.append(-(G * d))
//       out = L if red == 'none' else [sum(L) if red == 'sum' else sum(L) / n]
//       return out, G1, [-v for v in G1], GY        # output, d/dx1, d/dx2, d/dy

#include <gtest/gtest.h>

#include "losscheck/impl.h"
#include "losscheck/reference.h"
#include "test_util.h"

namespace margin_ranking_loss_test {
namespace {

using namespace losscheck::testing;

constexpr double kImplUlps = 3;

losscheck::loss_result reference_evaluate(const losscheck::loss_case& c) { return losscheck::reference::evaluate(c); }

class MarginRankingLoss : public loss_spot_test {};
INSTANTIATE_TEST_SUITE_P(Both, MarginRankingLoss,
                         ::testing::Values(implementation_under_test{"reference", reference_evaluate, true},
                                           implementation_under_test{"impl", losscheck::impl::evaluate, false}),
                         implementation_name);

const std::string kInputs =
    R"json("inputs": {"input1": {"shape": [2, 3], "data": [0.5, 1.25, -2.0, 1.0, 0.3, 3.0]}, )json"
    R"json("input2": {"shape": [2, 3], "data": [1.0, 0.25, 1.0, 1.0, 0.1, 2.5]}, )json"
    R"json("target": {"shape": [2, 3], "data": [1.0, -1.0, 1.0, -1.0, 1.0, 0.5]}})json";

// margin 0.5, no reduction: every element active (z > 0), the target (0.5 included) differentiated.
TEST_P(MarginRankingLoss, NoneFloat64Margin) {
  check(R"json({"loss": "margin_ranking_loss", "dtype": "float64", "options": {"reduction": "none", "margin": 0.5}, )json" +
            kInputs + "}",
        {{2, 3},
         {1.0, 1.5, 3.5, 0.5, 0.30000000000000002, 0.25},
         {{"input1", {-1.0, 1.0, -1.0, 1.0, -1.0, -0.5}},
          {"input2", {1.0, -1.0, 1.0, -1.0, 1.0, 0.5}},
          {"target", {0.5, -1.0, 3.0, 0.0, -0.19999999999999998, -0.5}}}},
        kImplUlps);
}

// The same in float32.
TEST_P(MarginRankingLoss, NoneFloat32Margin) {
  check(R"json({"loss": "margin_ranking_loss", "dtype": "float32", "options": {"reduction": "none", "margin": 0.5}, )json" +
            kInputs + "}",
        {{2, 3},
         {1.0, 1.5, 3.5, 0.5, 0.29999998956918716, 0.25},
         {{"input1", {-1.0, 1.0, -1.0, 1.0, -1.0, -0.5}},
          {"input2", {1.0, -1.0, 1.0, -1.0, 1.0, 0.5}},
          {"target", {0.5, -1.0, 3.0, 0.0, -0.20000001043081284, -0.5}}}},
        kImplUlps);
}

// Default margin 0, mean, grad_output -2: element 4 (x1 = x2) sits on the kink and passes its gradient; elements 5
// and 6 are inactive.
TEST_P(MarginRankingLoss, MeanDefaultMarginKink) {
  check(R"json({"loss": "margin_ranking_loss", "dtype": "float64", "options": {"reduction": "mean"}, )json" + kInputs +
            R"json(, "grad_output": {"shape": [], "data": [-2.0]}})json",
        {{},
         {0.75},
         {{"input1", {0.33333333333333333, -0.33333333333333333, 0.33333333333333333, -0.33333333333333333, 0.0, 0.0}},
          {"input2", {-0.33333333333333333, 0.33333333333333333, -0.33333333333333333, 0.33333333333333333, 0.0, 0.0}},
          {"target", {-0.16666666666666667, 0.33333333333333333, -1.0, 0.0, 0.0, 0.0}}}},
        kImplUlps);
}

// An int64 target has no gradient; input2 (1, 2) and the target (2, 1) broadcast against input1 (2, 2), and their
// gradients are summed back (by hand):
//   x1 = [[1, -2], [3, 0]], x2 = [[0, -1]], y = [[1], [-1]], margin 1, sum:
//   d = [[1, -1], [3, 1]], z = [[0, 2], [4, 2]]: L = 0 + 2 + 4 + 2 = 8, all active (z = 0 passes);
//   dx1 = -y = [[-1, -1], [1, 1]], dx2 = Σ rows y = [[-1 + 1, -1 + 1]] = [[0, 0]].
TEST_P(MarginRankingLoss, BroadcastInt64TargetSum) {
  check(R"json({"loss": "margin_ranking_loss", "dtype": "float32", "options": {"reduction": "sum", "margin": 1.0}, )json"
        R"json("inputs": {"input1": {"shape": [2, 2], "data": [1.0, -2.0, 3.0, 0.0]}, )json"
        R"json("input2": {"shape": [1, 2], "data": [0.0, -1.0]}, )json"
        R"json("target": {"shape": [2, 1], "dtype": "int64", "data": [1, -1]}}})json",
        {{}, {8.0}, {{"input1", {-1.0, -1.0, 1.0, 1.0}}, {"input2", {0.0, 0.0}}}}, kImplUlps);
}

// Non-finite values, by torch's autograd: a masked gradient 0 times an infinite or NaN factor is NaN.
//   x1 = inf, x2 = 0, y = 1: z = -inf, L = 0, dx1 = 0 (-1) = -0, dy = -(0 inf) = NaN
//   x1 = 1, x2 = 2, y = inf: z = inf, L = inf, dx1 = -inf, dx2 = inf, dy = -(1 (-1)) = 1
//   x1 = 1, x2 = 0, y = NaN: z = NaN, L = NaN, dx1 = 0 (-NaN) = NaN, dy = -(0 · 1) = -0
TEST_P(MarginRankingLoss, NonFiniteAsTorch) {
  check(R"json({"loss": "margin_ranking_loss", "dtype": "float64", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input1": {"shape": [3], "data": ["inf", 1.0, 1.0]}, )json"
        R"json("input2": {"shape": [3], "data": [0.0, 2.0, 0.0]}, "target": {"shape": [3], "data": [1.0, "inf", "nan"]}}})json",
        {{3},
         {0.0, kInf, kNaN},
         {{"input1", {0.0, -kInf, kNaN}}, {"input2", {0.0, kInf, kNaN}}, {"target", {kNaN, 1.0, 0.0}}}},
        kImplUlps);
}

// functional.py's check: all three tensors must have the same number of dimensions.
TEST_P(MarginRankingLoss, DimensionsMustAgree) {
  check_error(R"json({"loss": "margin_ranking_loss", "dtype": "float32", "inputs": {"input1": {"shape": [2, 3], )json"
              R"json("data": [1, 2, 3, 4, 5, 6]}, "input2": {"shape": [3], "data": [1, 2, 3]}, )json"
              R"json("target": {"shape": [3], "data": [1, -1, 1]}}})json",
              "margin_ranking_loss: All input tensors should have same dimension but got sizes: input1: [2, 3], "
              "input2: [3], target: [3]");
}

// Same number of dimensions, shapes that do not broadcast.
TEST_P(MarginRankingLoss, ShapesThatDoNotBroadcast) {
  check_error(R"json({"loss": "margin_ranking_loss", "dtype": "float64", "inputs": {"input1": {"shape": [3], )json"
              R"json("data": [1, 2, 3]}, "input2": {"shape": [3], "data": [1, 2, 3]}, )json"
              R"json("target": {"shape": [4], "data": [1, -1, 1, 1]}}})json",
              "margin_ranking_loss: input1 - input2 of shape [3] and target of shape [4] do not broadcast");
}

// "batchmean" is kl_div's only.
TEST_P(MarginRankingLoss, BatchmeanIsOnlyForKlDiv) {
  check_error(R"json({"loss": "margin_ranking_loss", "dtype": "float32", "options": {"reduction": "batchmean"}, )json"
              R"json("inputs": {"input1": {"shape": [2], "data": [1, 2]}, "input2": {"shape": [2], "data": [1, 2]}, )json"
              R"json("target": {"shape": [2], "data": [1, -1]}}})json",
              "batchmean is not a valid value for reduction");
}

}  // namespace
}  // namespace margin_ranking_loss_test
