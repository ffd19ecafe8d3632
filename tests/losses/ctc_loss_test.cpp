// Spot tests of ctc_loss against values computed independently of both implementations.
//
// Where the expected values come from: every case below was evaluated exactly, in Python's mpmath at 50 significant
// digits, by brute force over every alignment -- each path π in C^{input_length} is collapsed (repeats merged, then
// blanks removed) and kept when it gives the target; p = Σ Π_t e^{u[t][π_t]} over the kept paths -- not by the
// forward-backward recursion either implementation uses, and not from losscheck's code:
//   loss_b = -log p (inf where no path is kept; 0 with zero_infinity), reduced as at::ctc_loss does (sum; mean of
//   loss_b / max(target_length_b, 1));
//   grad[t][b][k] = (e^{u[t][k]} - γ_t(k)) ĝ_b for t < input_length_b, 0 beyond, with the occupancy γ_t(k) = Σ over the
//   kept paths with π_t = k of their product / p, and ĝ_b the gradient reaching loss_b (mean: g / N / max(L_b, 1));
//   NaN where p = 0, u[t][k] = -inf (torch 1.13's e^{-inf + inf}) or u[t][k] is NaN; a sequence zeroed by zero_infinity has
//   gradient 0 (docs/torch-quirks.md, ctc_loss).
// The inputs of the float32 case are the float32 values of its decimals, as the case reader rounds them. The script
// was run once; each case's semantics (values, NaN pattern, shapes) were also checked against torch 1.13.1 on the
// same inputs; torch is never the source of a value.
//
// Error bounds, in ULPs of the case dtype:
//   reference  0  it computes at 256 bits and rounds once to the dtype, so it must give the correctly rounded value.
//   impl       kImplUlps = 512. The float recursion's error (check/ctc_loss.cpp) is a few u per step in the
//                 log-values (|·| <= 12 here) over at most 4 steps, which makes the outputs and e^u and the occupancy
//                 γ (both <= 1) accurate to a few u absolutely; a gradient e^u - γ cancels them, so counted in ULPs of
//                 the gradient's own value, 4u at the smallest one here (0.0065309 = 0.4724 - 0.4658, whose ULP is
//                 2^-60) is 4 · 2^-53 / 2^-60 = 512 ULPs. (Measured: at most 161 ULPs, there.)

#include <gtest/gtest.h>

#include "losscheck/impl.h"
#include "losscheck/reference.h"
#include "test_util.h"

namespace ctc_loss_test {
namespace {

using namespace losscheck::testing;

constexpr double kImplUlps = 512;
constexpr double kInf = std::numeric_limits<double>::infinity();

losscheck::loss_result reference_evaluate(const losscheck::loss_case& c) { return losscheck::reference::evaluate(c); }

class CtcLoss : public loss_spot_test {};
INSTANTIATE_TEST_SUITE_P(Both, CtcLoss,
                         ::testing::Values(implementation_under_test{"reference", reference_evaluate, true},
                                           implementation_under_test{"impl", losscheck::impl::evaluate, false}),
                         implementation_name);

// padded (2, 2) targets, a repeated label [1, 1] (a blank must separate them) and [2] with input length 3 < T = 4 (the gradient rows t >= 3 of sequence 1 are 0), grad_output per sequence.
TEST_P(CtcLoss, PaddedNoneRepeatedLabelGradOutput) {
  check(R"json({"loss": "ctc_loss", "dtype": "float64", "options": {"reduction": "none"}, "inputs": {"log_probs": {)json"
        R"json("shape": [4, 2, 3], "data": [-0.5, -1.25, -2.0, -1.5, -0.75, -1.0, -0.25, -2.5, -1.75, -1.0, -0.5, -)json"
        R"json(3.0, -2.0, -0.125, -1.5, -0.875, -1.5, -0.625, -1.25, -1.0, -0.75, 0.0, 0.0, 0.0]}, "targets": {"sha)json"
        R"json(pe": [2, 2], "dtype": "int64", "data": [1, 1, 2, 1]}, "input_lengths": {"shape": [2], "dtype": "int6)json"
        R"json(4", "data": [4, 3]}, "target_lengths": {"shape": [2], "dtype": "int64", "data": [2, 1]}}, "grad_outp)json"
        R"json(ut": {"shape": [2], "data": [1.0, -0.5]}})json",
        {{2},
         {1.9406224793373993, 2.0528466734036733},
         {{"log_probs", {0.58927090009677443, -0.69623544352395091, 0.13533528323661269, 0.10076845586141331, -0.23618327637050735, 0.10372674347865061, -0.19578652416185425, 0.056672305857157911, 0.17377394345044513, 0.206937771612574, -0.30326532985631671, 0.084228973617772866, 0.032569714442814249, -0.014737528621606154, 0.22313016014842983, 0.059087529197658428, -0.11156508007421491, -0.03514925329640775, -0.10632552133624973, -0.23929024063211785, 0.47236655274101471, 0.0, 0.0, 0.0}}}},
        kImplUlps);
}

// float32, blank = 2, concatenated targets [0, 1] and an empty one (mean divides it by max(0, 1) = 1), input lengths 3 and 2.
TEST_P(CtcLoss, ConcatenatedMeanBlank2Float32) {
  check(R"json({"loss": "ctc_loss", "dtype": "float32", "options": {"reduction": "mean", "blank": 2}, "inputs": {"l)json"
        R"json(og_probs": {"shape": [3, 2, 3], "data": [-0.3, -1.7, -0.9, -1.1, -0.6, -2.2, -0.4, -1.9, -1.3, -2.1,)json"
        R"json( -0.2, -0.8, -0.7, -1.4, -0.5, -1.6, -1.2, -0.35]}, "targets": {"shape": [2], "dtype": "int64", "dat)json"
        R"json(a": [0, 1]}, "input_lengths": {"shape": [2], "dtype": "int64", "data": [3, 2]}, "target_lengths": {")json"
        R"json(shape": [2], "dtype": "int64", "data": [2, 0]}}})json",
        {{},
         {1.7741698796574174},
         {{"log_probs", {-0.014488641897505849, 0.045670878835426403, 0.051335612218618805, 0.16643553788090728, 0.27440581150466877, -0.44459842346058615, 0.025608233215426872, -0.033367868469903111, 0.030864752969023948, 0.061228219965668759, 0.40936537531898704, -0.27533552061959852, 0.12414632742779192, -0.13804395390415051, 0.10132586128754294, 0.0, 0.0, 0.0}}}},
        kImplUlps);
}

// [1, 1, 1] needs 5 steps, T = 3: no alignment; zero_infinity gives 0 and a zero gradient for it, the other sequence is unchanged.
TEST_P(CtcLoss, ImpossibleAlignmentZeroInfinity) {
  check(R"json({"loss": "ctc_loss", "dtype": "float64", "options": {"reduction": "none", "zero_infinity": true}, "i)json"
        R"json(nputs": {"log_probs": {"shape": [3, 2, 3], "data": [-1.0, -0.5, -2.0, -0.75, -1.25, -0.5, -0.5, -1.5)json"
        R"json(, -1.0, -1.75, -0.25, -1.5, -1.0, -1.0, -1.0, -0.5, -2.0, -0.25]}, "targets": {"shape": [2, 3], "dty)json"
        R"json(pe": "int64", "data": [1, 1, 1, 2, 1, 1]}, "input_lengths": {"shape": [2], "dtype": "int64", "data":)json"
        R"json( [3, 3]}, "target_lengths": {"shape": [2], "dtype": "int64", "data": [3, 1]}}})json",
        {{2},
         {0.0, 0.77359222406182085},
         {{"log_probs", {0.0, 0.0, 0.0, 0.017311942545811805, 0.2865047968601901, 0.061585269907836326, 0.0, 0.0, 0.0, -0.10335826623517275, 0.77880078307140487, -0.49973763016595229, 0.0, 0.0, 0.0, 0.15147604951743052, 0.13533528323661269, 0.23385539326660777}}}},
        kImplUlps);
}

// the same without zero_infinity: sum = inf, the impossible sequence's gradient NaN (torch: e^{-inf + inf}).
TEST_P(CtcLoss, ImpossibleAlignmentIsInfWithNaNGradient) {
  check(R"json({"loss": "ctc_loss", "dtype": "float64", "options": {"reduction": "sum"}, "inputs": {"log_probs": {")json"
        R"json(shape": [3, 2, 3], "data": [-1.0, -0.5, -2.0, -0.75, -1.25, -0.5, -0.5, -1.5, -1.0, -1.75, -0.25, -1)json"
        R"json(.5, -1.0, -1.0, -1.0, -0.5, -2.0, -0.25]}, "targets": {"shape": [2, 3], "dtype": "int64", "data": [1)json"
        R"json(, 1, 1, 2, 1, 1]}, "input_lengths": {"shape": [2], "dtype": "int64", "data": [3, 3]}, "target_length)json"
        R"json(s": {"shape": [2], "dtype": "int64", "data": [3, 1]}}})json",
        {{},
         {kInf},
         {{"log_probs", {kNaN, kNaN, kNaN, 0.017311942545811805, 0.2865047968601901, 0.061585269907836326, kNaN, kNaN, kNaN, -0.10335826623517275, 0.77880078307140487, -0.49973763016595229, kNaN, kNaN, kNaN, 0.15147604951743052, 0.13533528323661269, 0.23385539326660777}}}},
        kImplUlps);
}

// unbatched (T, C) with 0-D lengths and a 1-D target of exactly target_length labels; unnormalized log_probs (some > 0): torch's gradient is e^u - γ, not -γ; mean divides by the target length 2; grad_output 2.
TEST_P(CtcLoss, UnbatchedUnnormalizedMean) {
  check(R"json({"loss": "ctc_loss", "dtype": "float64", "options": {"reduction": "mean"}, "inputs": {"log_probs": {)json"
        R"json("shape": [3, 3], "data": [0.5, -1.0, 0.25, -0.5, 1.0, -2.0, 0.75, 0.0, -0.25]}, "targets": {"shape":)json"
        R"json( [2], "dtype": "int64", "data": [1, 2]}, "input_lengths": {"shape": [], "dtype": "int64", "data": [3)json"
        R"json(]}, "target_lengths": {"shape": [], "dtype": "int64", "data": [2]}}, "grad_output": {"shape": [], "d)json"
        R"json(ata": [2.0]}})json",
        {{},
         {-0.76162303973168575},
         {{"log_probs", {0.88781574933381381, 0.12878496253775666, 1.2840254166877415, 0.56864740449888357, 1.7875953362524407, 0.10390503065696709, 2.0940226608358169, 1.0, -0.19822186115173738}}}},
        kImplUlps);
}

// log-probability -inf (probability 0) at two entries: the loss is finite, torch's gradient is NaN exactly there (e^{-inf} - e^{-inf + nll + inf}).
TEST_P(CtcLoss, NegativeInfinityLogProbGivesNaNGradient) {
  check(R"json({"loss": "ctc_loss", "dtype": "float64", "options": {"reduction": "none"}, "inputs": {"log_probs": {)json"
        R"json("shape": [3, 1, 3], "data": [-0.5, "-inf", -1.0, -1.25, -0.5, "-inf", -0.75, -1.0, -0.5]}, "targets")json"
        R"json(: {"shape": [1, 1], "dtype": "int64", "data": [1]}, "input_lengths": {"shape": [1], "dtype": "int64")json"
        R"json(, "data": [3]}, "target_lengths": {"shape": [1], "dtype": "int64", "data": [1]}}})json",
        {{1},
         {0.98607743293071314},
         {{"log_probs", {-0.39346934028736658, kNaN, 0.36787944117144232, 0.11513346869639868, -0.22209801212357516, kNaN, 0.0065309854744886884, -0.16628499156203166, 0.60653065971263342}}}},
        kImplUlps);
}

// a NaN log-probability (the blank at t = 0) on no alignment of [1, 2] in 2 steps: the loss is finite, the gradient NaN at that entry only; at the last step torch sums the two final states alone, so the NaN alpha of label 1 there stays out (e^u); the brute force agrees: no kept path passes a NaN entry.
TEST_P(CtcLoss, NaNOnAPathThatCannotEnd) {
  check(R"json({"loss": "ctc_loss", "dtype": "float64", "options": {"reduction": "none"}, "inputs": {"log_probs": {)json"
        R"json("shape": [2, 1, 3], "data": ["nan", -1.5, -0.5, -0.75, -1.25, -1.0]}, "targets": {"shape": [1, 2], ")json"
        R"json(dtype": "int64", "data": [1, 2]}, "input_lengths": {"shape": [1], "dtype": "int64", "data": [2]}, "t)json"
        R"json(arget_lengths": {"shape": [1], "dtype": "int64", "data": [2]}}})json",
        {{1},
         {2.5},
         {{"log_probs", {kNaN, -0.77686983985157017, 0.60653065971263342, 0.47236655274101471, 0.2865047968601901, -0.63212055882855768}}}},
        kImplUlps);
}

// What torch rejects (and what losscheck rejects where torch 1.13 reads out of bounds or accepts a blank label), with
// the messages pinned. T = 4, N = 2, C = 3.
TEST_P(CtcLoss, RejectsBadLengthsLabelsAndShapes) {
  const auto ctc = [](const std::string& lp_shape, const std::string& lp_data, const std::string& targets,
                      const std::string& il, const std::string& tl, const std::string& options = "{}") {
    return R"json({"loss": "ctc_loss", "dtype": "float64", "options": )json" + options +
           R"json(, "inputs": {"log_probs": {"shape": )json" + lp_shape + R"json(, "data": )json" + lp_data +
           R"json(}, "targets": )json" + targets + R"json(, "input_lengths": )json" + il +
           R"json(, "target_lengths": )json" + tl + "}}";
  };
  const std::string lp_shape = "[4, 2, 3]";
  std::string data = "[";
  for (int i = 0; i < 24; ++i) data += (i ? ", " : "") + std::string("-1.0");
  data += "]";
  const std::string padded = R"json({"shape": [2, 2], "dtype": "int64", "data": [1, 2, 2, 1]})json";
  const auto ints = [](const std::string& shape, const std::string& values) {
    return R"json({"shape": )json" + shape + R"json(, "dtype": "int64", "data": )json" + values + "}";
  };
  const std::string il = ints("[2]", "[4, 4]"), tl = ints("[2]", "[2, 1]");
  check_error(ctc(lp_shape, data, padded, ints("[2]", "[5, 4]"), tl),
              "ctc_loss: input_lengths must be in [1, T] = [1, 4], got 5 for sequence 0");
  check_error(ctc(lp_shape, data, padded, ints("[2]", "[4, 0]"), tl),
              "ctc_loss: input_lengths must be in [1, T] = [1, 4], got 0 for sequence 1");
  check_error(ctc(lp_shape, data, padded, il, ints("[2]", "[-1, 1]")),
              "ctc_loss: target_lengths must be >= 0, got -1 for sequence 0");
  check_error(ctc(lp_shape, data, padded, il, ints("[2]", "[3, 1]")),
              "ctc_loss: target_lengths must be at most the padded targets' size S = 2, got 3 for sequence 0");
  check_error(ctc(lp_shape, data, ints("[4]", "[1, 2, 2, 1]"), il, tl),
              "ctc_loss: concatenated targets must have sum(target_lengths) = 3 elements, got 4");
  check_error(ctc(lp_shape, data, ints("[2, 2]", "[1, 0, 2, 1]"), il, tl),
              "ctc_loss: target labels must be in [0, C) = [0, 3) and not the blank 0, got 0 in sequence 0");
  check_error(ctc(lp_shape, data, ints("[2, 2]", "[1, 3, 2, 1]"), il, tl),
              "ctc_loss: target labels must be in [0, C) = [0, 3) and not the blank 0, got 3 in sequence 0");
  check_error(ctc(lp_shape, data, padded, il, tl, R"json({"blank": 3})json"),
              "ctc_loss: blank must be in label range [0, C) = [0, 3), got 3");
  check_error(ctc(lp_shape, data, padded, ints("[3]", "[4, 4, 4]"), tl),
              "ctc_loss: input_lengths must be of size batch_size (2), got shape [3]");
  check_error(ctc(lp_shape, data, ints("[2, 2, 1]", "[1, 2, 2, 1]"), il, tl),
              "ctc_loss: targets must be padded (N, S) or concatenated 1-D, got shape [2, 2, 1]");
  check_error(ctc("[24]", data, padded, il, tl), "ctc_loss: log_probs must be (T, N, C) or unbatched (T, C), got shape [24]");
  check_error(ctc(lp_shape, data, padded, il, tl, R"json({"reduction": "bogus"})json"),
              "ctc_loss: bogus is not a valid value for reduction");
  check_error(ctc(lp_shape, data, ints("[1, 2]", "[1, 2]"), il, tl),
              "ctc_loss: padded targets must have N = 2 rows, got shape [1, 2]");
}

}  // namespace
}  // namespace ctc_loss_test
