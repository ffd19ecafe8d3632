// Spot tests of gaussian_nll_loss against values computed independently of both implementations.
//
// Where the expected values come from: every case below was evaluated exactly, in Python's mpmath at 50 significant
// digits, by the model reproduced at the end of this comment, written from PyTorch 1.13.1's semantics
// (torch/nn/functional.py, ATen's Loss.cpp, docs/torch-quirks.md), not from losscheck's code. The inputs of a float32
// case are the float32 values of its decimals, as the case reader rounds them; so are the Python float scalars ATen
// converts to the case dtype (eps, 2 pi, log(2 pi)/2). The exact results are written to 17 significant digits (more
// where 17 would not round to the correctly rounded value); expect_values_near rounds them to float32 for a float32
// case. Each case's semantics (shapes, NaN patterns, the error cases) were also checked against torch 1.13.1 run
// in float64 on the same values; torch is never the source of a value.
//
// Error bounds, in ULPs of the case dtype:
//   reference  0  it computes at 256 bits and rounds once to the dtype, so it must give the correctly rounded value.
//   impl       kImplUlps = 4. Each value is a few operations (an exp or a log, products, a sum; a division for
//                 gaussian's gradients) in double, then rounded; the inputs keep every element well conditioned (no
//                 cancellation beyond a factor 4), and the reductions have at most 6 terms.
//
// The model (mpmath, mp.dps = 50; np is numpy on object arrays of mpf; f32(v) is mpf(float(np.float32(v))); `scal`
// is the Python float as the case dtype holds it; G is grad_output spread over the unreduced elements):
//
//   def ew(f, *a): return np.frompyfunc(f, len(a), 1)(*a)
//   def unbroadcast(a, shape):  # sum a gradient back to the shape of a broadcast input
//       while a.ndim > len(shape): a = a.sum(axis=0)
//       for d, n in enumerate(shape):
//           if n == 1 and a.shape[d] != 1: a = a.sum(axis=d, keepdims=True)
//       return a.reshape(shape)
//   def reduce(L, red, g):  # output, and G = d output / d L times grad_output
//       if red == 'none': return L, (ones if g is None else g)
//       g = 1 if g is None else g; s = sum(L.flat)
//       if red == 'sum': return s, full(L.shape, g)
//       return s / L.size, full(L.shape, g / L.size)
//   def gaussian_nll_loss(x, t, var, red, g, full=False, eps=1e-6):
//       vshape = var.shape
//       if var.shape != x.shape and x.shape[:-1] == var.shape: var = var.reshape(var.shape + (1,))
//       eps, C = scal(eps), scal(0.5 * math.log(2 * math.pi))
//       X, T, V = np.broadcast_arrays(x, t, var)
//       v = lambda w: max(w, eps)                      # the clamp; its gradient passes as the identity
//       out, G = reduce(ew(lambda a, b, w: (log(v(w)) + (a - b)**2 / v(w)) / 2 + (C if full else 0), X, T, V), red, g)
//       gx = ew(lambda a, b, w, g: g * (a - b) / v(w), X, T, V, G)
//       gv = ew(lambda a, b, w, g: g * (1 / v(w) - (a - b)**2 / v(w)**2) / 2, X, T, V, G)
//       return out, {'input': unbroadcast(gx, x.shape), 'target': unbroadcast(-gx, t.shape),
//                    'var': unbroadcast(gv, var.shape).reshape(vshape)}

#include <gtest/gtest.h>

#include "losscheck/impl.h"
#include "losscheck/reference.h"
#include "test_util.h"

namespace gaussian_nll_loss_test {
namespace {

using namespace losscheck::testing;

constexpr double kImplUlps = 4;

losscheck::loss_result reference_evaluate(const losscheck::loss_case& c) { return losscheck::reference::evaluate(c); }

class GaussianNllLoss : public loss_spot_test {};
INSTANTIATE_TEST_SUITE_P(Both, GaussianNllLoss,
                         ::testing::Values(implementation_under_test{"reference", reference_evaluate, true},
                                           implementation_under_test{"impl", losscheck::impl::evaluate, false}),
                         implementation_name);

// var 1e-7 and 0 are clamped to eps = 1e-6; the var gradient there is the derivative at 1e-6 (the clamp passes it
// as the identity), not 0.
TEST_P(GaussianNllLoss, ClampAtEpsNone) {
  check(R"json({"loss": "gaussian_nll_loss", "dtype": "float64", "options": {"reduction": "none"}, "inputs")json"
        R"json(: {"input": {"shape": [4], "data": [0.5, 1.0, 2.0, -1.0]}, "target": {"shape": [4], "data": )json"
        R"json([0.0, 1.5, 2.0, 0.5]}, "var": {"shape": [4], "data": [1e-7, 0.0, 2.0, 0.5]}}})json",
        {{4},
         {124993.09224472102, 124993.09224472102, 0.34657359027997265, 1.9034264097200273},
         {{"input", {500000.00000000002, -500000.00000000002, 0.0, -3.0}},
          {"target", {-500000.00000000002, 500000.00000000002, 0.0, 3.0}},
          {"var", {-124999500000.00001, -124999500000.00001, 0.25, -3.5}}}},
        kImplUlps);
}

// var (2) for a (2, 3) input is unsqueezed to (2, 1); full adds log(2 pi)/2 (as float32) per element;
// sum, float32; var's gradient sums each row.
TEST_P(GaussianNllLoss, HomoscedasticVarWithoutLastDimensionFull) {
  check(R"json({"loss": "gaussian_nll_loss", "dtype": "float32", "options": {"reduction": "sum", "full": tr)json"
        R"json(ue}, "inputs": {"input": {"shape": [2, 3], "data": [0.5, 1.0, 2.0, -1.0, 0.0, 1.0]}, "target)json"
        R"json(": {"shape": [2, 3], "data": [0.0, 1.5, 2.0, 0.5, 1.0, 1.0]}, "var": {"shape": [2], "data": )json"
        R"json([0.5, 2.0]}}})json",
        {{},
         {6.8261311054229736},
         {{"input", {1.0, -1.0, 0.0, -0.75, -0.5, 0.0}},
          {"target", {-1.0, 1.0, 0.0, 0.75, 0.5, 0.0}},
          {"var", {2.0, 0.34375}}}},
        kImplUlps);
}

// var (2, 1) (last dimension 1) for a (2, 3) input; mean over 6 elements, grad_output 3.
TEST_P(GaussianNllLoss, TrailingOneVarMeanWithGradOutput) {
  check(R"json({"loss": "gaussian_nll_loss", "dtype": "float64", "options": {"reduction": "mean"}, "inputs")json"
        R"json(: {"input": {"shape": [2, 3], "data": [0.5, 1.0, 2.0, -1.0, 0.0, 1.0]}, "target": {"shape": )json"
        R"json([2, 3], "data": [0.0, 1.5, 2.25, 0.5, 1.0, -1.0]}, "var": {"shape": [2, 1], "data": [0.25, 4)json"
        R"json(.0]}}, "grad_output": {"shape": [], "data": [3.0]}})json",
        {{},
         {0.33854166666666667},
         {{"input", {1.0, -1.0, -0.5, -0.1875, -0.125, 0.25}},
          {"target", {-1.0, 1.0, 0.5, 0.1875, 0.125, -0.25}},
          {"var", {0.75, 0.07421875}}}},
        kImplUlps);
}

// a 0-D input with a (1) var: functional.py accepts it (sizes match up to the last dimension, which is 1) and
// the output takes the broadcast shape (1).
TEST_P(GaussianNllLoss, ScalarInputWithVarOfOneElement) {
  check(R"json({"loss": "gaussian_nll_loss", "dtype": "float64", "options": {"reduction": "none"}, "inputs")json"
        R"json(: {"input": {"shape": [], "data": [1.5]}, "target": {"shape": [], "data": [-0.5]}, "var": {")json"
        R"json(shape": [1], "data": [3.0]}}})json",
        {{1},
         {1.2159728110007215},
         {{"input", {0.66666666666666667}},
          {"target", {-0.66666666666666667}},
          {"var", {-0.0555555555555555556}}}},
        kImplUlps);
}

// a (3) target broadcast against (2, 3) input and var; eps = 0.5 clamps var 0.25 and 0; float32 mean.
TEST_P(GaussianNllLoss, TargetBroadcastsAndEpsOption) {
  check(R"json({"loss": "gaussian_nll_loss", "dtype": "float32", "options": {"eps": 0.5}, "inputs": {"input)json"
        R"json(": {"shape": [2, 3], "data": [0.5, 1.0, 2.0, -1.0, 0.0, 1.0]}, "target": {"shape": [3], "dat)json"
        R"json(a": [0.0, 1.5, 2.0]}, "var": {"shape": [2, 3], "data": [0.25, 1.0, 0.0, 2.0, 0.75, 1.5]}}})json",
        {{},
         {0.3617752101469254},
         {{"input", {0.16666666666666667, -0.083333333333333333, 0.0, -0.083333333333333333,
                       -0.33333333333333333, -0.11111111111111111}},
          {"target", {-0.083333333333333333, 0.41666666666666667, 0.11111111111111111}},
          {"var", {0.083333333333333333, 0.0625, 0.16666666666666667, 0.020833333333333333,
                     -0.22222222222222222, 0.018518518518518519}}}},
        kImplUlps);
}

// a (2, 2) target enlarges a (2) input; var () is the input's shape without its last dimension (unsqueezed to
// (1)); sum; the input and var gradients sum over the broadcast.
TEST_P(GaussianNllLoss, TargetEnlargesInput) {
  check(R"json({"loss": "gaussian_nll_loss", "dtype": "float64", "options": {"reduction": "sum"}, "inputs":)json"
        R"json( {"input": {"shape": [2], "data": [0.5, -1.0]}, "target": {"shape": [2, 2], "data": [0.0, 1.)json"
        R"json(0, 2.0, -3.0]}, "var": {"shape": [], "data": [0.5]}}})json",
        {{},
         {9.1137056388801094},
         {{"input", {-2.0, 0.0}},
          {"target", {-1.0, 4.0, 3.0, -4.0}},
          {"var", {-17.0}}}},
        kImplUlps);
}


// What torch rejects, with the messages pinned: var's size, a negative var (a value check: -0 and NaN pass), the
// reduction string compared by functional.py itself, no legacy flags, a target that does not broadcast.
TEST_P(GaussianNllLoss, RejectsWhatTorchRejects) {
  const std::string xt = R"json("input": {"shape": [2, 3], "data": [1, 2, 3, 4, 5, 6]}, "target": {"shape": [2, 3], "data": [1, 2, 3, 4, 5, 6]})json";
  check_error(R"json({"loss": "gaussian_nll_loss", "dtype": "float64", "inputs": {)json" + xt +
                  R"json(, "var": {"shape": [2, 3], "data": [1, 1, 2, 1, -0.5, 1]}}})json",
              "gaussian_nll_loss: var has negative entry/entries (var[4] = -0.5)");
  check_error(R"json({"loss": "gaussian_nll_loss", "dtype": "float32", "inputs": {)json" + xt +
                  R"json(, "var": {"shape": [3], "data": [1, 1, 2]}}})json",
              "gaussian_nll_loss: var is of incorrect size: var of shape [3] for input of shape [2, 3]");
  check_error(R"json({"loss": "gaussian_nll_loss", "dtype": "float32", "inputs": {)json" + xt +
                  R"json(, "var": {"shape": [2, 3, 1], "data": [1, 1, 2, 1, 1, 1]}}})json",
              "gaussian_nll_loss: var is of incorrect size: var of shape [2, 3, 1] for input of shape [2, 3]");
  check_error(R"json({"loss": "gaussian_nll_loss", "dtype": "float64", "inputs": {"input": {"shape": [], "data": [1]}, )json"
              R"json("target": {"shape": [], "data": [1]}, "var": {"shape": [3], "data": [1, 1, 1]}}})json",
              "gaussian_nll_loss: var is of incorrect size: var of shape [3] for input of shape []");
  check_error(R"json({"loss": "gaussian_nll_loss", "dtype": "float64", "options": {"reduction": "elementwise_mean"}, "inputs": {)json" +
                  xt + R"json(, "var": {"shape": [2], "data": [1, 2]}}})json",
              "gaussian_nll_loss: elementwise_mean is not valid (functional.py accepts only 'none', 'mean' and 'sum' here)");
  check_error(R"json({"loss": "gaussian_nll_loss", "dtype": "float64", "options": {"size_average": false}, "inputs": {)json" +
                  xt + R"json(, "var": {"shape": [2], "data": [1, 2]}}})json",
              "gaussian_nll_loss: unknown option 'size_average'");
  check_error(R"json({"loss": "gaussian_nll_loss", "dtype": "float32", "inputs": {"input": {"shape": [2, 3], )json"
              R"json("data": [1, 2, 3, 4, 5, 6]}, "target": {"shape": [4], "data": [1, 2, 3, 4]}, "var": {"shape": [2, 3], )json"
              R"json("data": [1, 1, 2, 1, 1, 1]}}})json",
              "gaussian_nll_loss: input of shape [2, 3] and target of shape [4] do not broadcast");
}

// -0 and NaN are not negative: accepted. -0 is clamped to eps (x = t there: L = log(eps) / 2 with eps = 1e-6 as
// float32, dL/dvar = 1 / (2 eps)); NaN propagates (clamp keeps it); sum, float32.
TEST_P(GaussianNllLoss, NegativeZeroAndNanVarAreAccepted) {
  check(R"json({"loss": "gaussian_nll_loss", "dtype": "float32", "options": {"reduction": "none"}, "inputs": {)json"
        R"json("input": {"shape": [2], "data": [1, 2]}, "target": {"shape": [2], "data": [1, 2]}, "var": {"shape": [2], )json"
        R"json("data": [-0.0, "nan"]}}})json",
        {{2}, {-6.9077552802445157, kNaN}, {{"input", {0.0, kNaN}}, {"target", {0.0, kNaN}}, {"var", {500000.00126237865, kNaN}}}}, kImplUlps);
}

}  // namespace
}  // namespace gaussian_nll_loss_test
