// Spot tests of poisson_nll_loss against values computed independently of both implementations.
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
//   def poisson_nll_loss(x, t, red, g, log_input=True, full=False, eps=1e-8):
//       eps, two_pi = scal(eps), scal(2 * math.pi)
//       X, T = np.broadcast_arrays(x, t)
//       def L(a, b):
//           v = exp(a) - b * a if log_input else a - b * log(a + eps)
//           if full and b > 1: v += b * log(b) - b + log(two_pi * b) / 2   # masked_fill(t <= 1, 0)
//           return v
//       out, G = reduce(ew(L, X, T), red, g)
//       gx = ew(lambda a, b, g: g * exp(a) - g * b if log_input else g - g * b / (a + eps), X, T, G)
//       def gt(a, b, g):
//           v = -g * a if log_input else -g * log(a + eps)
//           if full and b > 1: v += g * (log(b) + 1 / (2 * b))
//           return v
//       gt = unbroadcast(ew(gt, X, T, G), t.shape)
//       if full: gt = ew(lambda v, b: v if b > 0 else NAN, gt, t)   # torch's masked 0 * log t: NaN at t <= 0
//       return out, {'input': unbroadcast(gx, x.shape), 'target': gt}

#include <gtest/gtest.h>

#include "losscheck/impl.h"
#include "losscheck/reference.h"
#include "test_util.h"

namespace poisson_nll_loss_test {
namespace {

using namespace losscheck::testing;

constexpr double kImplUlps = 4;

losscheck::loss_result reference_evaluate(const losscheck::loss_case& c) { return losscheck::reference::evaluate(c); }

class PoissonNllLoss : public loss_spot_test {};
INSTANTIATE_TEST_SUITE_P(Both, PoissonNllLoss,
                         ::testing::Values(implementation_under_test{"reference", reference_evaluate, true},
                                           implementation_under_test{"impl", losscheck::impl::evaluate, false}),
                         implementation_name);

// log_input (default) and full: e^x - t x, plus the Stirling term only where t > 1 (t = 0, 0.5, 1,
// -1 get none); the target gradient is NaN at t = 0 and t = -1 (torch's masked 0 log t), -x + log t + 1/(2t) at t > 1.
TEST_P(PoissonNllLoss, LogInputFullNone) {
  check(R"json({"loss": "poisson_nll_loss", "dtype": "float64", "options": {"reduction": "none", "full": tr)json"
        R"json(ue}, "inputs": {"input": {"shape": [7], "data": [0.5, 1.0, 2.0, -1.0, 0.0, 3.0, 0.25]}, "tar)json"
        R"json(get": {"shape": [7], "data": [0.0, 1.0, 2.0, 0.5, -1.0, 1.5, 3.0]}}})json",
        {{7},
         {1.6487212707001281, 1.71828182845904524, 4.0408625835351862, 0.86787944117144232, 1.0,
          15.815405672608669, 2.2981069602307981},
         {{"input", {1.6487212707001281, 1.71828182845904524, 5.3890560989306502, -0.132120558828557678, 2.0,
                       18.585536923187668, -1.7159745833122585}},
          {"target", {kNaN, -1.0, -1.0568528194400547, 1.0, kNaN, -2.2612015585585023, 1.0152789553347764}}}},
        kImplUlps);
}

// log_input=False: x - t log(x + 1e-8); dL/dx = 1 - t/(x + 1e-8), dL/dt = -log(x + 1e-8); x = 0 gives
// -t log(1e-8); grad_output per element.
TEST_P(PoissonNllLoss, RateInputWithGradOutput) {
  check(R"json({"loss": "poisson_nll_loss", "dtype": "float64", "options": {"reduction": "none", "log_input)json"
        R"json(": false}, "inputs": {"input": {"shape": [2, 2], "data": [0.0, 0.5, 2.0, 4.0]}, "target": {")json"
        R"json(shape": [2, 2], "data": [3.0, 1.0, 0.0, 2.5]}}, "grad_output": {"shape": [2, 2], "data": [1.)json"
        R"json(0, -2.0, 0.5, 3.0]}})json",
        {{2, 2},
         {55.262042231857096, 1.1931471605599455, 2.0, 0.53426409095027346},
         {{"input", {-299999998.99999999, 1.9999999200000016, 0.5, 1.1250000046875}},
          {"target", {18.4206807439523655, -1.386294321119891, -0.34657359277997265, -4.1588830908596718}}}},
        kImplUlps);
}

// float32 mean with full over a (1, 3) target broadcast against a (2, 3) input: the target gradient sums both rows.
TEST_P(PoissonNllLoss, MeanFloat32BroadcastTarget) {
  check(R"json({"loss": "poisson_nll_loss", "dtype": "float32", "options": {"full": true}, "inputs": {"inpu)json"
        R"json(t": {"shape": [2, 3], "data": [0.5, -1.0, 1.25, 2.0, 0.0, -0.5]}, "target": {"shape": [1, 3])json"
        R"json(, "data": [4.0, 0.5, 2.0]}}})json",
        {{},
         {1.85344496155486635},
         {{"input", {-0.39187978821664531, -0.0220200931380929464, 0.2483904929103069, 0.56484268315510837,
                       0.083333333333333333, -0.23224489004789443}},
          {"target", {0.087098120373296873, 0.16666666666666667, 0.18938239351998177}}}},
        kImplUlps);
}

// a (2, 3) target enlarges a (3) input (the output takes the broadcast shape); sum; the input gradient sums the
// two rows.
TEST_P(PoissonNllLoss, TargetEnlargesInput) {
  check(R"json({"loss": "poisson_nll_loss", "dtype": "float64", "options": {"reduction": "sum"}, "inputs": )json"
        R"json({"input": {"shape": [3], "data": [0.5, -1.0, 1.5]}, "target": {"shape": [2, 3], "data": [1.0)json"
        R"json(, 2.0, 0.0, 3.0, 5.0, 7.0]}}})json",
        {{},
         {7.4965795644192706},
         {{"input", {-0.70255745859974371, -6.2642411176571154, 1.9633781406761296}},
          {"target", {-0.5, 1.0, -1.5, -0.5, 1.0, -1.5}}}},
        kImplUlps);
}

// legacy size_average=False overrides reduction='none': the sum; eps = 0.25 with log_input=False, float32.
TEST_P(PoissonNllLoss, LegacySizeAverageFalseIsSum) {
  check(R"json({"loss": "poisson_nll_loss", "dtype": "float32", "options": {"reduction": "none", "size_aver)json"
        R"json(age": false, "log_input": false, "eps": 0.25}, "inputs": {"input": {"shape": [3], "data": [0)json"
        R"json(.0, 1.0, 3.5]}, "target": {"shape": [3], "data": [2.0, 1.0, 6.0]}}})json",
        {{},
         {-0.8810898689683452},
         {{"input", {-7.0, 0.2, -0.6}},
          {"target", {1.3862943611198906, -0.22314355131420976, -1.3217558399823194}}}},
        kImplUlps);
}

// 0-D input and target, full with t = 10 (Stirling term log 10! approximation), float32, grad_output 2.
TEST_P(PoissonNllLoss, ScalarFullFloat32) {
  check(R"json({"loss": "poisson_nll_loss", "dtype": "float32", "options": {"reduction": "mean", "full": tr)json"
        R"json(ue}, "inputs": {"input": {"shape": [], "data": [2.25]}, "target": {"shape": [], "data": [10.)json"
        R"json(0]}}, "grad_output": {"shape": [], "data": [2.0]}})json",
        {{},
         {2.0838178599144455},
         {{"input", {-1.0245283272829486}},
          {"target", {0.20517018598809137}}}},
        kImplUlps);
}


// What torch rejects, with the messages pinned: functional.py compares the reduction string itself ('elementwise_mean'
// refused, unless a legacy flag decides the reduction), shapes that do not broadcast, option types.
TEST_P(PoissonNllLoss, RejectsWhatTorchRejects) {
  const std::string tensors = R"json("inputs": {"input": {"shape": [2], "data": [1, 2]}, "target": {"shape": [2], "data": [1, 2]}})json";
  check_error(R"json({"loss": "poisson_nll_loss", "dtype": "float32", "options": {"reduction": "elementwise_mean"}, )json" + tensors + "}",
              "poisson_nll_loss: elementwise_mean is not valid (functional.py accepts only 'none', 'mean' and 'sum' here)");
  check_error(R"json({"loss": "poisson_nll_loss", "dtype": "float64", "options": {"reduction": "batchmean"}, )json" + tensors + "}",
              "poisson_nll_loss: batchmean is not valid");
  check_error(R"json({"loss": "poisson_nll_loss", "dtype": "float64", "options": {"eps": "x"}, )json" + tensors + "}",
              "poisson_nll_loss: option 'eps' must be a number");
  check_error(R"json({"loss": "poisson_nll_loss", "dtype": "float64", "inputs": {"input": {"shape": [2, 3], )json"
              R"json("data": [1, 2, 3, 4, 5, 6]}, "target": {"shape": [4], "data": [1, 2, 3, 4]}}})json",
              "poisson_nll_loss: input of shape [2, 3] and target of shape [4] do not broadcast");
}

// A legacy flag decides the reduction before functional.py looks at the string: 'elementwise_mean' is then harmless
// (reduce=True: the mean, 0.5 (e^0.5 - 0.5 + e^1.5 - 3) with input [0.5, 1.5], target [1, 2]).
TEST_P(PoissonNllLoss, LegacyFlagOverridesAnInvalidReductionString) {
  check(R"json({"loss": "poisson_nll_loss", "dtype": "float64", "options": {"reduction": "elementwise_mean", )json"
        R"json("reduce": true}, "inputs": {"input": {"shape": [2], "data": [0.5, 1.5]}, "target": {"shape": [2], )json"
        R"json("data": [1.0, 2.0]}}})json",
        {{}, {1.3152051705190965}, {{"input", {0.32436063535006407, 1.2408445351690324}}, {"target", {-0.25, -0.75}}}}, kImplUlps);
}

}  // namespace
}  // namespace poisson_nll_loss_test
