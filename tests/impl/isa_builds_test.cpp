// The kernels with an AVX-512 build (impl/isa.h's dispatch_wide: cross_entropy's float32 rows in 16 float lanes,
// kl_div's, mse_loss's, binary_cross_entropy's, binary_cross_entropy_with_logits's and soft_margin_loss's float32 elements in 8 double lanes) and the AVX2 and generic builds of every kernel here must give the same
// bits. The kernels perform each element's operations and each sum's additions in the same order in every build
// (impl/cross_entropy.cpp above fast_row_float_body, impl/fast_elementwise.h's run_blocks_wide), so any difference is
// a bug.
//
// cross_entropy: rows of every length from 1 to 70 (the 16- and 8-lane steps and the masked tail in every combination)
// and of 1000, 2049 and 40000 classes; rows with ties at the maximum, with +0 and -0 logits, a confident row, a row
// spanning more than 87 (float32's double lanes), a row holding an inf (the per-element code); float32 and float64;
// loss (none) and gradient. kl_div: every length from 1 to 70 and 100003 (two chunks, many blocks), targets with zeros
// and (in some blocks) an inf or a NaN, with and without grad_output; reductions none and sum; both gradients. mse_loss
// and binary_cross_entropy likewise (reductions none and mean; binary_cross_entropy with weights and out-of-domain
// values). soft_margin_loss: the same lengths, y = +-1 and other targets, x from -200 to 200 (e^-|z| near 1 and
// subnormal), an inf in some blocks; reductions none and sum. binary_cross_entropy_with_logits: the same lengths,
// with and without weight and pos_weight, x up to +-120 (e^-|x| below float's range), an inf; both gradients.
//
// What it can see: any difference in an element's operations (checked: a 16-lane cross_entropy scaling pass
// multiplying in float instead of double fails it). What it cannot: the order of the double sums of a float32 result,
// whose rounding (2^-53 relative) almost never moves the float; that order is kept the same by construction.
//
// The test reruns itself with LOSSCHECK_IMPL_ISA=avx2 and with LOSSCHECK_IMPL_ISA=generic and compares their results
// with its own (the default build: AVX-512 where the CPU has it). On a CPU without AVX-512 the AVX-512 comparison is
// reported as skipped; AVX2 against generic is still checked.
#include <gtest/gtest.h>
#include <unistd.h>

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

#include "losscheck/impl/binary_cross_entropy.h"
#include "losscheck/impl/binary_cross_entropy_with_logits.h"
#include "losscheck/impl/cross_entropy.h"
#include "losscheck/impl/kl_div.h"
#include "losscheck/impl/mse_loss.h"
#include "losscheck/impl/multi_margin_loss.h"
#include "losscheck/impl/soft_margin_loss.h"

namespace {

namespace li = losscheck::impl;
using losscheck::reduction;

constexpr std::uint64_t seed = 20261203;

template <class T>
void append(std::string& bytes, const std::vector<T>& v) {
  bytes.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

/// cross_entropy: the loss and gradient of `rows` rows of `classes` logits, with the special rows described above.
template <class T>
void add_case(std::string& bytes, std::int64_t rows, std::int64_t classes, std::mt19937_64& rng) {
  // logits spanning up to 80 (below the 87 of the float lanes): e^(x - m) from 1 down to about 2^-115, so the sums of
  // the exponentials round and their order shows (within -8..8 every such sum is exact in double)
  std::uniform_real_distribution<double> logit(-40, 40);
  std::vector<T> x(static_cast<std::size_t>(rows * classes));
  for (auto& v : x) v = static_cast<T>(logit(rng));
  std::vector<std::int64_t> y(static_cast<std::size_t>(rows));
  for (auto& v : y) v = std::uniform_int_distribution<std::int64_t>(0, classes - 1)(rng);
  auto at = [&](std::int64_t row, std::int64_t c) -> T& { return x[static_cast<std::size_t>(row * classes + c)]; };
  if (rows >= 6) {
    for (std::int64_t c = 0; c < classes; c += 3) at(0, c) = T(2.5);  // ties at the maximum
    for (std::int64_t c = 0; c < classes; ++c) at(1, c) = c % 2 ? T(0) : T(-0.0);  // +0 and -0, all maximal
    at(2, y[2]) = T(60);                                                // confidently correct
    at(3, classes / 2) = T(-100);                                       // spans more than 87
    at(4, classes - 1) = std::numeric_limits<T>::infinity();            // the per-element code
    for (std::int64_t c = 0; c < classes; ++c) at(5, c) = c == classes - 1 ? T(-0.0) : T(-1);  // a -0 maximum
  }
  std::vector<T> loss(static_cast<std::size_t>(rows)), grad(x.size());
  li::cross_entropy_args<T> a{x.data(), y.data(), nullptr, {rows, classes, 1}, reduction::none};
  li::cross_entropy_forward_backward<T>(a, nullptr, loss.data(), grad.data());
  append(bytes, loss);
  append(bytes, grad);
}

/// kl_div (log_target = false) over n elements: log-probabilities in [-10, 0), probabilities with exact zeros, an inf
/// or NaN target in some cases (the per-element code for its block), reduction none (with a random grad_output) or sum.
template <class T>
void add_kl_div_case(std::string& bytes, std::int64_t n, bool none, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> log_p(-10, -0.01), p(0, 1);
  std::vector<T> x(static_cast<std::size_t>(n)), t(x.size()), g(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<T>(log_p(rng));
    t[i] = rng() % 16 == 0 ? T(0) : static_cast<T>(p(rng));
    g[i] = static_cast<T>(p(rng) - 0.5);
  }
  if (n > 40 && n % 3 == 0) t[static_cast<std::size_t>(n / 2)] = std::numeric_limits<T>::infinity();
  if (n > 40 && n % 3 == 1) t[static_cast<std::size_t>(n / 3)] = std::numeric_limits<T>::quiet_NaN();
  std::vector<T> loss(none ? x.size() : 1), grad_x(x.size()), grad_t(x.size());
  li::kl_div_args<T> a{x.data(), t.data(), n, none ? reduction::none : reduction::sum};
  li::kl_div_forward_backward<T, T>(a, none ? g.data() : nullptr, loss.data(), grad_x.data(), grad_t.data());
  append(bytes, loss);
  append(bytes, grad_x);
  append(bytes, grad_t);
}

/// mse_loss over n elements: values in [-4, 4], an inf in some cases (the per-element code for its block), reduction
/// none (with a random grad_output) or mean; both gradients (the case of 2^22 + 3 elements writes its 16 MB gradients
/// with non-temporal stores).
template <class T>
void add_mse_case(std::string& bytes, std::int64_t n, bool none, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> v(-4, 4);
  std::vector<T> x(static_cast<std::size_t>(n)), t(x.size()), g(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<T>(v(rng));
    t[i] = static_cast<T>(v(rng));
    g[i] = static_cast<T>(v(rng));
  }
  if (n > 40 && n % 3 == 0) x[static_cast<std::size_t>(n / 2)] = std::numeric_limits<T>::infinity();
  std::vector<T> loss(none ? x.size() : 1), grad_x(x.size()), grad_t(x.size());
  li::mse_loss_args<T> a{x.data(), t.data(), n, none ? reduction::none : reduction::mean};
  li::mse_loss_forward_backward<T, T>(a, none ? g.data() : nullptr, loss.data(), grad_x.data(), grad_t.data());
  append(bytes, loss);
  append(bytes, grad_x);
  append(bytes, grad_t);
}

/// soft_margin_loss over n elements: x in [-200, 200] (half of them in [-4, 4]), y = +-1 or (one in four) in [-3, 3],
/// an inf input in some cases; reduction none (with a random grad_output) or sum; the input gradient.
template <class T>
void add_soft_margin_case(std::string& bytes, std::int64_t n, bool none, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> wide(-200, 200), narrow(-4, 4), other(-3, 3);
  std::vector<T> x(static_cast<std::size_t>(n)), y(x.size()), g(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<T>(i % 2 ? wide(rng) : narrow(rng));
    y[i] = static_cast<T>(rng() % 4 == 0 ? other(rng) : (rng() % 2 ? 1.0 : -1.0));
    g[i] = static_cast<T>(narrow(rng));
  }
  if (n > 40 && n % 3 == 0) x[static_cast<std::size_t>(n / 2)] = std::numeric_limits<T>::infinity();
  std::vector<T> loss(none ? x.size() : 1), grad_x(x.size());
  li::soft_margin_loss_args<T> a{x.data(), y.data(), n, none ? reduction::none : reduction::sum};
  li::soft_margin_loss_forward_backward<T>(a, none ? g.data() : nullptr, loss.data(), grad_x.data());
  append(bytes, loss);
  append(bytes, grad_x);
}

/// binary_cross_entropy_with_logits over n elements: x in [-120, 120] (half of them in [-4, 4]), y in [0, 1] (a third
/// exactly 0 or 1), weight and pos_weight when `weighted`, an inf logit in some cases; reduction none (with a random
/// grad_output) or mean; both gradients.
template <class T>
void add_bce_with_logits_case(std::string& bytes, std::int64_t n, bool none, bool weighted, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> wide(-120, 120), narrow(-4, 4), unit(0, 1), positive(0.1, 3);
  std::vector<T> x(static_cast<std::size_t>(n)), y(x.size()), w(x.size()), p(x.size()), g(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<T>(i % 2 ? wide(rng) : narrow(rng));
    y[i] = static_cast<T>(rng() % 3 == 0 ? static_cast<double>(rng() % 2) : unit(rng));
    w[i] = static_cast<T>(positive(rng));
    p[i] = static_cast<T>(positive(rng));
    g[i] = static_cast<T>(narrow(rng));
  }
  if (n > 40 && n % 3 == 0) x[static_cast<std::size_t>(n / 2)] = -std::numeric_limits<T>::infinity();
  std::vector<T> loss(none ? x.size() : 1), grad_x(x.size()), grad_y(x.size());
  li::binary_cross_entropy_with_logits_args<T> a{x.data(), y.data(), weighted ? w.data() : nullptr,
                                                 weighted ? p.data() : nullptr, n,
                                                 none ? reduction::none : reduction::mean};
  li::binary_cross_entropy_with_logits_forward_backward<T>(a, none ? g.data() : nullptr, loss.data(), grad_x.data(),
                                                           grad_y.data());
  append(bytes, loss);
  append(bytes, grad_x);
  append(bytes, grad_y);
}

/// multi_margin_loss (AVX2 and generic builds only): `rows` rows of `classes` scores, p = 1 and 2, with and without
/// weights, reductions none (random grad_output) and mean; an inf and a NaN score in some rows (their z is inf or NaN:
/// the lanes' select), targets at every position of the 4-lane steps and the tail.
template <class T>
void add_multi_margin_case(std::string& bytes, std::int64_t rows, std::int64_t classes, int p, bool none,
                           std::mt19937_64& rng) {
  std::uniform_real_distribution<double> v(-2, 2);
  std::vector<T> x(static_cast<std::size_t>(rows * classes)), w(static_cast<std::size_t>(classes)),
      g(static_cast<std::size_t>(rows));
  for (auto& e : x) e = static_cast<T>(v(rng));
  for (auto& e : w) e = static_cast<T>(v(rng) + 2.5);
  for (auto& e : g) e = static_cast<T>(v(rng));
  std::vector<std::int64_t> y(static_cast<std::size_t>(rows));
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = static_cast<std::int64_t>(i) % classes;
  if (classes > 5) {
    x[static_cast<std::size_t>(classes + 3)] = std::numeric_limits<T>::infinity();
    x[static_cast<std::size_t>(2 * classes + 1)] = std::numeric_limits<T>::quiet_NaN();
  }
  std::vector<T> loss(none ? y.size() : 1), grad(x.size());
  li::multi_margin_loss_args<T> a{x.data(), y.data(), p == 2 ? w.data() : nullptr, rows, classes, p, T(0.75),
                                  none ? reduction::none : reduction::mean};
  li::multi_margin_loss_forward_backward<T>(a, none ? g.data() : nullptr, loss.data(), grad.data());
  append(bytes, loss);
  append(bytes, grad);
}

/// binary_cross_entropy over n elements: x in (0, 1) with some exact 0 and 1 and values below 1e-43 (the clamped
/// logs: per-element code), targets in [0, 1] with some outside (torch accepts any), weights, reduction none (with a
/// random grad_output) or mean; both gradients (x across the three forms of the target's gradient: below 1/4, up to
/// 3/4, above).
template <class T>
void add_bce_case(std::string& bytes, std::int64_t n, bool none, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> p(0, 1);
  std::vector<T> x(static_cast<std::size_t>(n)), y(x.size()), w(x.size()), g(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<T>(p(rng));
    y[i] = static_cast<T>(p(rng));
    w[i] = static_cast<T>(p(rng) * 2);
    g[i] = static_cast<T>(p(rng) - 0.5);
  }
  if (n > 40 && n % 3 == 0) x[static_cast<std::size_t>(n / 2)] = T(1);
  if (n > 40 && n % 3 == 1) x[static_cast<std::size_t>(n / 3)] = T(1e-44);
  if (n > 40 && n % 3 == 2) y[static_cast<std::size_t>(n / 4)] = T(1.5);
  std::vector<T> loss(none ? x.size() : 1), grad_x(x.size()), grad_y(x.size());
  li::binary_cross_entropy_args<T> a{x.data(), y.data(), n % 2 ? w.data() : nullptr, n,
                                     none ? reduction::none : reduction::mean};
  li::binary_cross_entropy_forward_backward<T>(a, none ? g.data() : nullptr, loss.data(), grad_x.data(),
                                               grad_y.data());
  append(bytes, loss);
  append(bytes, grad_x);
  append(bytes, grad_y);
}

std::string all_result_bytes() {
  std::string bytes;
  std::mt19937_64 rng(seed);
  for (std::int64_t classes = 1; classes <= 70; ++classes) {
    add_case<float>(bytes, 8, classes, rng);
    add_case<double>(bytes, 8, classes, rng);
  }
  for (std::int64_t classes : {1000, 2049, 40000}) {
    add_case<float>(bytes, 8, classes, rng);
    add_case<double>(bytes, 8, classes, rng);
  }
  for (std::int64_t n = 1; n <= 70; ++n)
    for (bool none : {true, false}) add_kl_div_case<float>(bytes, n, none, rng);
  for (bool none : {true, false}) {
    add_kl_div_case<float>(bytes, 100003, none, rng);
    add_kl_div_case<float>(bytes, 100002, none, rng);  // an inf target
  }
  for (std::int64_t n = 1; n <= 70; ++n)
    for (bool none : {true, false}) add_mse_case<float>(bytes, n, none, rng);
  for (bool none : {true, false}) {
    add_mse_case<float>(bytes, 100003, none, rng);
    add_mse_case<float>(bytes, 100002, none, rng);  // an inf input
  }
  add_mse_case<float>(bytes, (std::int64_t{1} << 22) + 3, false, rng);
  for (std::int64_t classes = 1; classes <= 13; ++classes)
    for (int p : {1, 2}) {
      add_multi_margin_case<float>(bytes, 8, classes, p, classes % 2 == 0, rng);
      add_multi_margin_case<double>(bytes, 8, classes, p, classes % 2 == 1, rng);
    }
  for (bool none : {true, false}) {  // two chunks of rows
    add_multi_margin_case<float>(bytes, 64, 1001, 1, none, rng);
    add_multi_margin_case<double>(bytes, 64, 1001, 2, none, rng);
  }
  for (std::int64_t n = 1; n <= 70; ++n)
    for (bool none : {true, false}) add_bce_case<float>(bytes, n, none, rng);
  for (std::int64_t n : {100003, 100002, 100001})
    for (bool none : {true, false}) add_bce_case<float>(bytes, n, none, rng);
  for (std::int64_t n = 1; n <= 70; ++n)
    for (bool none : {true, false}) add_soft_margin_case<float>(bytes, n, none, rng);
  for (std::int64_t n : {100003, 100002})
    for (bool none : {true, false}) add_soft_margin_case<float>(bytes, n, none, rng);
  for (std::int64_t n = 1; n <= 70; ++n)
    for (bool none : {true, false}) add_bce_with_logits_case<float>(bytes, n, none, n % 2 == 0, rng);
  for (std::int64_t n : {100003, 100002})
    for (bool weighted : {true, false}) add_bce_with_logits_case<float>(bytes, n, n % 2 == 0, weighted, rng);
  return bytes;
}

// When LOSSCHECK_ISA_DUMP names a file, this process is a child started by the tests below: it writes its results there
// and exits before any test runs.
const bool child_dumped = [] {
  const char* path = std::getenv("LOSSCHECK_ISA_DUMP");
  if (!path) return false;
  std::ofstream(path, std::ios::binary) << all_result_bytes();
  std::_Exit(0);
}();

/// The results of this binary run with LOSSCHECK_IMPL_ISA=isa.
std::string results_in(const char* isa) {
  char exe[4096] = {};
  if (readlink("/proc/self/exe", exe, sizeof exe - 1) <= 0) return {};
  const std::string dump = testing::TempDir() + "isa_builds_" + isa + "_" + std::to_string(getpid()) + ".bin";
  const std::string command =
      std::string("LOSSCHECK_IMPL_ISA=") + isa + " LOSSCHECK_ISA_DUMP='" + dump + "' '" + exe + "'";
  if (std::system(command.c_str()) != 0) return {};
  std::ifstream in(dump, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::remove(dump.c_str());
  return bytes;
}

void expect_same(const std::string& a, const std::string& b, const char* what) {
  ASSERT_FALSE(a.empty()) << what << ": no results";
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i])
      FAIL() << what << " differ at result byte " << i << " (all_result_bytes order; seed " << seed
             << "); replay: build/tests/impl_isa_builds_test";
}

bool cpu_has_avx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw");
}

TEST(IsaBuilds, Avx2AndGenericBuildsAreBitIdentical) {
  const std::string avx2 = results_in("avx2"), generic = results_in("generic");
  std::printf("%zu bytes of results per build\n", avx2.size());
  expect_same(avx2, generic, "the AVX2 and generic builds");
}

TEST(IsaBuilds, Avx512BuildIsBitIdenticalToAvx2) {
  if (!cpu_has_avx512()) GTEST_SKIP() << "this CPU has no AVX-512 (F, VL, DQ, BW): the 16-lane build cannot run here";
  const char* isa = std::getenv("LOSSCHECK_IMPL_ISA");
  ASSERT_TRUE(isa == nullptr || *isa == '\0') << "run without LOSSCHECK_IMPL_ISA (this process must be the AVX-512 build)";
  expect_same(all_result_bytes(), results_in("avx2"), "the AVX-512 and AVX2 builds");
}

}  // namespace
