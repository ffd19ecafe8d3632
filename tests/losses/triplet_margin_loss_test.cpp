// Spot tests of triplet_margin_loss against values computed independently of both implementations.
//
// Where the expected values come from: every case below was evaluated exactly, in Python's mpmath at 50 significant
// digits, by the model reproduced at the end of this comment, written from PyTorch 1.13.1's semantics
// (torch.nn.functional.triplet_margin_loss, ATen's Loss.cpp / Distance.cpp, autograd's norm_backward and minimum's
// backward; docs/torch-quirks.md), not from losscheck's code. The inputs of a float32 case are the float32 values of
// its decimals, and eps and margin are rounded to float32 there as torch converts the scalars. The exact results are
// written to 17 significant digits, or 22 where 17 would not round to the correctly rounded double. Each case was
// also run through torch 1.13 (float64, and float32 for the float32 case) and agreed with the model to 1.6e-6
// relative (the float32 case) or better; torch is never the source of a value.
//
// Error bounds, in ULPs of the case dtype:
//   reference  0  it computes at 256 bits and rounds once to the dtype.
//   impl       kImplUlps = 8: a distance takes D = 2 or 3 differences, + eps, powers, D - 1 additions and a root
//              (~10 roundings, all in double for float32 cases), the hinge two more; a gradient is
//              |z|^(p-1) / d^(p-1) times the incoming gradient, summed over two or three distances. No expected
//              gradient here cancels by more than a factor 2, so the worst case is below ~16 ULPs; we hold impl to 8.
//
// The model (mpmath, mp.dps = 50; f32 rounds a decimal to float32):
//
//   def norm(z, P): return sqrt(sum(v*v for v in z)) if P == 2 else power(sum(power(fabs(v), P) for v in z), 1/mpf(P))
//   def dnorm(z, N, P):  # torch 1.13's norm_backward: sgn(0) = 0, and 0 where N = 0 (p != 1)
//       return [sgn(v) if P == 1 else mpf(0) if N == 0 else
//               (mpf(0) if v == 0 else sgn(v)*power(fabs(v), P-1)*power(N, 1-P)) if P < 1 else
//               sgn(v)*power(fabs(v), P-1)/power(N, P-1) for v in z]
//   def tml(a, p, n, D, margin=1.0, P=2, eps=1e-6, swap=False, red='mean', g=None, dtype='float64'):
//       cv = f32 if dtype == 'float32' else mpf;  a, p, n, eps, margin = (cv of each)
//       for each row r (D values): u = a - p + eps, v = a - n + eps, w = p - n + eps
//           dap, dan, dpn = norm(u), norm(v), norm(w);  dn = min(dan, dpn) if swap else dan
//           h = margin + dap - dn;  L[r] = max(h, 0)
//       out, G = L / its sum (G = g or 1) / its mean (G = g / R)
//       per row: gh = G[r] if h >= 0 else 0  (clamp_min passes the gradient at 0)
//           gan, gpn = -gh, 0;  with swap: both -gh/2 at dan == dpn, else all of -gh to the smaller
//           grad_a = gh dnorm(u) + gan dnorm(v);  grad_p = -gh dnorm(u) + gpn dnorm(w);  grad_n = -gan dnorm(v) - gpn dnorm(w)

#include <gtest/gtest.h>

#include "losscheck/impl.h"
#include "losscheck/reference.h"
#include "test_util.h"

namespace triplet_margin_loss_test {
namespace {

using namespace losscheck::testing;

constexpr double kImplUlps = 8;

losscheck::loss_result reference_evaluate(const losscheck::loss_case& c) { return losscheck::reference::evaluate(c); }

class TripletMarginLoss : public loss_spot_test {};
INSTANTIATE_TEST_SUITE_P(Both, TripletMarginLoss,
                         ::testing::Values(implementation_under_test{"reference", reference_evaluate, true},
                                           implementation_under_test{"impl", losscheck::impl::evaluate, false}),
                         implementation_name);

// Defaults (margin 1, p 2, eps 1e-6, mean): row 0 on the hinge's positive side, row 1 clamped to 0 (gradient 0).
TEST_P(TripletMarginLoss, DefaultsMean) {
  check(R"json({"loss": "triplet_margin_loss", "dtype": "float64", "inputs": {)json"
        R"json("anchor": {"shape": [2, 3], "data": [1.0, 2.0, -1.0, 0.5, 0.0, 1.5]}, )json"
        R"json("positive": {"shape": [2, 3], "data": [1.5, 1.0, -0.5, 0.0, 0.5, 1.0]}, )json"
        R"json("negative": {"shape": [2, 3], "data": [2.0, 2.5, 0.0, -1.0, 1.0, 2.5]}}})json",
        {{},
         {0.36237326902970319},
         {{"anchor", {0.12920963338695814, 0.57491521723009091, 0.12920963338695814, 0.0, 0.0, 0.0}},
          {"positive", {0.20412373698343692, -0.40824869871174523, 0.20412373698343692, 0.0, 0.0, 0.0}},
          {"negative", {-0.33333337037039506, -0.16666651851834568, -0.33333337037039506, 0.0, 0.0, 0.0}}}},
        kImplUlps);
}

// p = 1, eps = 0, swap: row 0 keeps d(a, n) = 0.5 < d(p, n) = 2.5, row 1 takes d(p, n) = 1 < d(a, n) = 4;
// grad_output (2, -0.5); a zero difference (row 1's second element of a - p) gets gradient sgn(0) = 0.
TEST_P(TripletMarginLoss, SwapNoneL1WithGradOutput) {
  check(R"json({"loss": "triplet_margin_loss", "dtype": "float64", "options": {"p": 1.0, "eps": 0.0, "swap": true, )json"
        R"json("margin": 2.0, "reduction": "none"}, "inputs": {)json"
        R"json("anchor": {"shape": [2, 2], "data": [1.0, 2.0, 0.0, 0.0]}, )json"
        R"json("positive": {"shape": [2, 2], "data": [0.0, 1.0, 3.0, 0.0]}, )json"
        R"json("negative": {"shape": [2, 2], "data": [1.5, 2.0, 3.0, 1.0]}}, )json"
        R"json("grad_output": {"shape": [2], "data": [2.0, -0.5]}})json",
        {{2},
         {3.5, 4.0},
         {{"anchor", {4.0, 2.0, 0.5, 0.0}},
          {"positive", {-2.0, -2.0, -0.5, -0.5}},
          {"negative", {-2.0, 0.0, 0.0, 0.5}}}},
        kImplUlps);
}

// float32, p = 3, margin 0.5, sum: row 1 clamped.
TEST_P(TripletMarginLoss, Float32CubicSum) {
  check(R"json({"loss": "triplet_margin_loss", "dtype": "float32", "options": {"p": 3.0, "margin": 0.5, )json"
        R"json("reduction": "sum"}, "inputs": {)json"
        R"json("anchor": {"shape": [2, 2], "data": [0.5, -1.25, 2.0, 1.0]}, )json"
        R"json("positive": {"shape": [2, 2], "data": [0.25, 0.5, 1.0, 1.5]}, )json"
        R"json("negative": {"shape": [2, 2], "data": [1.5, 0.75, -1.0, 2.0]}}})json",
        {{},
         {0.17161538505115422},
         {{"anchor", {0.25148899840373471, -0.073579246961671471, 0.0, 0.0}},
          {"positive", {-0.020368779060646772, 0.99806104881605388, 0.0, 0.0}},
          {"negative", {-0.23112021934308794, -0.92448180185438241, 0.0, 0.0}}}},
        kImplUlps);
}

// Unbatched (D) inputs, p = 1.5: a 0-D output.
TEST_P(TripletMarginLoss, UnbatchedFractionalOrder) {
  check(R"json({"loss": "triplet_margin_loss", "dtype": "float64", "options": {"p": 1.5, "margin": 2.5}, )json"
        R"json("inputs": {"anchor": {"shape": [3], "data": [1.0, -2.0, 0.5]}, )json"
        R"json("positive": {"shape": [3], "data": [0.5, -3.0, 0.0]}, )json"
        R"json("negative": {"shape": [3], "data": [2.0, 0.0, 1.5]}}})json",
        {{},
         {1.071634901112920740674},
         {{"anchor", {1.183299825480701324895, 1.67343845236946890483, 1.183299825480701324895}},
          {"positive", {-0.5916500427079185140201, -0.836719096217134109064, -0.5916500427079185140201}},
          {"negative", {-0.5916497827727828108753, -0.8367193561523347957656, -0.5916497827727828108753}}}},
        kImplUlps);
}

// p = 0.5 (a quasi-norm torch accepts), eps = 1e-3, sum.
TEST_P(TripletMarginLoss, HalfOrderSum) {
  check(R"json({"loss": "triplet_margin_loss", "dtype": "float64", "options": {"p": 0.5, "margin": 10.0, )json"
        R"json("eps": 0.001, "reduction": "sum"}, "inputs": {)json"
        R"json("anchor": {"shape": [1, 2], "data": [1.0, 2.0]}, )json"
        R"json("positive": {"shape": [1, 2], "data": [0.0, 0.5]}, )json"
        R"json("negative": {"shape": [1, 2], "data": [3.0, 4.0]}}})json",
        {{},
         {6.957530950243133275711},
         {{"anchor", {4.224540934187379258509, 3.816632561706573376267}},
          {"positive", {-2.224540934187379258509, -1.816632561706573376267}},
          {"negative", {-2.0, -2.0}}}},
        kImplUlps);
}

// positive = anchor with eps = 0: d(a, p) = 0 and torch's norm backward masks its gradient to 0.
TEST_P(TripletMarginLoss, ZeroDistanceHasZeroGradient) {
  check(R"json({"loss": "triplet_margin_loss", "dtype": "float64", "options": {"eps": 0.0, "margin": 3.0, )json"
        R"json("reduction": "none"}, "inputs": {)json"
        R"json("anchor": {"shape": [2, 2], "data": [1.0, 2.0, 3.0, -1.0]}, )json"
        R"json("positive": {"shape": [2, 2], "data": [1.0, 2.0, 3.0, -1.0]}, )json"
        R"json("negative": {"shape": [2, 2], "data": [2.0, 0.0, 1.0, 1.0]}}})json",
        {{2},
         {0.7639320225002103, 0.1715728752538099},
         {{"anchor", {0.44721359549995794, -0.89442719099991588, -0.70710678118654752, 0.70710678118654752}},
          {"positive", {0.0, 0.0, 0.0, 0.0}},
          {"negative", {-0.44721359549995794, 0.89442719099991588, 0.70710678118654752, -0.70710678118654752}}}},
        kImplUlps);
}

// The hinge exactly at 0 (d(a, p) = 5, d(a, n) = 6, margin 1): loss 0, but clamp_min passes the gradient.
TEST_P(TripletMarginLoss, HingeTiePassesTheGradient) {
  check(R"json({"loss": "triplet_margin_loss", "dtype": "float32", "options": {"eps": 0.0, "reduction": "none"}, )json"
        R"json("inputs": {"anchor": {"shape": [1, 2], "data": [0.0, 0.0]}, )json"
        R"json("positive": {"shape": [1, 2], "data": [3.0, 4.0]}, )json"
        R"json("negative": {"shape": [1, 2], "data": [0.0, 6.0]}}})json",
        {{1}, {0.0}, {{"anchor", {-0.6, 0.2}}, {"positive", {0.6, 0.8}}, {"negative", {0.0, -1.0}}}}, kImplUlps);
}

// swap at its tie d(a, n) = d(p, n) = 1: minimum's backward sends half the gradient to each.
TEST_P(TripletMarginLoss, SwapTieHalvesTheGradient) {
  check(R"json({"loss": "triplet_margin_loss", "dtype": "float64", "options": {"eps": 0.0, "swap": true, )json"
        R"json("margin": 3.0, "reduction": "none"}, "inputs": {"anchor": {"shape": [1, 2], "data": [0.0, 0.0]}, )json"
        R"json("positive": {"shape": [1, 2], "data": [2.0, 0.0]}, )json"
        R"json("negative": {"shape": [1, 2], "data": [1.0, 0.0]}}})json",
        {{1}, {4.0}, {{"anchor", {-0.5, 0.0}}, {"positive", {0.5, 0.0}}, {"negative", {0.0, 0.0}}}}, kImplUlps);
}

// Ranks that differ: Loss.cpp's message.
TEST_P(TripletMarginLoss, RanksDiffer) {
  check_error(R"json({"loss": "triplet_margin_loss", "inputs": {"anchor": {"shape": [1, 2], "data": [0.0, 0.0]}, )json"
              R"json("positive": {"shape": [2], "data": [2.0, 0.0]}, )json"
              R"json("negative": {"shape": [1, 2], "data": [1.0, 0.0]}}})json",
              "triplet_margin_loss: All inputs should have same dimension but got 2D, 1D and 2D inputs.");
}

// Shapes that do not broadcast.
TEST_P(TripletMarginLoss, ShapesDoNotBroadcast) {
  check_error(R"json({"loss": "triplet_margin_loss", "inputs": {"anchor": {"shape": [1, 2], "data": [0.0, 0.0]}, )json"
              R"json("positive": {"shape": [1, 2], "data": [2.0, 0.0]}, )json"
              R"json("negative": {"shape": [1, 3], "data": [1.0, 0.0, 1.0]}}})json",
              "triplet_margin_loss: broadcast(anchor, positive) of shape [1, 2] and negative of shape [1, 3] do not "
              "broadcast");
}

// p = 0 (torch counts non-zeros and has no gradient): not modelled, rejected with the rule.
TEST_P(TripletMarginLoss, OrderZeroIsRejected) {
  check_error(R"json({"loss": "triplet_margin_loss", "options": {"p": 0.0}, "inputs": {)json"
              R"json("anchor": {"shape": [1, 2], "data": [0.0, 0.0]}, "positive": {"shape": [1, 2], "data": [2.0, 0.0]}, )json"
              R"json("negative": {"shape": [1, 2], "data": [1.0, 0.0]}}})json",
              "triplet_margin_loss: p must be positive and finite (torch's p <= 0 and p = inf norms are not modelled), got 0");
}

}  // namespace
}  // namespace triplet_margin_loss_test
