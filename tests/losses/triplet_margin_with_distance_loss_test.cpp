// Spot tests of triplet_margin_with_distance_loss against values computed independently of both implementations.
//
// Where the expected values come from: every case below was evaluated exactly, in Python's mpmath at 50 significant
// digits, by the model reproduced at the end of this comment, written from PyTorch 1.13.1's semantics
// (torch.nn.functional.triplet_margin_with_distance_loss, pairwise_distance, ATen's cosine_similarity in
// Distance.cpp with its norms clamped under no_grad; docs/torch-quirks.md), not from losscheck's code. Inputs of a
// float32 case are the float32 values of its decimals (eps and margin in float32 too). Each case was also run through
// torch 1.13 (distance_function = None, or lambda x, y: 1 - F.cosine_similarity(x, y, dim=-1)) and agreed with the
// model to 4e-9 relative; torch is never the source of a value.
//
// Error bounds: reference 0 ULPs (256 bits, rounded once); impl kImplUlps = 8 (a distance is ~10 roundings, the
// hinge 2 more; no expected gradient here cancels by more than a factor 2).
//
// The model (mpmath, mp.dps = 50):
//   pairwise(x, y): z = x - y + 1e-6, d = sqrt(Σ z²), ∂d/∂x = z / d (0 where d = 0), ∂d/∂y = -∂d/∂x
//   cosine(x, y):   N_x = max(‖x‖, 1e-8), N_y = max(‖y‖, 1e-8), c = Σxy / (N_x N_y), d = 1 - c,
//                   ∂d/∂x = -(y / (N_x N_y) - c x / N_x²), ∂d/∂y = -(x / (N_x N_y) - c y / N_y²)
//                   (torch 1.13 keeps the clamped norm in the norm's backward, so this holds clamped or not)
//   per row: h = d(a, p) - d_n + margin (d_n = d(a, n), or min(d(a, n), d(p, n)) with swap), L = max(h, 0);
//   gh = g [h >= 0] to d(a, p), -gh to d(a, n) (with swap: to the smaller, halved at a tie).

#include <gtest/gtest.h>

#include "losscheck/impl.h"
#include "losscheck/reference.h"
#include "test_util.h"

namespace triplet_margin_with_distance_loss_test {
namespace {

using namespace losscheck::testing;

constexpr double kImplUlps = 8;

losscheck::loss_result reference_evaluate(const losscheck::loss_case& c) { return losscheck::reference::evaluate(c); }

class TripletMarginWithDistanceLoss : public loss_spot_test {};
INSTANTIATE_TEST_SUITE_P(Both, TripletMarginWithDistanceLoss,
                         ::testing::Values(implementation_under_test{"reference", reference_evaluate, true},
                                           implementation_under_test{"impl", losscheck::impl::evaluate, false}),
                         implementation_name);

// The default distance, pairwise_distance (the same values as triplet_margin_loss's DefaultsMean).
TEST_P(TripletMarginWithDistanceLoss, DefaultPairwiseMean) {
  check(R"json({"loss": "triplet_margin_with_distance_loss", "dtype": "float64", "inputs": {)json"
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

// cosine with swap, none, grad_output (2, -0.5): row 0 keeps d(a, n), row 1 takes d(p, n).
TEST_P(TripletMarginWithDistanceLoss, CosineSwapNone) {
  check(R"json({"loss": "triplet_margin_with_distance_loss", "dtype": "float64", "options": {)json"
        R"json("distance_function": "cosine", "swap": true, "margin": 0.5, "reduction": "none"}, "inputs": {)json"
        R"json("anchor": {"shape": [2, 3], "data": [1.0, 2.0, 0.0, 1.0, 0.0, 1.0]}, )json"
        R"json("positive": {"shape": [2, 3], "data": [2.0, 1.0, 1.0, 0.0, 1.0, 1.0]}, )json"
        R"json("negative": {"shape": [2, 3], "data": [-1.0, 1.0, 0.5, 1.0, 2.0, 0.0]}}, )json"
        R"json("grad_output": {"shape": [2], "data": [2.0, -0.5]}})json",
        {{2},
         {0.067845653659750475, 0.63245553203367587},
         {{"anchor", {-1.1537197988040656, 0.5768598994020328, -0.067005974670138783, -0.125, 0.25, 0.125}},
          {"positive", {0.12171612389003691, -0.48686449556014766, 0.24343224778007383, 0.091886116991581033,
                        -0.28311388300841897, 0.28311388300841897}},
          {"negative", {0.86130025799991899, 0.92755412399991276, -0.13250773199998754, 0.063245553203367587,
                        -0.031622776601683793, -0.15811388300841897}}}},
        kImplUlps);
}

// cosine, float32, a zero anchor row: its norm is clamped to 1e-8, cos = 0, and the gradient is y / (1e-8 N_y).
TEST_P(TripletMarginWithDistanceLoss, CosineZeroVectorFloat32) {
  check(R"json({"loss": "triplet_margin_with_distance_loss", "dtype": "float32", "options": {)json"
        R"json("distance_function": "cosine", "reduction": "sum"}, "inputs": {)json"
        R"json("anchor": {"shape": [2, 2], "data": [0.0, 0.0, 3.0, 4.0]}, )json"
        R"json("positive": {"shape": [2, 2], "data": [1.0, 2.0, 1.0, 0.0]}, )json"
        R"json("negative": {"shape": [2, 2], "data": [2.0, -1.0, 0.0, -2.0]}}})json",
        {{},
         {1.0},
         {{"anchor", {4.472135982178856e+7, -1.3416407946536568e+8, 0.0, 0.0}},
          {"positive", {0.0, 0.0, 0.0, 0.0}},
          {"negative", {0.0, 0.0, 0.0, 0.0}}}},
        kImplUlps);
}

// cosine with an anchor of norm 5e-9 < 1e-8: the clamped norm in the forward and in the norm's backward. positive's
// gradient -(a / (N_a N_p) - cos p / N_p²) cancels: 0.1789 - 0.1968 = -0.0179 (a factor 11), so impl is held to
// 11 kImplUlps there (its error is a few ULPs of the terms).
TEST_P(TripletMarginWithDistanceLoss, CosineClampedNorm) {
  check(R"json({"loss": "triplet_margin_with_distance_loss", "dtype": "float64", "options": {)json"
        R"json("distance_function": "cosine", "reduction": "sum"}, "inputs": {)json"
        R"json("anchor": {"shape": [1, 2], "data": [3e-9, 4e-9]}, )json"
        R"json("positive": {"shape": [1, 2], "data": [1.0, 2.0]}, )json"
        R"json("negative": {"shape": [1, 2], "data": [-1.0, 0.5]}}})json",
        {{},
         {0.41862232585005468},
         {{"anchor", {-1.1672274842548902e+8, -2.146625258399798e+7}},
          {"positive", {-0.035777087639996629, 0.017888543819998315}},
          {"negative", {0.1967739820199815, 0.393547964039963}}}},
        11 * kImplUlps);
}

// A distance_function losscheck does not know.
TEST_P(TripletMarginWithDistanceLoss, UnknownDistanceFunction) {
  check_error(R"json({"loss": "triplet_margin_with_distance_loss", "options": {"distance_function": "euclid"}, )json"
              R"json("inputs": {"anchor": {"shape": [1, 2], "data": [0.0, 0.0]}, )json"
              R"json("positive": {"shape": [1, 2], "data": [2.0, 0.0]}, "negative": {"shape": [1, 2], "data": [1.0, 0.0]}}})json",
              "triplet_margin_with_distance_loss: option 'distance_function' must be one of None, pairwise_distance, "
              "cosine, got \"euclid\"");
}

// No legacy flags: functional.py's signature has none.
TEST_P(TripletMarginWithDistanceLoss, LegacyFlagIsUnknown) {
  check_error(R"json({"loss": "triplet_margin_with_distance_loss", "options": {"size_average": true}, )json"
              R"json("inputs": {"anchor": {"shape": [1, 2], "data": [0.0, 0.0]}, )json"
              R"json("positive": {"shape": [1, 2], "data": [2.0, 0.0]}, "negative": {"shape": [1, 2], "data": [1.0, 0.0]}}})json",
              "triplet_margin_with_distance_loss: unknown option 'size_average' (valid options: reduction, "
              "distance_function, margin, swap)");
}

// Shapes that do not broadcast.
TEST_P(TripletMarginWithDistanceLoss, ShapesDoNotBroadcast) {
  check_error(R"json({"loss": "triplet_margin_with_distance_loss", "inputs": {)json"
              R"json("anchor": {"shape": [1, 2], "data": [0.0, 0.0]}, "positive": {"shape": [1, 2], "data": [2.0, 0.0]}, )json"
              R"json("negative": {"shape": [1, 3], "data": [1.0, 0.0, 1.0]}}})json",
              "triplet_margin_with_distance_loss: anchor of shape [1, 2] and negative of shape [1, 3] do not broadcast");
}

}  // namespace
}  // namespace triplet_margin_with_distance_loss_test
