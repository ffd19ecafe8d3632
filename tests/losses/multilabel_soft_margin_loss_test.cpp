// Spot tests of multilabel_soft_margin_loss against values computed independently of both implementations.
//
// Where the expected values come from: every finite case below was evaluated exactly, in Python's mpmath at 50
// significant digits, by the model reproduced at the end of this comment, written from torch/nn/functional.py 1.13's
// composition (loss = -(y logsigmoid(x) + (1 - y) logsigmoid(-x)), times weight, summed over dimension
// input.dim() - 1 of the broadcast terms, divided by C = input.size(-1), then the reduction), not from losscheck's
// code; the non-finite case by hand from the same composite and ATen's log_sigmoid / log_sigmoid_backward. All inputs
// are exact in float32, so the float32 and float64 cases share their exact values. The semantics (shapes, which
// inputs are differentiated, the moved summed dimension, the non-finite patterns, the rejected 'elementwise_mean')
// were checked against torch 1.13.1 in float64; torch is never the source of a value.
//
// Error bounds, in ULPs of the case dtype:
//   reference  0  it computes at 256 bits and rounds once to the dtype.
//   impl       kImplUlps = 4: each term takes an exp, a log1p, two products and a sum, a row sums 3 positive terms
//                 and divides by C (an exp/log1p in double for float32), without cancellation here.
//
// The model (mpmath, mp.dps = 50; numpy object arrays of mpf, X, Y, W broadcast to the terms' shape):
//   sp = lambda z: z + log1p(exp(-z)) if z > 0 else log1p(exp(z)); sig = lambda z: 1 / (1 + exp(-z))
//   def ml(X, Y, W, class_dim, C, red, g=None):
//       U = Y * vec(lambda a: sp(-a))(X) + (1 - Y) * vec(sp)(X)             # unweighted terms
//       rows = (U * W).sum(axis=class_dim) / C
//       if red == 'none': out, G = rows, (ones if g is None else g)
//       else: out = rows.sum() (/ rows.size for mean); G = g (/ rows.size for mean), one per row
//       Ge = broadcast(expand_dims(G, class_dim) / C, X.shape)
//       return out, Ge * W * (vec(sig)(X) - Y), -Ge * W * X, Ge * U        # d/dx, d/dy, d/dw (then summed back)

#include <gtest/gtest.h>

#include "losscheck/impl.h"
#include "losscheck/reference.h"
#include "test_util.h"

namespace multilabel_soft_margin_loss_test {
namespace {

using namespace losscheck::testing;

constexpr double kImplUlps = 4;

losscheck::loss_result reference_evaluate(const losscheck::loss_case& c) { return losscheck::reference::evaluate(c); }

class MultilabelSoftMarginLoss : public loss_spot_test {};
INSTANTIATE_TEST_SUITE_P(Both, MultilabelSoftMarginLoss,
                         ::testing::Values(implementation_under_test{"reference", reference_evaluate, true},
                                           implementation_under_test{"impl", losscheck::impl::evaluate, false}),
                         implementation_name);

const std::string kInputs =
    R"json("inputs": {"input": {"shape": [2, 3], "data": [0.5, -1.25, 2.0, 0.0, 3.0, -0.75]}, )json"
    R"json("target": {"shape": [2, 3], "data": [1.0, 0.0, 1.0, 0.0, 0.0, 1.0]}, )json"
    R"json("weight": {"shape": [3], "data": [0.5, 2.0, 1.0]}})json";

// One value per row (the mean over its 3 classes, weighted); grad_output [2, -1]; all three inputs differentiated.
TEST_P(MultilabelSoftMarginLoss, NoneFloat64Weighted) {
  check(R"json({"loss": "multilabel_soft_margin_loss", "dtype": "float64", "options": {"reduction": "none"}, )json" +
            kInputs + R"json(, "grad_output": {"shape": [2], "data": [2.0, -1.0]}})json",
        {{2},
         {0.28927488860792387, 2.5268730998474522},
         {{"input", {-0.12584688959938181, 0.29693351843374514, -0.079468614681411704, -0.083333333333333333,
                     -0.63504941788162215, 0.22639289972513099}},
          {"target", {-0.16666666666666667, 1.6666666666666667, -1.3333333333333333, 0.0, 2.0, -0.25}},
          {"weight", {0.085002262600089351, -0.84824306296099876, -0.29433832800965165}}}},
        kImplUlps);
}

// mean over the rows of the class means.
TEST_P(MultilabelSoftMarginLoss, MeanFloat32Weighted) {
  check(R"json({"loss": "multilabel_soft_margin_loss", "dtype": "float32", "options": {"reduction": "mean"}, )json" +
            kInputs + "}",
        {{},
         {1.4080739942276881},
         {{"input", {-0.031461722399845453, 0.074233379608436284, -0.019867153670352926, 0.041666666666666667,
                     0.31752470894081107, -0.1131964498625655}},
          {"target", {-0.041666666666666667, 0.41666666666666667, -0.33333333333333333, 0.0, -1.0, 0.125}},
          {"weight", {0.19453736079000867, 0.55008607215318582, 0.21063316952631207}}}},
        kImplUlps);
}

// torch's quirk: a target (2, 3) of more dimensions than the input (3) makes the terms (2, 3), and functional.py sums
// them over dimension input.dim() - 1 = 0, dividing by C = 3: three "rows", one per class.
TEST_P(MultilabelSoftMarginLoss, TargetOfMoreDimensionsMovesTheSummedDimension) {
  check(R"json({"loss": "multilabel_soft_margin_loss", "dtype": "float64", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input": {"shape": [3], "data": [0.5, -1.0, 2.0]}, )json"
        R"json("target": {"shape": [2, 3], "data": [1.0, 0.0, 1.0, 0.0, 0.0, 1.0]}}})json",
        {{3},
         {0.48271798945340445, 0.20884112501214856, 0.084618674028648331},
         {{"input", {0.08163955413456971, 0.17929428091333008, -0.079468614681411704}},
          {"target", {-0.16666666666666667, 0.33333333333333333, -0.66666666666666667, -0.16666666666666667,
                      0.33333333333333333, -0.66666666666666667}}}},
        kImplUlps);
}

// Non-finite inputs, by torch's composite: x = +inf, y = 1 is 1·log σ(inf) + 0·log σ(-inf) = -0 + 0·(-inf) = NaN;
// x = -inf, y = 0 alike; row 2's terms are inf, inf and finite. Gradients: ATen's log_sigmoid_backward at ±inf, and
// dy = gT log σ(x) - gT log σ(-x) with gT = -1/3 (by hand, see the comment at the top).
TEST_P(MultilabelSoftMarginLoss, NonFiniteAsTorch) {
  check(R"json({"loss": "multilabel_soft_margin_loss", "dtype": "float32", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input": {"shape": [2, 3], "data": ["inf", "-inf", "nan", "inf", "-inf", 1.0]}, )json"
        R"json("target": {"shape": [2, 3], "data": [1.0, 0.0, 1.0, 0.0, 1.0, 0.5]}}})json",
        {{2},
         {kNaN, kInf},
         {{"input", {0.0, 0.0, kNaN, 0.33333333333333333, -0.33333333333333333, 0.077019526210001626}},
          {"target", {-kInf, kInf, kNaN, -kInf, kInf, -0.33333333333333333}}}},
        kImplUlps);
}

// Empty rows: mean over no rows is NaN; C = 0: each row is 0 / 0 = NaN.
TEST_P(MultilabelSoftMarginLoss, NoClassesGiveNaNRows) {
  check(R"json({"loss": "multilabel_soft_margin_loss", "dtype": "float64", "options": {"reduction": "none"}, )json"
        R"json("inputs": {"input": {"shape": [2, 0], "data": []}, "target": {"shape": [2, 0], "data": []}}})json",
        {{2}, {kNaN, kNaN}, {{"input", {}}, {"target", {}}}}, kImplUlps);
}

// functional.py compares the reduction string itself: the deprecated alias is refused.
TEST_P(MultilabelSoftMarginLoss, ElementwiseMeanIsNotValid) {
  check_error(R"json({"loss": "multilabel_soft_margin_loss", "dtype": "float32", )json"
              R"json("options": {"reduction": "elementwise_mean"}, "inputs": {"input": {"shape": [1, 2], "data": )json"
              R"json([1.0, 2.0]}, "target": {"shape": [1, 2], "data": [1.0, 0.0]}}})json",
              "multilabel_soft_margin_loss: elementwise_mean is not valid");
}

// A 0-D input has no class dimension.
TEST_P(MultilabelSoftMarginLoss, ScalarInputIsRejected) {
  check_error(R"json({"loss": "multilabel_soft_margin_loss", "dtype": "float64", "inputs": {"input": {"shape": [], )json"
              R"json("data": [1.0]}, "target": {"shape": [], "data": [1.0]}}})json",
              "multilabel_soft_margin_loss: Dimension specified as -1 but tensor has no dimensions");
}

// Shapes that do not broadcast.
TEST_P(MultilabelSoftMarginLoss, ShapesThatDoNotBroadcast) {
  check_error(R"json({"loss": "multilabel_soft_margin_loss", "dtype": "float32", "inputs": {"input": {"shape": )json"
              R"json([2, 3], "data": [1, 2, 3, 4, 5, 6]}, "target": {"shape": [2, 4], "data": [1, 0, 1, 0, 1, 0, 1, )json"
              R"json(0]}}})json",
              "multilabel_soft_margin_loss: input of shape [2, 3] and target of shape [2, 4] do not broadcast");
}

}  // namespace
}  // namespace multilabel_soft_margin_loss_test
