// ctc_loss's float32 kernel (8 float lanes: the log-add of three terms with exp_difference_f and a double log, the
// gradient rows in double lanes) against the float64 kernel (log_add3 state by state, the form the float32 kernel had
// before it was vectorized), on the same inputs:
// (1) the same special values, entry by entry: every inf and NaN of the losses and gradients of one is at the same
//     place, with the same sign, in the other (inputs with -inf, +inf and NaN log-probabilities, impossible
//     alignments, with and without zero_infinity) — the float32 kernel takes log_add3's row where its lanes cannot;
// (2) the finite values within the error analysis of docs/tolerances.md ("ctc_loss"), with the float64 kernel as the
//     exact value (its error, the same bound with u = 2^-53, is 2^-29 of the float one): loss_b within
//     8 u (T_b + 1) W_b; gradient within |ĝ_b| (e^u + 1 + (e^{u(K_b + 4)} - 1) / (5u)) 5 u, u = 2^-24;
// (3) the AVX2 and the generic (SSE2) builds give the same bits (the test reruns itself with LOSSCHECK_IMPL_ISA=generic).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "losscheck/impl/ctc_loss.h"

namespace {

namespace li = losscheck::impl;
using losscheck::reduction;

constexpr std::uint64_t seed = 20261203;
constexpr int case_count = 400;

struct ctc_input {
  std::int64_t steps, batch, classes, blank;
  std::vector<double> log_probs;  // (steps, batch, classes)
  std::vector<std::int64_t> labels, offsets, input_lengths, target_lengths;
  bool zero_infinity;
};

/// Case i: sizes up to T = 60, N = 4, C = 9, S = 15; log-softmax rows (peaked in some cases); repeated labels; in
/// about a third of the cases -inf, +inf or NaN entries and target lengths too long for the input (impossible).
ctc_input make_case(int i) {
  std::mt19937_64 rng(seed + static_cast<std::uint64_t>(i));
  auto pick = [&](std::int64_t lo, std::int64_t hi) { return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng); };
  ctc_input c;
  c.steps = pick(1, 60);
  c.batch = pick(1, 4);
  c.classes = pick(2, 9);
  c.blank = pick(0, c.classes - 1);
  c.zero_infinity = pick(0, 1) == 1;
  const double peak = pick(0, 2) == 0 ? 8.0 : 1.0;
  std::normal_distribution<double> normal(0.0, peak);
  c.log_probs.resize(static_cast<std::size_t>(c.steps * c.batch * c.classes));
  for (std::int64_t r = 0; r < c.steps * c.batch; ++r) {
    double* row = c.log_probs.data() + r * c.classes;
    double m = -INFINITY, z = 0;
    for (std::int64_t k = 0; k < c.classes; ++k) m = std::max(m, row[k] = normal(rng));
    for (std::int64_t k = 0; k < c.classes; ++k) z += std::exp(row[k] - m);
    for (std::int64_t k = 0; k < c.classes; ++k) row[k] = row[k] - m - std::log(z);
  }
  const bool special = pick(0, 2) == 0;
  if (special) {
    const std::int64_t count = pick(1, 4);
    for (std::int64_t j = 0; j < count; ++j) {
      const double values[] = {-INFINITY, -INFINITY, INFINITY, NAN, -200.0};
      c.log_probs[static_cast<std::size_t>(pick(0, static_cast<std::int64_t>(c.log_probs.size()) - 1))] =
          values[pick(0, 4)];
    }
  }
  for (std::int64_t b = 0; b < c.batch; ++b) {
    const std::int64_t tb = pick(1, c.steps);
    const std::int64_t lb = special ? pick(0, 15) : pick(0, std::min<std::int64_t>(15, tb / 2));
    c.input_lengths.push_back(tb);
    c.target_lengths.push_back(lb);
    c.offsets.push_back(static_cast<std::int64_t>(c.labels.size()));
    std::int64_t previous = -1;
    for (std::int64_t j = 0; j < lb; ++j) {
      std::int64_t k = pick(0, c.classes - 2);
      if (k >= c.blank) ++k;  // never the blank
      if (previous >= 0 && pick(0, 3) == 0) k = previous;  // repeated labels
      c.labels.push_back(previous = k);
    }
  }
  return c;
}

template <class T>
struct ctc_result {
  std::vector<T> loss, grad;
};

template <class T>
ctc_result<T> run(const ctc_input& c) {
  std::vector<T> lp(c.log_probs.begin(), c.log_probs.end());
  li::ctc_loss_args<T> a;
  a.log_probs = lp.data();
  a.steps = c.steps;
  a.batch = c.batch;
  a.classes = c.classes;
  a.labels = c.labels.data();
  a.label_offset = c.offsets.data();
  a.input_lengths = c.input_lengths.data();
  a.target_lengths = c.target_lengths.data();
  a.blank = c.blank;
  a.red = reduction::none;
  a.zero_infinity = c.zero_infinity;
  ctc_result<T> r{std::vector<T>(static_cast<std::size_t>(c.batch)), std::vector<T>(lp.size())};
  li::ctc_loss_forward_backward<T>(a, nullptr, r.loss.data(), r.grad.data());
  return r;
}

std::string all_float_result_bytes() {
  std::string bytes;
  for (int i = 0; i < case_count; ++i) {
    const auto r = run<float>(make_case(i));
    bytes.append(reinterpret_cast<const char*>(r.loss.data()), r.loss.size() * sizeof(float));
    bytes.append(reinterpret_cast<const char*>(r.grad.data()), r.grad.size() * sizeof(float));
  }
  return bytes;
}

// When LOSSCHECK_CTC_DUMP names a file, this process is the child started by IsaBuildsAreBitIdentical.
const bool child_dumped = [] {
  const char* path = std::getenv("LOSSCHECK_CTC_DUMP");
  if (!path) return false;
  std::ofstream(path, std::ios::binary) << all_float_result_bytes();
  std::_Exit(0);
}();

std::string kind(double v) {
  if (v != v) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+inf" : "-inf";
  return "finite";
}

TEST(CtcLossLanes, Float32MatchesFloat64InSpecialValuesAndWithinTheErrorAnalysis) {
  constexpr double u = 0x1p-24;
  int special_cases = 0, nonfinite_entries = 0;
  double worst_loss = 0, worst_grad = 0;  // fractions of the bound
  for (int i = 0; i < case_count; ++i) {
    const ctc_input c = make_case(i);
    const auto f = run<float>(c);
    const auto d = run<double>(c);
    const std::string replay =
        "case " + std::to_string(i) + " (seed " + std::to_string(seed) +
        "); replay: build/tests/impl_ctc_lanes_test --gtest_filter='*SpecialValues*'";
    for (std::int64_t b = 0; b < c.batch; ++b) {
      const std::int64_t tb = c.input_lengths[static_cast<std::size_t>(b)];
      const std::int64_t lb = c.target_lengths[static_cast<std::size_t>(b)];
      // W_b = Σ_t max_k |u_t(k)| (finite entries) + T_b ln 3 + 1
      double w = static_cast<double>(tb) * std::log(3.0) + 1;
      for (std::int64_t t = 0; t < tb; ++t) {
        double m = 0;
        for (std::int64_t k = 0; k < c.classes; ++k) {
          const double v = static_cast<float>(c.log_probs[static_cast<std::size_t>((t * c.batch + b) * c.classes + k)]);
          if (std::isfinite(v)) m = std::max(m, std::fabs(v));
        }
        w += m;
      }
      const double lf = f.loss[static_cast<std::size_t>(b)], ld = d.loss[static_cast<std::size_t>(b)];
      ASSERT_EQ(kind(lf), kind(ld)) << "loss of sequence " << b << ": float32 " << lf << ", float64 " << ld << "; "
                                    << replay;
      if (kind(lf) == "finite") {
        const double bound = 8 * u * static_cast<double>(tb + 1) * w;
        ASSERT_LE(std::fabs(lf - ld), bound) << "loss of sequence " << b << "; " << replay;
        worst_loss = std::max(worst_loss, std::fabs(lf - ld) / bound);
      }
      const double k_b = w * (24.0 * static_cast<double>(tb) + 10.0 * static_cast<double>(lb) + 27);
      for (std::int64_t t = 0; t < c.steps; ++t)
        for (std::int64_t k = 0; k < c.classes; ++k) {
          const std::size_t at = static_cast<std::size_t>((t * c.batch + b) * c.classes + k);
          const double gf = f.grad[at], gd = d.grad[at];
          ASSERT_EQ(kind(gf), kind(gd)) << "gradient at (t, b, k) = (" << t << ", " << b << ", " << k
                                        << "): float32 " << gf << ", float64 " << gd << "; " << replay;
          if (kind(gf) != "finite") {
            ++nonfinite_entries;
            continue;
          }
          if (t >= tb) {  // beyond the input length: exactly 0
            ASSERT_TRUE(gf == 0 && gd == 0) << "gradient at t = " << t << " >= input length " << tb << "; " << replay;
            continue;
          }
          const double e_u = std::exp(static_cast<double>(static_cast<float>(c.log_probs[at])));
          if (!std::isfinite(e_u)) {  // a finite gradient at an inf or NaN log-prob: a sequence zero_infinity zeroed
            ASSERT_TRUE(gf == 0 && gd == 0) << "gradient at (t, b, k) = (" << t << ", " << b << ", " << k
                                            << "): float32 " << gf << ", float64 " << gd << "; " << replay;
            continue;
          }
          const double bound = (e_u + 1 + std::expm1(u * (k_b + 4)) / (5 * u)) * 5 * u;
          ASSERT_LE(std::fabs(gf - gd), bound) << "gradient at (t, b, k) = (" << t << ", " << b << ", " << k
                                                << "): float32 " << gf << ", float64 " << gd << "; " << replay;
          worst_grad = std::max(worst_grad, std::fabs(gf - gd) / bound);
        }
    }
    bool has_special = false;
    for (double v : c.log_probs) has_special = has_special || !std::isfinite(v);
    special_cases += has_special;
  }
  std::printf("%d cases (%d with inf or NaN log-probs), %d non-finite gradient entries matched; worst error / bound: "
              "loss %.3g, gradient %.3g\n",
              case_count, special_cases, nonfinite_entries, worst_loss, worst_grad);
  EXPECT_GT(special_cases, case_count / 5);  // the special values are exercised
  EXPECT_GT(nonfinite_entries, 0);
}

TEST(CtcLossLanes, IsaBuildsAreBitIdentical) {
  char exe[4096] = {};
  ASSERT_GT(readlink("/proc/self/exe", exe, sizeof exe - 1), 0);
  const std::string dump = testing::TempDir() + "ctc_generic_" + std::to_string(getpid()) + ".bin";
  const std::string command = "LOSSCHECK_IMPL_ISA=generic LOSSCHECK_CTC_DUMP='" + dump + "' '" + exe + "'";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  std::ifstream in(dump, std::ios::binary);
  const std::string generic((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::remove(dump.c_str());
  const std::string here = all_float_result_bytes();
  ASSERT_EQ(generic.size(), here.size());
  for (std::size_t i = 0; i < here.size(); ++i)
    if (generic[i] != here[i])
      FAIL() << "AVX2 and generic builds differ at result byte " << i << " (seed " << seed
             << "); replay: build/tests/impl_ctc_lanes_test --gtest_filter='*IsaBuilds*'";
}

}  // namespace
