// Spot tests of multi_margin_loss against values computed independently of both implementations.
//
// Where the expected values come from: a brute-force model in exact rational arithmetic (Python's fractions),
// written from the definition -- per row l = Σ_{j≠y} w[y] max(0, m - x[y] + x[j])^p / C, z = 0 inactive, mean over
// rows, dL/dx[j] = ĝ w[y] (p = 1 ? 1 : 2 z) / C on the active terms and minus their sum at x[y] -- and printed to 17
// significant digits (the inputs are dyadic, so the float32 cases hold exactly the same numbers). Every case's
// semantics were also checked against torch 1.13 run in float64 on the same values (same outputs and gradients, up to
// torch's own last-digit rounding); torch is never the source of a value. The model:
//
//   def model(x, y, p=1, m=1, w=None, red='mean', g=None):
//       N = len(x); C = len(x[0]); none = []; base = [[F(0)] * C for _ in range(N)]
//       for n in range(N):
//           yy = y[n]; wy = F(w[yy]) if w else F(1); s = F(0)
//           for j in range(C):
//               if j == yy: continue
//               z = F(m) - F(x[n][yy]) + F(x[n][j])
//               if z > 0:
//                   s += wy * (z if p == 1 else z * z)
//                   sl = wy * (1 if p == 1 else 2 * z) / C
//                   base[n][j] = sl; base[n][yy] -= sl
//           none.append(s / C)
//       if red == 'none': gs = [F(v) for v in (g or [1] * N)]; out = none
//       else:
//           g0 = F(g[0]) if g else F(1); out = [sum(none, F(0)) / (N if red == 'mean' else 1)]
//           gs = [g0 / (N if red == 'mean' else 1)] * N
//       return out, [[base[n][j] * gs[n] for j in range(C)] for n in range(N)]
//
// Error bounds, in ULPs of the case dtype:
//   reference  0  it computes at 256 bits and rounds once.
//   impl       kImplUlps = 4: each value is formed in double from exact float inputs (z by a compensated sum, at most
//                 3 terms, a product by w and 1/C, one multiplication by the upstream gradient) and rounded once to
//                 the dtype; in float64 the few double roundings stay below 4 ULPs for these short rows.

#include <gtest/gtest.h>

#include "losscheck/impl.h"
#include "losscheck/reference.h"
#include "test_util.h"

namespace multi_margin_loss_test {
namespace {

using namespace losscheck::testing;

constexpr double kImplUlps = 4;

losscheck::loss_result reference_evaluate(const losscheck::loss_case& c) { return losscheck::reference::evaluate(c); }

class MultiMarginLoss : public loss_spot_test {};
INSTANTIATE_TEST_SUITE_P(Both, MultiMarginLoss,
                         ::testing::Values(implementation_under_test{"reference", reference_evaluate, true},
                                           implementation_under_test{"impl", losscheck::impl::evaluate, false}),
                         implementation_name);

const char* kScores =
    R"json("input": {"shape": [3, 4], "data": [0.5, -0.25, 1.0, 0.75, 2.0, 1.5, -1.0, 0.0, -0.5, 0.25, 0.5, -1.25]}, )json"
    R"json("target": {"shape": [3], "dtype": "int64", "data": [2, 0, 3]})json";

TEST_P(MultiMarginLoss, MeanFloat64) {
  check(std::string(R"json({"loss": "multi_margin_loss", "dtype": "float64", "inputs": {)json") + kScores + "}}",
        {{},
         {0.72916666666666663},
         {{"input", {0.083333333333333329, 0, -0.16666666666666666, 0.083333333333333329, -0.083333333333333329,
                     0.083333333333333329, 0, 0, 0.083333333333333329, 0.083333333333333329, 0.083333333333333329,
                     -0.25}}}},
        kImplUlps);
}

TEST_P(MultiMarginLoss, SquaredWeightedNoneWithGradOutputFloat32) {
  check(std::string(R"json({"loss": "multi_margin_loss", "dtype": "float32", "options": {"p": 2, "reduction": "none"}, )json"
                    R"json("grad_output": {"shape": [3], "data": [1.0, -2.0, 0.5]}, "inputs": {)json") +
            kScores + R"json(, "weight": {"shape": [4], "data": [0.5, 2.0, 1.5, 0.25]}}})json",
        {{3},
         {0.3046875, 0.03125, 1.0546875},
         {{"input", {0.375, 0, -0.9375, 0.5625, 0.25, -0.25, 0, 0, 0.109375, 0.15625, 0.171875, -0.4375}}}},
        kImplUlps);
}

TEST_P(MultiMarginLoss, SquaredNegativeMarginWeightedMeanFloat64) {
  check(std::string(R"json({"loss": "multi_margin_loss", "dtype": "float64", "options": {"p": 2, "margin": -0.5}, )json"
                    R"json("grad_output": {"shape": [], "data": [-0.5]}, "inputs": {)json") +
            kScores + R"json(, "weight": {"shape": [4], "data": [1.0, 0.5, 2.0, 4.0]}}})json",
        {{},
         {0.875},
         {{"input", {0, 0, 0, 0, 0, 0, 0, 0, -0.083333333333333329, -0.33333333333333331, -0.41666666666666669,
                     0.83333333333333337}}}},
        kImplUlps);
}

// Row 0: x[1] = x[0] - 1 exactly (z = 0): no term, gradient 0 (torch tests z > 0). Row 1: z = 2^-8 (active),
// row 2: z = -2^-8 (inactive).
TEST_P(MultiMarginLoss, KinkIsInactiveAndEachSideTakesItsBranch) {
  const std::string in =
      R"json("input": {"shape": [3, 3], "data": [0.5, -0.5, 0.25, 0.5, -0.49609375, 0.25, 0.5, -0.50390625, 0.25]}, )json"
      R"json("target": {"shape": [3], "dtype": "int64", "data": [0, 0, 0]})json";
  check(R"json({"loss": "multi_margin_loss", "dtype": "float32", "options": {"reduction": "none"}, "inputs": {)json" + in + "}}",
        {{3},
         {0.25, 0.25130208333333331, 0.25},
         {{"input", {-0.33333333333333331, 0, 0.33333333333333331, -0.66666666666666663, 0.33333333333333331,
                     0.33333333333333331, -0.33333333333333331, 0, 0.33333333333333331}}}},
        kImplUlps);
  check(R"json({"loss": "multi_margin_loss", "dtype": "float64", "options": {"reduction": "none", "p": 2}, "inputs": {)json" + in + "}}",
        {{3},
         {0.1875, 0.18750508626302084, 0.1875},
         {{"input", {-0.5, 0, 0.5, -0.50260416666666663, 0.0026041666666666665, 0.5, -0.5, 0, 0.5}}}},
        kImplUlps);
}

TEST_P(MultiMarginLoss, UnbatchedMarginSumWithGradOutput) {
  check(R"json({"loss": "multi_margin_loss", "dtype": "float64", "options": {"reduction": "sum", "margin": 0.5}, )json"
        R"json("grad_output": {"shape": [], "data": [3.0]}, "inputs": {"input": {"shape": [5], "data": [1.0, 0.75, )json"
        R"json(-0.5, 1.25, 0.0]}, "target": {"shape": [], "dtype": "int64", "data": [1]}}})json",
        {{}, {0.34999999999999998}, {{"input", {0.59999999999999998, -1.2, 0, 0.59999999999999998, 0}}}}, kImplUlps);
}

// torch's shape rules: a (C) input with a (1) target gives a (1) none output; a 0-D input is one class (no term).
TEST_P(MultiMarginLoss, OneIndexPerRowWhateverItsRank) {
  check(R"json({"loss": "multi_margin_loss", "dtype": "float32", "options": {"reduction": "none"}, "inputs": {)json"
        R"json("input": {"shape": [2], "data": [0.5, 1.0]}, "target": {"shape": [1], "dtype": "int64", "data": [0]}}})json",
        {{1}, {0.75}, {{"input", {-0.5, 0.5}}}}, kImplUlps);
  check(R"json({"loss": "multi_margin_loss", "dtype": "float64", "options": {"reduction": "none"}, "inputs": {)json"
        R"json("input": {"shape": [], "data": [2.0]}, "target": {"shape": [], "dtype": "int64", "data": [0]}}})json",
        {{}, {0}, {{"input", {0}}}}, kImplUlps);
}

// An empty batch: sum 0, mean 0/0 = NaN (torch 1.13 leaves both uninitialized; docs/torch-quirks.md).
TEST_P(MultiMarginLoss, EmptyBatch) {
  for (const char* red : {"sum", "mean"}) {
    const bool mean = std::string(red) == "mean";
    check(std::string(R"json({"loss": "multi_margin_loss", "dtype": "float32", "options": {"reduction": ")json") + red +
              R"json("}, "inputs": {"input": {"shape": [0, 3], "data": []}, "target": {"shape": [0], "dtype": "int64", "data": []}}})json",
          {{}, {mean ? kNaN : 0.0}, {{"input", {}}}}, kImplUlps);
  }
}

// A NaN score makes z NaN, which is not > 0: no term (row 0: only z = 3 counts); a NaN target score makes every z NaN.
TEST_P(MultiMarginLoss, NanScoresAddNothing) {
  check(R"json({"loss": "multi_margin_loss", "dtype": "float64", "options": {"reduction": "none"}, "inputs": {)json"
        R"json("input": {"shape": [2, 3], "data": [1.0, "nan", 3.0, "nan", 1.0, 2.0]}, )json"
        R"json("target": {"shape": [2], "dtype": "int64", "data": [0, 0]}}})json",
        {{2}, {1.0, 0}, {{"input", {-0.33333333333333331, 0, 0.33333333333333331, 0, 0, 0}}}}, kImplUlps);
}

TEST_P(MultiMarginLoss, RejectsWhatTorchRejects) {
  const std::string scores = R"json("input": {"shape": [2, 3], "data": [1, 2, 3, 4, 5, 6]}, )json";
  check_error(R"json({"loss": "multi_margin_loss", "dtype": "float32", "options": {"p": 3}, "inputs": {)json" + scores +
                  R"json("target": {"shape": [2], "dtype": "int64", "data": [0, 1]}}})json",
              "multi_margin_loss: p must be 1 or 2, got 3");
  check_error(R"json({"loss": "multi_margin_loss", "dtype": "float32", "inputs": {)json" + scores +
                  R"json("target": {"shape": [2], "dtype": "int64", "data": [0, 3]}}})json",
              "multi_margin_loss: target 3 is out of range for 3 classes");
  check_error(R"json({"loss": "multi_margin_loss", "dtype": "float64", "inputs": {)json" + scores +
                  R"json("target": {"shape": [2], "dtype": "int64", "data": [-1, 0]}}})json",
              "multi_margin_loss: target -1 is out of range for 3 classes");
  check_error(R"json({"loss": "multi_margin_loss", "dtype": "float64", "inputs": {)json" + scores +
                  R"json("target": {"shape": [2], "dtype": "int64", "data": [0, 1]}, "weight": {"shape": [2], "data": [1, 1]}}})json",
              "multi_margin_loss: weight must be 1-D with one value per class (3), got shape [2]");
  check_error(R"json({"loss": "multi_margin_loss", "dtype": "float64", "inputs": {)json" + scores +
                  R"json("target": {"shape": [3], "dtype": "int64", "data": [0, 1, 2]}}})json",
              "multi_margin_loss: target must hold one class index per row, () or (2) for input of shape [2, 3], got shape [3]");
  check_error(R"json({"loss": "multi_margin_loss", "dtype": "float64", "inputs": {"input": {"shape": [2, 0], "data": []}, )json"
              R"json("target": {"shape": [2], "dtype": "int64", "data": [0, 0]}}})json",
              "multi_margin_loss: input must be (C) or (N, C) with C > 0 (or 0-D), got shape [2, 0]");
  check_error(R"json({"loss": "multi_margin_loss", "dtype": "float64", "inputs": {)json" + scores +
                  R"json("target": {"shape": [2], "data": [0, 1]}}})json",
              "multi_margin_loss: target must be an int64 tensor of class indices, got float64");
}

}  // namespace
}  // namespace multi_margin_loss_test
