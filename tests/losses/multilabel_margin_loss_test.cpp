// Spot tests of multilabel_margin_loss against values computed independently of both implementations.
//
// Where the expected values come from: a brute-force model in exact rational arithmetic (Python's fractions),
// written from the definition -- per row the targets T are the entries before the first -1 (a list: a repeated
// index counts each time), l = Σ_{t in T} Σ_{i not in T} max(0, 1 - x[t] + x[i]) / C with z = 0 inactive, mean over
// rows, dL/dx[i] = ĝ (active pairs touching i as a non-target) / C and -ĝ (active pairs of t) / C at a target -- and
// printed to 17 significant digits (the inputs are dyadic, so float32 cases hold the same numbers). Every case's
// semantics were also checked against torch 1.13 in float64 on the same values (same outputs and gradients); torch is
// never the source of a value. The model:
//
//   def model(x, y, red='mean', g=None):
//       N = len(x); C = len(x[0]); none = []; base = [[F(0)] * C for _ in range(N)]
//       for n in range(N):
//           T = []
//           for v in y[n]:
//               if v == -1: break
//               T.append(v)
//           s = F(0)
//           for t in T:
//               for i in range(C):
//                   if i in T: continue
//                   z = 1 - F(x[n][t]) + F(x[n][i])
//                   if z > 0: s += z; base[n][i] += F(1, C); base[n][t] -= F(1, C)
//           none.append(s / C)
//       (reduction and grad_output as in multi_margin_loss_test.cpp's model)
//
// Error bounds, in ULPs of the case dtype:
//   reference  0  it computes at 256 bits and rounds once.
//   impl       kImplUlps = 4: each value is formed in double from exact float inputs (z by a compensated sum, a
//                 sum of at most 12 pair terms, a product by 1/C and by the upstream gradient) and rounded once.

#include <gtest/gtest.h>

#include "losscheck/impl.h"
#include "losscheck/reference.h"
#include "test_util.h"

namespace multilabel_margin_loss_test {
namespace {

using namespace losscheck::testing;

constexpr double kImplUlps = 4;

losscheck::loss_result reference_evaluate(const losscheck::loss_case& c) { return losscheck::reference::evaluate(c); }

class MultilabelMarginLoss : public loss_spot_test {};
INSTANTIATE_TEST_SUITE_P(Both, MultilabelMarginLoss,
                         ::testing::Values(implementation_under_test{"reference", reference_evaluate, true},
                                           implementation_under_test{"impl", losscheck::impl::evaluate, false}),
                         implementation_name);

const char* kScores =
    R"json("input": {"shape": [3, 4], "data": [0.5, -0.25, 1.0, 0.75, 2.0, 1.5, -1.0, 0.0, -0.5, 0.25, 0.5, -1.25]})json";

// Row 0 lists [2, 0], row 1 [1] (the 2, 2 after its -1 are not read), row 2 [3, 3, 1] (3 counts twice).
const char* kTargets = R"json("target": {"shape": [3, 4], "dtype": "int64", "data": [2, 0, -1, 3, 1, -1, 2, 2, 3, 3, 1, -1]})json";

TEST_P(MultilabelMarginLoss, MeanFloat64) {
  check(std::string(R"json({"loss": "multilabel_margin_loss", "dtype": "float64", "inputs": {)json") + kScores + ", " +
            kTargets + "}}",
        {{},
         {1.1875},
         {{"input", {-0.16666666666666666, 0.083333333333333329, -0.083333333333333329, 0.16666666666666666,
                     0.083333333333333329, -0.083333333333333329, 0, 0, 0.25, -0.16666666666666666, 0.25,
                     -0.33333333333333331}}}},
        kImplUlps);
}

TEST_P(MultilabelMarginLoss, NoneWithGradOutputFloat32) {
  check(std::string(R"json({"loss": "multilabel_margin_loss", "dtype": "float32", "options": {"reduction": "none"}, )json"
                    R"json("grad_output": {"shape": [3], "data": [1.0, -2.0, 0.5]}, "inputs": {)json") +
            kScores + ", " + kTargets + "}}",
        {{3}, {0.5625, 0.375, 2.625}, {{"input", {-0.5, 0.25, -0.25, 0.5, -0.5, 0.5, 0, 0, 0.375, -0.25, 0.375, -0.5}}}},
        kImplUlps);
}

// Row 0 lists every class (no non-target: 0), row 1 nothing (a leading -1), row 2 [0].
TEST_P(MultilabelMarginLoss, FullAndEmptyListsSum) {
  check(std::string(R"json({"loss": "multilabel_margin_loss", "dtype": "float64", "options": {"reduction": "sum"}, )json"
                    R"json("grad_output": {"shape": [], "data": [3.0]}, "inputs": {)json") +
            kScores +
            R"json(, "target": {"shape": [3, 4], "dtype": "int64", "data": [3, 0, 1, 2, -1, 0, 1, 2, 0, -1, -1, -1]}}})json",
        {{}, {1}, {{"input", {0, 0, 0, 0, 0, 0, 0, 0, -2.25, 0.75, 0.75, 0.75}}}}, kImplUlps);
}

// x[1] = x[0] - 1 exactly (z = 0): no term, gradient 0; then z = 2^-8 (active) and z = -2^-8 (inactive).
TEST_P(MultilabelMarginLoss, KinkIsInactiveAndEachSideTakesItsBranch) {
  check(R"json({"loss": "multilabel_margin_loss", "dtype": "float32", "options": {"reduction": "none"}, "inputs": {)json"
        R"json("input": {"shape": [3, 3], "data": [0.5, -0.5, 0.25, 0.5, -0.49609375, 0.25, 0.5, -0.50390625, 0.25]}, )json"
        R"json("target": {"shape": [3, 3], "dtype": "int64", "data": [0, -1, 0, 0, -1, 0, 0, -1, 0]}}})json",
        {{3},
         {0.25, 0.25130208333333331, 0.25},
         {{"input", {-0.33333333333333331, 0, 0.33333333333333331, -0.66666666666666663, 0.33333333333333331,
                     0.33333333333333331, -0.33333333333333331, 0, 0.33333333333333331}}}},
        kImplUlps);
}

// An unbatched (C) input with a (C) target gives a 0-D output even for `none`; a 0-D input is one class (loss 0).
TEST_P(MultilabelMarginLoss, UnbatchedGivesAScalar) {
  check(R"json({"loss": "multilabel_margin_loss", "dtype": "float32", "options": {"reduction": "none"}, "inputs": {)json"
        R"json("input": {"shape": [3], "data": [0.5, 1.0, -0.5]}, "target": {"shape": [3], "dtype": "int64", "data": [1, -1, 0]}}})json",
        // z(1, 0) = 0.5, z(1, 2) = -0.5: l = 0.5 / 3
        {{}, {0.16666666666666666}, {{"input", {0.33333333333333331, -0.33333333333333331, 0}}}}, kImplUlps);
  check(R"json({"loss": "multilabel_margin_loss", "dtype": "float64", "options": {"reduction": "none"}, "inputs": {)json"
        R"json("input": {"shape": [], "data": [2.0]}, "target": {"shape": [1], "dtype": "int64", "data": [0]}}})json",
        {{}, {0}, {{"input", {0}}}}, kImplUlps);
}

// An empty batch: sum 0, mean 0/0 = NaN (torch 1.13 leaves both uninitialized; docs/torch-quirks.md).
TEST_P(MultilabelMarginLoss, EmptyBatch) {
  for (const char* red : {"sum", "mean"}) {
    const bool mean = std::string(red) == "mean";
    check(std::string(R"json({"loss": "multilabel_margin_loss", "dtype": "float64", "options": {"reduction": ")json") + red +
              R"json("}, "inputs": {"input": {"shape": [0, 3], "data": []}, "target": {"shape": [0, 3], "dtype": "int64", "data": []}}})json",
          {{}, {mean ? kNaN : 0.0}, {{"input", {}}}}, kImplUlps);
  }
}

TEST_P(MultilabelMarginLoss, RejectsWhatTorchRejects) {
  const std::string scores = R"json("input": {"shape": [2, 3], "data": [1, 2, 3, 4, 5, 6]}, )json";
  // out of range after the first -1 too: torch checks the whole tensor's min and max
  check_error(R"json({"loss": "multilabel_margin_loss", "dtype": "float32", "inputs": {)json" + scores +
                  R"json("target": {"shape": [2, 3], "dtype": "int64", "data": [0, -1, 3, 1, -1, 0]}}})json",
              "multilabel_margin_loss: target 3 is out of range for 3 classes");
  check_error(R"json({"loss": "multilabel_margin_loss", "dtype": "float64", "inputs": {)json" + scores +
                  R"json("target": {"shape": [2, 3], "dtype": "int64", "data": [0, -2, 1, 1, -1, 0]}}})json",
              "multilabel_margin_loss: target -2 is out of range for 3 classes");
  check_error(R"json({"loss": "multilabel_margin_loss", "dtype": "float64", "inputs": {)json" + scores +
                  R"json("target": {"shape": [6], "dtype": "int64", "data": [0, -1, 1, 1, -1, 0]}}})json",
              "multilabel_margin_loss: target must have the input's shape [2, 3], got shape [6]");
  check_error(R"json({"loss": "multilabel_margin_loss", "dtype": "float64", "inputs": {"input": {"shape": [2, 0], "data": []}, )json"
              R"json("target": {"shape": [2, 0], "dtype": "int64", "data": []}}})json",
              "multilabel_margin_loss: input must be (C) or (N, C) with C > 0 (or 0-D), got shape [2, 0]");
  check_error(R"json({"loss": "multilabel_margin_loss", "dtype": "float64", "inputs": {)json" + scores +
                  R"json("target": {"shape": [2, 3], "data": [0, -1, 1, 1, -1, 0]}}})json",
              "multilabel_margin_loss: target must be an int64 tensor of class indices, got float64");
}

}  // namespace
}  // namespace multilabel_margin_loss_test
