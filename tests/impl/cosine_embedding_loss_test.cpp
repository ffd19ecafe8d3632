// impl's cosine_embedding_loss row kernels (impl/cosine_embedding_loss.cpp: vector sums, double-double for float64,
// the vector gradient) against an independent evaluation in __float128 (113 bits): a product of two doubles is exact
// there (106 bits), the sums are compensated (TwoSum in quad: error about 2^-220 of the sum of |terms|), the square
// root is Newton's iteration in quad, so the expected values below are exact to about 2^-110 relative. Nothing is
// hard-coded: every expected value is computed here from the inputs.
//
// Bounds (the error analysis above impl's row kernels, u = 2^-53, n = row length):
// - the three sums of a row have a relative error (of their sum of |terms|) of at most
//     delta = (n / 4 + 2)^2 u^2 + 2^-100   (float64, double-double lanes; 2^-100: the double-double finalization)
//     delta = (n / 8 + 7) u + 4 u          (float32, plain double lanes, then double arithmetic)
//   (float32 rows near parallel take double-double instead, which is smaller: the larger bound is used for all).
// - cos then has a relative error of at most delta (K + 1), K = sum|a b| / |sum a b| (the dot product's condition);
//   1 - cos of 4 delta / (1 - cos^2) where rows are near parallel (it is formed from A B - S^2), and at most
//   delta (K + 1) |cos| / (1 - cos) otherwise; the result is that value rounded once:
//     |got - exact| <= 0.5 ULP + relative error / 2^-p ULP   (p = 53 / 24; one ULP is at least 2^-p of the value)
//   except cos - margin for cos > 1/2, formed as (1 - margin) - (1 - cos): 0.75 ULP + the relative errors.
// - gradients: dL/da_e = c (t1 - t2), t1 = b_e / root, t2 = cos a_e / A. Rows at least 60 degrees from parallel
//   round 1 / root and cos / A once, then 2 products, a difference and the product by c: |error| <= |c| (|t1| + |t2|)
//   (2.5 u + 2 delta (K + 1)) + 1.5 u |g| (float64), plus half a float ULP for float32 results. Nearly parallel rows
//   (cos^2 > 1/4) form c (t1 - t2) in double-double and round it twice (the value, then the product by c): 1.01 ULP
//   of g plus |c| (|t1| + |t2|) 2 delta (K + 1). Rows near the 60 degree boundary (cos^2 in [0.24, 0.26]) may take
//   either evaluation and get the larger bound.
// - The AVX2 and generic builds give bit-identical results (the test reruns itself with LOSSCHECK_IMPL_ISA=generic).
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

#include "losscheck/impl/cosine_embedding_loss.h"

namespace {

namespace li = losscheck::impl;
using losscheck::reduction;
using quad = __float128;

constexpr std::uint64_t seed = 20261129;
constexpr double norm_epsilon = static_cast<double>(1e-12f);  // torch's EPSILON as LibTorch 1.13 holds it
constexpr double u = 0x1p-53;

/// Compensated quad sum (Knuth's TwoSum in quad).
struct quad_sum {
  quad sum = 0, error = 0;
  void add(quad x) {
    const quad s = sum + x;
    const quad shifted = s - sum;
    error += (sum - (s - shifted)) + (x - shifted);
    sum = s;
  }
  quad value() const { return sum + error; }
};

quad quad_abs(quad x) { return x < 0 ? -x : x; }

/// sqrt in quad: Newton's iteration from the double root of x scaled into double's range by an even power of two.
quad quad_sqrt(quad x) {
  if (!(x > 0)) return 0;
  quad scaled = x, unscale = 1;
  while (scaled > quad(0x1p600)) scaled *= quad(0x1p-600), unscale *= quad(0x1p300);
  while (scaled < quad(0x1p-600)) scaled *= quad(0x1p600), unscale *= quad(0x1p-300);
  quad r = std::sqrt(static_cast<double>(scaled));
  for (int i = 0; i < 4; ++i) r = (r + scaled / r) / 2;
  return r * unscale;
}

/// A class of row pairs: rows x dim values each, and a name for the messages.
template <class T>
struct pairs {
  std::string name;
  std::int64_t rows, dim;
  std::vector<T> a, b;
};

template <class T>
std::vector<pairs<T>> classes() {
  constexpr bool f32 = std::is_same_v<T, float>;
  std::mt19937_64 rng(seed + (f32 ? 0 : 1));
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<pairs<T>> out;
  auto make = [&](const std::string& name, std::int64_t rows, std::int64_t dim, auto fill) {
    pairs<T> p{name, rows, dim, std::vector<T>(rows * dim), std::vector<T>(rows * dim)};
    for (std::int64_t r = 0; r < rows; ++r) fill(&p.a[r * dim], &p.b[r * dim], dim);
    out.push_back(std::move(p));
  };
  auto random_rows = [&](double scale) {
    return [&, scale](T* a, T* b, std::int64_t dim) {
      for (std::int64_t e = 0; e < dim; ++e) {
        a[e] = static_cast<T>(normal(rng) * scale);
        b[e] = static_cast<T>(normal(rng) * scale);
      }
    };
  };
  make("random N(0,1), 509 columns", 40, 509, random_rows(1.0));
  make("random N(0,1), 3 columns", 40, 3, random_rows(1.0));
  make("random N(0,1), 512 columns", 40, 512, random_rows(1.0));
  const double rho = f32 ? 1e-3 : 1e-7;
  make("nearly parallel", 40, 512, [&](T* a, T* b, std::int64_t dim) {
    for (std::int64_t e = 0; e < dim; ++e) {
      a[e] = static_cast<T>(normal(rng));
      b[e] = static_cast<T>(static_cast<double>(a[e]) * 3 * (1 + rho * normal(rng)));
    }
  });
  make("nearly antiparallel", 40, 130, [&](T* a, T* b, std::int64_t dim) {
    for (std::int64_t e = 0; e < dim; ++e) {
      a[e] = static_cast<T>(normal(rng));
      b[e] = static_cast<T>(static_cast<double>(a[e]) * -0.7 * (1 + rho * normal(rng)));
    }
  });
  make("near 60 degrees", 40, 256, [&](T* a, T* b, std::int64_t dim) {
    for (std::int64_t e = 0; e < dim; ++e) {
      a[e] = static_cast<T>(normal(rng));
      b[e] = static_cast<T>(0.5 * static_cast<double>(a[e]) + 0.866 * normal(rng));
    }
  });
  // b minus its projection on a, in double: cos of about 1e-16 .. 1e-12, the dot product's condition up to ~1e16
  make("nearly orthogonal", 40, 512, [&](T* a, T* b, std::int64_t dim) {
    random_rows(1.0)(a, b, dim);
    double ab = 0, aa = 0;
    for (std::int64_t e = 0; e < dim; ++e) {
      ab += static_cast<double>(a[e]) * b[e];
      aa += static_cast<double>(a[e]) * a[e];
    }
    for (std::int64_t e = 0; e < dim; ++e) b[e] = static_cast<T>(b[e] - ab / aa * a[e]);
  });
  make(f32 ? "huge norm 1e25" : "huge norm 1e200", 40, 512, random_rows(f32 ? 1e25 : 1e200));
  if (!f32) {
    make("huge norm 1e300", 10, 512, random_rows(1e300));
    make("tiny norm 1e-200", 10, 512, random_rows(1e-200));
    make("elements 2^-600 .. 2^600 mixed", 20, 64, [&](T* a, T* b, std::int64_t dim) {
      for (std::int64_t e = 0; e < dim; ++e) {
        a[e] = static_cast<T>(std::ldexp(normal(rng), static_cast<int>(rng() % 1201) - 600));
        b[e] = static_cast<T>(std::ldexp(normal(rng), static_cast<int>(rng() % 1201) - 600));
      }
    });
  }
  return out;
}

/// Outputs (reduction none) and both gradients of a class with all targets y (grad_output ones).
template <class T>
struct results {
  std::vector<T> out, g1, g2;
};
template <class T>
results<T> run(const pairs<T>& p, double y) {
  std::vector<T> target(static_cast<std::size_t>(p.rows), static_cast<T>(y));
  results<T> r{std::vector<T>(p.rows), std::vector<T>(p.a.size()), std::vector<T>(p.b.size())};
  const li::cosine_embedding_loss_args<T> args{p.a.data(), p.dim, p.b.data(), p.dim, p.rows,
                                               target.data(), p.rows, 0.0, reduction::none};
  li::cosine_embedding_loss_forward_backward<T, T>(args, nullptr, r.out.data(), r.g1.data(), r.g2.data());
  return r;
}

template <class T>
double ulp_of(double v) {
  const T a = static_cast<T>(std::fabs(v));
  if (a < std::numeric_limits<T>::min()) return std::numeric_limits<T>::denorm_min();
  return static_cast<double>(std::nextafter(a, std::numeric_limits<T>::infinity()) - a);
}

template <class T>
void check_class(const pairs<T>& p) {
  constexpr bool f32 = std::is_same_v<T, float>;
  const double n = static_cast<double>(p.dim);
  const double delta = f32 ? (n / 8 + 7) * u + 4 * u : (n / 4 + 2) * (n / 4 + 2) * u * u + 0x1p-100;
  const double precision = f32 ? 0x1p-24 : 0x1p-53;  // one ULP is at least this much of the value
  const std::string replay = "replay: build/tests/impl_cosine_test --gtest_filter='CosineEmbeddingLoss.*'";
  const auto pos = run(p, 1.0), neg = run(p, -1.0);
  double worst_out = 0, worst_grad = 0;
  for (std::int64_t r = 0; r < p.rows; ++r) {
    const T* a = &p.a[r * p.dim];
    const T* b = &p.b[r * p.dim];
    quad_sum aa, bb, ab;
    quad abs_ab = 0;
    for (std::int64_t e = 0; e < p.dim; ++e) {
      aa.add(quad(a[e]) * quad(a[e]));
      bb.add(quad(b[e]) * quad(b[e]));
      ab.add(quad(a[e]) * quad(b[e]));
      abs_ab += quad_abs(quad(a[e]) * quad(b[e]));
    }
    const quad A = aa.value() + norm_epsilon, B = bb.value() + norm_epsilon, S = ab.value();
    const quad root = quad_sqrt(A * B);
    const quad cos = S / root;
    const quad one_minus_cos = S > 0 ? (A * B - S * S) / (root * (root + S)) : 1 - cos;
    const double c = static_cast<double>(cos);
    const double K = S == 0 ? 1e300 : static_cast<double>(abs_ab / quad_abs(S));
    const double unparallel = static_cast<double>(aa.value() * bb.value() == 0 ? 0 : S * S / (aa.value() * bb.value()));
    const bool maybe_parallel = unparallel >= 0.24, maybe_fast = unparallel <= 0.26;
    // outputs: 1 - cos (y = 1) and max(cos, 0) (y = -1)
    const double cos_rel = delta * (K + 1);
    const double omc_rel = std::max(maybe_parallel ? 4 * delta / std::max(1 - c * c, 1e-300) : 0.0,
                                    maybe_fast ? cos_rel * std::fabs(c) / std::max(1 - c, 1e-300) : 0.0);
    // y = -1 with cos > 1/2: cos - margin is (1 - margin) - (1 - cos) (margin 0 here), one more rounding after that of
    // 1 - cos, which is at most a quarter ULP of cos (1 - cos < 1/2 < cos)
    const bool via_one_minus = c > 0.5;
    struct {
      const char* what;
      double got;
      quad exact;
      double rel;
      double rounding;
    } outputs[] = {{"1 - cos (y = 1)", static_cast<double>(pos.out[r]), one_minus_cos, omc_rel, 0.5},
                   {"max(cos, 0) (y = -1)", static_cast<double>(neg.out[r]), cos > 0 ? cos : quad(0),
                    via_one_minus ? std::max(cos_rel, omc_rel * (1 - c) / c) : cos_rel, via_one_minus ? 0.75 : 0.5}};
    for (const auto& o : outputs) {
      const double exact = static_cast<double>(o.exact);
      const double ulps = exact == 0 ? (o.got == 0 ? 0 : 1e300)
                                     : static_cast<double>(quad_abs(quad(o.got) - o.exact)) / ulp_of<T>(exact);
      const double bound = o.rounding + o.rel / precision;
      worst_out = std::max(worst_out, ulps);
      if (!(ulps <= bound)) {
        ADD_FAILURE() << p.name << " row " << r << " " << o.what << ": got " << o.got << ", exact " << exact << ", "
                      << ulps << " ULP > bound " << bound << " (cos " << c << ", condition " << K << "; seed " << seed
                      << "); " << replay;
        return;
      }
    }
    // gradients, y = 1: c = -1 (y = -1 has the same with c = 1 where cos >= 0)
    for (int input = 0; input < 2; ++input) {
      const T* self = input == 0 ? a : b;
      const T* other = input == 0 ? b : a;
      const quad self_norm = input == 0 ? A : B;
      const T* got = input == 0 ? &pos.g1[r * p.dim] : &pos.g2[r * p.dim];
      for (std::int64_t e = 0; e < p.dim; ++e) {
        const quad t1 = quad(other[e]) / root, t2 = cos * quad(self[e]) / self_norm;
        const quad g = -(t1 - t2);
        const double terms = static_cast<double>(quad_abs(t1) + quad_abs(t2));
        const double gd = static_cast<double>(g);
        double bound = (maybe_fast ? 2.5 * u * terms + 1.5 * u * std::fabs(gd) : 0.0) + 2 * cos_rel * terms;
        if (maybe_parallel) bound = std::max(bound, 1.01 * ulp_of<double>(gd) + 2 * cos_rel * terms);
        bound += f32 ? 0.5 * ulp_of<float>(gd) : 0.0;
        bound = std::max(bound, static_cast<double>(std::numeric_limits<T>::denorm_min()));
        const double err = static_cast<double>(quad_abs(quad(got[e]) - g));
        worst_grad = std::max(worst_grad, err / ulp_of<T>(gd));
        if (!(err <= bound)) {
          ADD_FAILURE() << p.name << " row " << r << " grad_input" << input + 1 << "[" << e << "]: got " << got[e]
                        << ", exact " << gd << ", error " << err << " > bound " << bound << " (cos " << c
                        << ", condition " << K << "; seed " << seed << "); " << replay;
          return;
        }
      }
    }
  }
  std::printf("%s %s: outputs max %.3f ULP, gradients max %.3g ULP (elementwise)\n", f32 ? "float32" : "float64",
              p.name.c_str(), worst_out, worst_grad);
}

TEST(CosineEmbeddingLoss, RowKernelsAgreeWithQuadFloat32) {
  for (const auto& p : classes<float>()) check_class(p);
}
TEST(CosineEmbeddingLoss, RowKernelsAgreeWithQuadFloat64) {
  for (const auto& p : classes<double>()) check_class(p);
}

/// The bytes of every result of every class, both dtypes, both targets.
std::string all_result_bytes() {
  std::string bytes;
  auto append = [&](const auto& v) {
    bytes.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(v[0]));
  };
  auto add = [&](const auto& list) {
    for (const auto& p : list)
      for (double y : {1.0, -1.0}) {
        const auto r = run(p, y);
        append(r.out);
        append(r.g1);
        append(r.g2);
      }
  };
  add(classes<float>());
  add(classes<double>());
  return bytes;
}

// When LOSSCHECK_COSINE_DUMP names a file, this process is the child started by IsaBuildsAreBitIdentical: it writes
// its results there and exits before any test runs.
const bool child_dumped = [] {
  const char* path = std::getenv("LOSSCHECK_COSINE_DUMP");
  if (!path) return false;
  std::ofstream(path, std::ios::binary) << all_result_bytes();
  std::_Exit(0);
}();

TEST(CosineEmbeddingLoss, IsaBuildsAreBitIdentical) {
  char exe[4096] = {};
  ASSERT_GT(readlink("/proc/self/exe", exe, sizeof exe - 1), 0);
  const std::string dump = testing::TempDir() + "cosine_generic_" + std::to_string(getpid()) + ".bin";
  const std::string command = "LOSSCHECK_IMPL_ISA=generic LOSSCHECK_COSINE_DUMP='" + dump + "' '" + exe + "'";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  std::ifstream in(dump, std::ios::binary);
  const std::string generic((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::remove(dump.c_str());
  const std::string here = all_result_bytes();
  const char* isa = std::getenv("LOSSCHECK_IMPL_ISA");
  std::printf("this process: %s build; child: generic build; %zu bytes of results\n",
              isa && std::strcmp(isa, "generic") == 0 ? "generic (forced)" : "default (AVX2 where the CPU has it)",
              here.size());
  ASSERT_EQ(generic.size(), here.size());
  for (std::size_t i = 0; i < here.size(); ++i)
    if (generic[i] != here[i]) {
      FAIL() << "AVX2 and generic builds differ at result byte " << i << " (classes() order; seed " << seed
             << "); replay: build/tests/impl_cosine_test --gtest_filter='*IsaBuilds*'";
    }
}

}  // namespace
