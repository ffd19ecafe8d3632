// The fixture cases of ctc_loss: every reduction ('elementwise_mean' and the default too; torch's ctc_loss has no
// legacy flags) × padded and concatenated targets × blank 0 and not 0 × zero_infinity absent/false/true, over
// normalized (log-softmax) and unnormalized log_probs; empty targets, repeated labels, input lengths below T,
// impossible alignments (inf, or 0 with zero_infinity), -inf log-probabilities (torch's NaN gradient), N = 0,
// unbatched (T, C) with 0-D lengths; the inputs torch (or losscheck, where torch reads out of bounds) rejects.

#include <algorithm>
#include <cmath>

#include "support.h"

namespace losscheck::cli::catalog {

namespace {

/// log_probs of `shape` (last dimension C): log-softmax rows of uniform logits in (-3, 3) (normalized), or the
/// logits themselves; rounded to float32 so that both dtypes hold the same values.
tensor ctc_log_probs(splitmix64& g, const shape_t& shape, bool normalized) {
  tensor t = uniform(g, shape, -3, 3);
  const auto C = static_cast<std::size_t>(shape.back());
  if (normalized && C > 0)
    for (std::size_t r = 0; r < t.values.size() / C; ++r) {
      double m = t.values[r * C];
      for (std::size_t k = 1; k < C; ++k) m = std::max(m, t.values[r * C + k]);
      double s = 0;
      for (std::size_t k = 0; k < C; ++k) s += std::exp(t.values[r * C + k] - m);
      for (std::size_t k = 0; k < C; ++k) t.values[r * C + k] = t.values[r * C + k] - m - std::log(s);
    }
  for (auto& v : t.values) v = static_cast<double>(static_cast<float>(v));
  return t;
}

tensor ctc_ints(shape_t shape, std::vector<std::int64_t> v) { return tensor::int64s(std::move(shape), std::move(v)); }

}  // namespace

std::vector<loss_case> ctc_loss_cases(splitmix64& g) {
  builder b("ctc_loss", g);
  const std::vector<options> reductions{{}, {{"reduction", "none"}}, {{"reduction", "mean"}}, {{"reduction", "sum"}},
                                        {{"reduction", "elementwise_mean"}}};
  int k = 0;
  for (dtype type : dtypes)
    for (const auto& red : reductions)
      for (int layout = 0; layout < 4; ++layout) {
        options o = red;
        const bool concatenated = layout % 2 == 1, blank_not_0 = layout >= 2;
        const int zi = k % 3;
        const bool normalized = k % 4 != 3;
        ++k;
        if (zi == 1) o["zero_infinity"] = false;
        if (zi == 2) o["zero_infinity"] = true;
        // T = 6, N = 3, C = 4; blank 0 or 2; sequence 1 has a repeated label, sequence 2 an empty target
        const std::int64_t blank = blank_not_0 ? 2 : 0;
        if (blank_not_0) o["blank"] = blank;
        const std::int64_t a = blank_not_0 ? 0 : 2, c = 3, d = 1;
        inputs in{{"log_probs", ctc_log_probs(g, {6, 3, 4}, normalized)},
                  {"input_lengths", ctc_ints({3}, {6, 5, 4})},
                  {"target_lengths", ctc_ints({3}, {3, 2, 0})}};
        in["targets"] = concatenated ? ctc_ints({5}, {a, c, d, c, c})
                                     : ctc_ints({3, 4}, {a, c, d, blank, c, c, 1, 1, 1, 1, 1, 1});
        b.add(type, std::move(o), std::move(in));
      }
  for (dtype type : dtypes) {
    // impossible alignments: 3 repeated labels need 5 steps, T = 4 (inf; 0 and a zero gradient with zero_infinity);
    // the second sequence is possible (its loss and gradient stay)
    for (const options& o : std::vector<options>{{{"reduction", "none"}},
                                                 {{"reduction", "none"}, {"zero_infinity", true}},
                                                 {{"reduction", "mean"}, {"zero_infinity", true}},
                                                 {{"reduction", "sum"}}})
      b.add(type, o,
            {{"log_probs", ctc_log_probs(g, {4, 2, 3}, true)}, {"targets", ctc_ints({2, 3}, {1, 1, 1, 2, 1, 1})},
             {"input_lengths", ctc_ints({2}, {4, 4})}, {"target_lengths", ctc_ints({2}, {3, 1})}});
    // -inf log-probabilities (probability 0): torch's gradient is NaN there (e^{-inf + inf}), finite elsewhere
    {
      tensor lp = ctc_log_probs(g, {3, 1, 3}, true);
      lp.values[1] = -inf;
      lp.values[5] = -inf;
      b.add(type, {{"reduction", "none"}},
            {{"log_probs", lp}, {"targets", ctc_ints({1, 1}, {2})}, {"input_lengths", ctc_ints({1}, {3})},
             {"target_lengths", ctc_ints({1}, {1})}});
    }
    // a NaN log-probability on a path that cannot end (the blank at t = 0 for the target [1, 2] in 2 steps): the loss
    // is finite; at the last step torch sums only the final states, so the NaN alpha of label 1 there stays out of
    // its gradient (e^u g), while t = 0's blank gradient is NaN
    {
      tensor lp = ctc_log_probs(g, {2, 1, 3}, true);
      lp.values[0] = nan;
      b.add(type, {{"reduction", "none"}},
            {{"log_probs", lp}, {"targets", ctc_ints({1, 2}, {1, 2})}, {"input_lengths", ctc_ints({1}, {2})},
             {"target_lengths", ctc_ints({1}, {2})}});
    }
    // unnormalized log_probs, large magnitudes (torch's gradient adds e^log_probs to -occupancy)
    b.add(type, {{"reduction", "sum"}},
          {{"log_probs", uniform(g, {5, 2, 3}, -40, 4)}, {"targets", ctc_ints({2, 2}, {1, 2, 2, 2})},
           {"input_lengths", ctc_ints({2}, {5, 5})}, {"target_lengths", ctc_ints({2}, {2, 2})}});
    // unbatched (T, C): 0-D lengths, 1-D targets of exactly target_length labels; and (1, S) padded targets
    b.add(type, {{"reduction", "none"}},
          {{"log_probs", ctc_log_probs(g, {5, 3}, true)}, {"targets", ctc_ints({2}, {1, 2})},
           {"input_lengths", ctc_ints({}, {5})}, {"target_lengths", ctc_ints({}, {2})}});
    b.add(type, {{"reduction", "mean"}},
          {{"log_probs", ctc_log_probs(g, {5, 3}, true)}, {"targets", ctc_ints({1, 3}, {2, 2, 1})},
           {"input_lengths", ctc_ints({1}, {4})}, {"target_lengths", ctc_ints({1}, {2})}});
    // N = 0: none is empty, sum 0, mean NaN (the mean of nothing)
    for (const char* r : {"none", "sum", "mean"})
      b.add(type, {{"reduction", r}},
            {{"log_probs", ctc_log_probs(g, {3, 0, 3}, true)}, {"targets", ctc_ints({0, 2}, {})},
             {"input_lengths", ctc_ints({0}, {})}, {"target_lengths", ctc_ints({0}, {})}});
    // T = 1: a single step, empty target and a one-label target
    b.add(type, {{"reduction", "none"}},
          {{"log_probs", ctc_log_probs(g, {1, 2, 3}, true)}, {"targets", ctc_ints({1}, {1})},
           {"input_lengths", ctc_ints({2}, {1, 1})}, {"target_lengths", ctc_ints({2}, {0, 1})}});
    // errors torch checks: input length beyond T, target length beyond S, concatenated size, blank out of range,
    // lengths of the wrong size, 1-D log_probs, 3-D targets
    const inputs base{{"log_probs", ctc_log_probs(g, {4, 2, 3}, true)}, {"targets", ctc_ints({2, 2}, {1, 2, 2, 1})},
                      {"input_lengths", ctc_ints({2}, {4, 4})}, {"target_lengths", ctc_ints({2}, {2, 1})}};
    const auto with = [&](const std::string& name, tensor t) {
      inputs in = base;
      in[name] = std::move(t);
      return in;
    };
    b.add(type, {}, with("input_lengths", ctc_ints({2}, {5, 4})));
    b.add(type, {}, with("target_lengths", ctc_ints({2}, {3, 1})));
    b.add(type, {}, with("targets", ctc_ints({4}, {1, 2, 2, 1})));
    b.add(type, {{"blank", std::int64_t{3}}}, base);
    b.add(type, {}, with("input_lengths", ctc_ints({3}, {4, 4, 4})));
    b.add(type, {}, with("log_probs", ctc_log_probs(g, {4}, true)));
    b.add(type, {}, with("targets", ctc_ints({2, 2, 1}, {1, 2, 2, 1})));
    // errors losscheck adds where torch 1.13 reads outside its buffers (input length 0, negative target length, a
    // label outside [0, C)) or accepts a label equal to the blank
    b.add(type, {}, with("input_lengths", ctc_ints({2}, {0, 4})));
    b.add(type, {}, with("target_lengths", ctc_ints({2}, {-1, 1})));
    b.add(type, {}, with("targets", ctc_ints({2, 2}, {1, 3, 2, 1})));
    b.add(type, {}, with("targets", ctc_ints({2, 2}, {1, 0, 2, 1})));
  }
  // long sequences (T = 40, N = 2, C = 12; targets of 14 and 9 labels, with repeats): rows of 29 and 19 extended
  // states, several 8-lane vectors of impl's float32 recursion with a partial last one; with and without a -inf
  // log-probability on a label's row
  for (dtype type : dtypes)
    for (bool with_zero_probability : {false, true}) {
      tensor lp = ctc_log_probs(g, {40, 2, 12}, true);
      if (with_zero_probability) lp.values[(17 * 2 + 0) * 12 + 5] = -inf;
      tensor targets = class_targets(g, {2, 14}, 11, std::nullopt, 0);
      for (auto& v : targets.ints) v += 1;  // never the blank 0
      targets.ints[3] = targets.ints[2];    // repeated labels
      targets.ints[14 + 6] = targets.ints[14 + 5];
      b.add(type, {{"reduction", with_zero_probability ? "mean" : "none"}},
            {{"log_probs", lp}, {"targets", targets}, {"input_lengths", ctc_ints({2}, {40, 33})},
             {"target_lengths", ctc_ints({2}, {14, 9})}});
    }
  return b.take();
}

}  // namespace losscheck::cli::catalog
