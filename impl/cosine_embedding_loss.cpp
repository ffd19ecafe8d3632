// cosine_embedding_loss (torch: Loss.cpp cosine_embedding_loss, a composite whose gradients are autograd's).
#include "losscheck/impl/cosine_embedding_loss.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "accumulate.h"
#include "case_io.h"
#include "double_double.h"
#include "losses.h"
#include "parallel.h"
#include "reduction.h"
#include "vector_math.h"

namespace losscheck::impl {
namespace {

/// torch adds EPSILON = 1e-12 to both squared norms (Loss.cpp), so a zero vector gives cos = 0 instead of 0/0. The
/// constant is a float there: float32 and float64 cases both add 1e-12f = 9.999999960041972e-13 (checked against
/// LibTorch 1.13.1).
constexpr double norm_epsilon = static_cast<double>(1e-12f);

/// One pair of rows: a = input1's row (columns_a values), b = input2's row (columns_b values); the products run over
/// `dim` = the larger of the two, a column count of 1 being broadcast.
template <class T>
struct pair_row {
  const T* a;
  std::int64_t columns_a;
  const T* b;
  std::int64_t columns_b;
  std::int64_t dim;
  double a_at(std::int64_t d) const { return static_cast<double>(a[columns_a == 1 ? 0 : d]); }
  double b_at(std::int64_t d) const { return static_cast<double>(b[columns_b == 1 ? 0 : d]); }
};

/// The power of two k such that a row's elements scaled by 2^-k neither overflow nor underflow when squared and
/// summed: 0 when max|v| is in [2^-300, 2^300] (always the case for float32 data), zero or not finite; otherwise
/// ilogb(max|v|) clamped to [-400, 1000] (below 2^-400 a row is far below torch's eps: its own digits cannot matter).
template <class T>
int rescale_exponent(const T* v, std::int64_t n) {
  if constexpr (std::is_same_v<T, float>) {
    return 0;
  } else {
    double largest = 0.0;
    for (std::int64_t i = 0; i < n; ++i) largest = std::max(largest, std::fabs(v[i]));  // NaN is skipped
    if (largest == 0.0 || !std::isfinite(largest) || (largest >= 0x1p-300 && largest <= 0x1p300)) return 0;
    return std::clamp(std::ilogb(largest), -400, 1000);
  }
}

/// term accumulated into a double-double sum: a product of float32 values is exact in double; a product of float64
/// values is made exact by TwoProduct.
template <class T>
double_double add_product(double_double sum, double x, double y) {
  if constexpr (std::is_same_v<T, float>)
    return sum + x * y;
  else
    return sum + two_product(x, y);
}

/// A positive double-double held as mantissa * 4^exponent with mantissa in [1, 4), so that a square root halves the
/// exponent exactly.
struct quarter_scaled {
  double_double mantissa;
  int exponent;
};
quarter_scaled quarter_normalize(double_double value, int exponent) {
  const int half = std::ilogb(value.hi) >> 1;  // floor(log2(value) / 2)
  return {scale_by_power_of_two(value, -2 * half), exponent + half};
}

/// sum a^2, sum b^2 and sum a b of a row pair in double-double.
struct row_sums {
  double_double aa, bb, ab;
};

bool is_finite(double_double v) { return std::isfinite(v.hi) && std::isfinite(v.lo); }

// The row kernels over contiguous rows of equal length (no broadcast column), 4 double lanes (vector_math.h), each
// compiled for AVX2 and generic x86-64 (simd::dispatch, isa.h) with the same operations in the same order (no FMA,
// -ffp-contract=off), so the two builds give bit-identical results; lanes are combined in a fixed order, so results
// depend on the data only.
//
// Error analysis (u = 2^-53; n = the row length, 512 in the benchmark):
// - float32 rows, plain lanes: a product of two floats is exact in double, so each of the 3 sums is a double sum of
//   exact terms over 8 lanes (n / 8 additions each, then 7 to combine): |error| <= (n / 8 + 7) u sum|terms|. For the
//   norms (positive terms) that is a relative 2^-44 at n = 512, for sum a b the same times sum|a b| / |sum a b|;
//   cos = S / sqrt(A B) adds 3 roundings of 2^-53. The float32 result is that double rounded once: within 0.5 ULP of
//   float plus 2^-44 / 2^-24 = 2^-20 ULP times the dot product's condition (so 0.5 ULP below a condition of 2^15; the
//   nearly parallel rows, where 1 - cos cancels, take the double-double evaluation below).
// - float64 rows, double-double lanes (Ogita, Rump and Oishi's Dot2): every product is split exactly into p + e
//   (Dekker's TwoProduct with Veltkamp's split: exact for |x| < 2^996 and products above 2^-969), p is added to the
//   lane's hi by TwoSum (exact: hi + p = s + t), and t + e are added to the lane's lo in plain double. The only
//   rounding errors are those of lo's sum, so each lane is within gamma_m^2 sum|terms| (gamma_m = m u / (1 - m u),
//   m = n / 4 + 1), and the lanes are combined by double-double additions (relative 2^-104):
//     |S_dd - S| <= 2^-104 |S| + (n / 4 + 2)^2 u^2 sum|a b|      (norms: relative 2^-104 + (n / 4 + 2)^2 u^2)
//   i.e. as if summed in 106-bit arithmetic: at n = 512 the second term is 2^-91 sum|a b|, below 2^-60 |S| up to a
//   condition sum|a b| / |S| of 2^31. cos = S / sqrt((sum a^2 + eps)(sum b^2 + eps)) and 1 - cos are then formed in
//   double-double (products, square root and quotients each within a few 2^-104) and rounded once: within 0.5 ULP +
//   2^-50 ULP of the exact value where the condition is below 2^31 (nearly orthogonal rows beyond that lose
//   log2(condition) - 31 bits, still far fewer than the ~log2(condition) of a plain double dot product).
//   Cost: 54 vector operations per 4 elements (2 splits, 3 TwoProducts, 3 TwoSums) against 6 for plain lanes;
//   measured in L2 (AVX2, 1 thread): 2.3 ns per element pair against 0.32 ns for the float32 plain lanes.
// - the gradient: g (b_e / root - cos a_e / A) with 1 / root and cos / A each rounded once from the double-double
//   values (float32: from the double ones), then 3 roundings per element in double; where the two terms cancel
//   (the element is small against its terms) the element is ill-conditioned in its own inputs and keeps an absolute
//   error of a few ULPs of its larger term (the same as LibTorch's; normwise within about 2 ULPs).
//   Nearly parallel rows (within 60 degrees) form it in double-double lanes (dd_gradient_kernel: exact products, the
//   cancelling bracket in double-double, rounded once before the product by dcos: 1 ULP plus about 2^-104 of the
//   terms); float32 rows among them whose angle still has sin^2 >= 2^-40 take the plain lanes with factors from the
//   double-double values (normwise error below 2^-31, far below float's 2^-24; see double_double_geometry).
namespace row_lanes {
using namespace simd;

// clang rejects an AVX function's vector return in a body not compiled for AVX (the fuzz build): GCC only.
#if !defined(__clang__)
// Not always_inline (GCC refuses to force an AVX2 function into the generic-target kernel bodies); the inliner
// places it inside the AVX2 kernels once the bodies are inlined there.
LOSSCHECK_AVX2 inline vd load_floats_avx2(const float* p) {
  return static_cast<vd>(_mm256_cvtps_pd(_mm_loadu_ps(p)));
}
#endif

/// vector_math.h's load, except that the AVX2 build converts 4 floats with one vcvtps2pd (GCC makes two 128-bit
/// conversions of the vector extension's convert): the conversion is exact, so both builds load the same values.
template <class Build, class T>
LOSSCHECK_INLINE vd load_row(const T* p) {
#if !defined(__clang__)
  if constexpr (sizeof(T) == 4 && std::is_same_v<Build, avx2_build>) return load_floats_avx2(p);
#endif
  return load(p);
}

/// hi + lo lanes (double_double.h's operations, lane by lane).
using vdd = double_double_of<vd>;

/// Per-lane double-double sums of exact terms p + e: hi + p by TwoSum (exact), its error and e added to lo.
struct dd_lanes {
  vd hi = splat(0.0);
  vd lo = splat(0.0);
  LOSSCHECK_INLINE void add(vd p, vd e) {
    const vdd s = two_sum(hi, p);
    hi = s.hi;
    lo += s.lo + e;
  }
  LOSSCHECK_INLINE void add(vd p) {
    const vdd s = two_sum(hi, p);
    hi = s.hi;
    lo += s.lo;
  }
  /// The lanes combined in a fixed order by double-double additions.
  LOSSCHECK_INLINE double_double value() const {
    double_double total = two_sum(hi[0], lo[0]);
    for (int j = 1; j < lanes; ++j) total = total + double_double{hi[j], lo[j]};
    return total;
  }
};

// The kernels, bodies for simd::dispatch (isa.h): the first argument is the build they are compiled into.

// out = {sum a^2, sum b^2, sum a b} over n floats, in two sets of plain double lanes (the adder's latency), combined
// lane by lane and then (l0 + l1) + (l2 + l3).
struct plain_sums_kernel {
  template <class Build>
  LOSSCHECK_INLINE void operator()(Build, const float* a, const float* b, std::int64_t n, double* out) const {
    vd aa0 = splat(0.0), bb0 = aa0, ab0 = aa0, aa1 = aa0, bb1 = aa0, ab1 = aa0;
    std::int64_t i = 0;
    for (; i + 2 * lanes <= n; i += 2 * lanes) {
      const vd a0 = load_row<Build>(a + i), b0 = load_row<Build>(b + i);
      const vd a1 = load_row<Build>(a + i + lanes), b1 = load_row<Build>(b + i + lanes);
      aa0 += a0 * a0;
      bb0 += b0 * b0;
      ab0 += a0 * b0;
      aa1 += a1 * a1;
      bb1 += b1 * b1;
      ab1 += a1 * b1;
    }
    for (; i < n; i += lanes) {
      const bool whole = i + lanes <= n;
      const vd a0 = whole ? load_row<Build>(a + i) : load_partial(a, i, n, 0.0);
      const vd b0 = whole ? load_row<Build>(b + i) : load_partial(b, i, n, 0.0);
      aa0 += a0 * a0;
      bb0 += b0 * b0;
      ab0 += a0 * b0;
    }
    out[0] = horizontal_sum(aa0 + aa1);
    out[1] = horizontal_sum(bb0 + bb1);
    out[2] = horizontal_sum(ab0 + ab1);
  }
};

// sum a'^2, sum b'^2, sum a' b' with a' = scale_a a, b' = scale_b b (powers of two), in double-double lanes: for
// float rows the products are exact in double (and the scales 1); for double rows TwoProduct makes them exact.
struct dd_sums_kernel {
  template <class Build, class T>
  LOSSCHECK_INLINE void operator()(Build, const T* a, const T* b, std::int64_t n, double scale_a, double scale_b,
                                   row_sums* out) const {
    dd_lanes aa, bb, ab;
    const vd sa = splat(scale_a), sb = splat(scale_b);
    auto step = [&](vd va, vd vb) __attribute__((always_inline)) {
      if constexpr (sizeof(T) == 4) {
        aa.add(va * va);
        bb.add(vb * vb);
        ab.add(va * vb);
      } else {
        va = va * sa;
        vb = vb * sb;
        const vdd as = split(va), bs = split(vb);
        const vdd paa = two_product(va, as, va, as), pbb = two_product(vb, bs, vb, bs);
        const vdd pab = two_product(va, as, vb, bs);
        aa.add(paa.hi, paa.lo);
        bb.add(pbb.hi, pbb.lo);
        ab.add(pab.hi, pab.lo);
      }
    };
    std::int64_t i = 0;
    for (; i + lanes <= n; i += lanes) step(load_row<Build>(a + i), load_row<Build>(b + i));
    if (i < n) step(load_partial(a, i, n, 0.0), load_partial(b, i, n, 0.0));
    *out = {aa.value(), bb.value(), ab.value()};
  }
};

// dL/da_e = c (b_e r - a_e f_a),  dL/db_e = c (a_e r - b_e f_b)   with f = {c, r, f_a, f_b}, either output may be null
// (Non-temporal stores for the gradients were tried: 34 ms instead of 1.8 ms of CPU time for float32 4096 x 512 on
// the machine of docs/performance.md, so the gradients are stored normally.)
struct gradient_kernel {
  template <class Build, class T, class G>
  LOSSCHECK_INLINE void operator()(Build, const T* a, const T* b, std::int64_t n, G* ga, G* gb,
                                   const double* f) const {
    const vd c = splat(f[0]), r = splat(f[1]), fa = splat(f[2]), fb = splat(f[3]);
    auto run = [&](auto want_a, auto want_b) __attribute__((always_inline)) {
      std::int64_t i = 0;
      for (; i + lanes <= n; i += lanes) {
        const vd va = load_row<Build>(a + i), vb = load_row<Build>(b + i);
        if constexpr (decltype(want_a)::value) store(ga + i, c * (vb * r - va * fa));
        if constexpr (decltype(want_b)::value) store(gb + i, c * (va * r - vb * fb));
      }
      if (i < n) {
        const vd va = load_partial(a, i, n, 0.0), vb = load_partial(b, i, n, 0.0);
        if constexpr (decltype(want_a)::value) store_partial(ga, i, n, c * (vb * r - va * fa));
        if constexpr (decltype(want_b)::value) store_partial(gb, i, n, c * (va * r - vb * fb));
      }
    };
    if (ga && gb)
      run(std::true_type{}, std::true_type{});
    else if (ga)
      run(std::true_type{}, std::false_type{});
    else if (gb)
      run(std::false_type{}, std::true_type{});
  }
};

/// The per-row constants of write_row_gradient's double-double evaluation (see there), for one input.
struct dd_gradient_row {
  double scale_self, scale_other;  // 2^-k
  double sq_hi, sq_lo;             // sum self'^2 in the units of A_m,self
  double q_hi, q_lo;               // S_m 2^cross_shift
  double eps;                      // eps in the units of A_m,self
  double inv_hi, inv_lo;           // 1 / (A_m,self root_m)
  double result_scale;             // 2^result_shift
  double dcos;
};

// grad_e = ((x a_sq - y Q) + x eps) / (A_m root_m) 2^shift dcos   (x = other'_e, y = self'_e, Q = S_m 2^cross_shift),
// every product exact (TwoProduct) and the sums double-double, as write_row_gradient's scalar loop; the constant
// operands split once per row.
struct dd_gradient_kernel {
  template <class Build, class T, class G>
  LOSSCHECK_INLINE void operator()(Build, const T* self, const T* other, std::int64_t n, G* grad,
                                   const dd_gradient_row* row) const {
    const dd_gradient_row& c = *row;
    const vdd sq{splat(c.sq_hi), splat(c.sq_lo)}, q{splat(c.q_hi), splat(c.q_lo)};
    const vdd inv{splat(c.inv_hi), splat(c.inv_lo)};
    const vd eps = splat(c.eps);
    const vdd sq_split = split(sq.hi), q_split = split(q.hi), eps_split = split(eps), inv_split = split(inv.hi);
    const vd scale_self = splat(c.scale_self), scale_other = splat(c.scale_other);
    const vd result_scale = splat(c.result_scale), dcos = splat(c.dcos);
    auto element = [&](vd self_v, vd other_v) __attribute__((always_inline)) {
      const vd x = other_v * scale_other, y = self_v * scale_self;
      const vdd x_split = split(x), y_split = split(y);
      // (x a_sq - y Q) cancels for parallel rows; eps's share x eps is added after
      const vdd x_sq = multiply(sq, sq_split, x, x_split), y_q = multiply(q, q_split, y, y_split);
      const vdd x_eps = two_product(x, x_split, eps, eps_split);
      const vdd bracket = sloppy_sum(x_sq, vdd{-y_q.hi, -y_q.lo});
      const vdd numerator = sloppy_sum(bracket, quick_two_sum(x_eps.hi, x_eps.lo));
      const vdd r = multiply(numerator, split(numerator.hi), inv, inv_split);
      return ((r.hi + r.lo) * result_scale) * dcos;
    };
    std::int64_t i = 0;
    for (; i + lanes <= n; i += lanes) store(grad + i, element(load_row<Build>(self + i), load_row<Build>(other + i)));
    if (i < n) store_partial(grad, i, n, element(load_partial(self, i, n, 0.0), load_partial(other, i, n, 0.0)));
  }
};

}  // namespace row_lanes

/// Everything the loss and the gradient need about one pair of rows, in one of three evaluations:
/// - fast (most rows): with A = sum a^2 + eps, B likewise, S = sum a b: root = sqrt(A B), cos = S / root, and the
///   gradient's factors 1 / root, cos / A and cos / B. float32: plain double sums and arithmetic; float64:
///   double-double sums and arithmetic, each quantity rounded once (see the row kernels' error analysis). Taken when
///   the rows are at least 60 degrees from parallel (S^2 <= (sum a^2)(sum b^2) / 4, eps aside), where neither 1 - cos
///   nor the gradient's b_e / root - cos a_e / A loses more than a bit to cancellation, and nothing overflows.
/// - double-double (nearly parallel rows, or float64 rows whose squares overflow or underflow): with a = 2^k_a a',
///   b = 2^k_b b' (rescaled rows), A = 4^e_A A_m and B = 4^e_B B_m (A_m, B_m in [1, 4)), S = 2^(e_A + e_B) S_m:
///     cos = S_m / root,   root = sqrt(A_m B_m),   1 - cos = (A_m B_m - S_m^2) / (root (root + S_m)) for S_m > 0
///   all in double-double, rounded once, and eps kept apart from the sums of squares (A_m = a_sq + a_eps): where
///   A_m B_m - S_m^2 or b A - a S cancel, what remains is eps's share, which may lie below even double-double's last
///   digit of sum a^2.
/// - plain (rows holding inf or NaN): torch's expression as written, for its NaN/inf pattern.
enum class evaluation : std::uint8_t { fast, double_double, plain };
struct row_geometry {
  evaluation how = evaluation::fast;
  double cos = 0.0;
  double cos_low = 0.0;  // float64: the double-double cos is cos + cos_low (0 for float32 rows)
  double s_sign = 0.0;   // the sign of the computed S = sum a b (-1, 0, 1), exact where cos underflows to 0
  double one_minus_cos = 0.0;
  double root = 0.0;
  double a_norm = 0.0, b_norm = 0.0;                      // fast and plain: A and B
  double inv_root = 0.0, a_factor = 0.0, b_factor = 0.0;  // fast: 1 / root, cos / A, cos / B
  int k_a = 0, k_b = 0, e_a = 0, e_b = 0;
  double_double a_sq, b_sq, s_m;    // double-double: sum a'^2, sum b'^2 and S, in the units of A_m, B_m and S_m
  double a_eps = 0.0, b_eps = 0.0;  // double-double: eps in the units of A_m and B_m
  double_double root_m;             // double-double: sqrt(A_m B_m)
};

/// sum a^2, sum b^2 and sum a b of a row pair, accumulated in double (compensated for float64), element by element
/// (rows with a broadcast column, and torch's plain expression for rows holding inf or NaN).
template <class T>
struct plain_sums {
  double aa, bb, ab;
};
template <class T>
plain_sums<T> plain_sums_of(const pair_row<T>& row) {
  sum_accumulator<T> aa, bb, ab;
  if (row.columns_a == row.dim && row.columns_b == row.dim) {
    for (std::int64_t d = 0; d < row.dim; ++d) {
      const double a = static_cast<double>(row.a[d]);
      const double b = static_cast<double>(row.b[d]);
      aa.add(a * a);
      bb.add(b * b);
      ab.add(a * b);
    }
  } else {
    for (std::int64_t e = 0; e < row.columns_a; ++e) aa.add(row.a_at(e) * row.a_at(e));
    for (std::int64_t e = 0; e < row.columns_b; ++e) bb.add(row.b_at(e) * row.b_at(e));
    for (std::int64_t d = 0; d < row.dim; ++d) ab.add(row.a_at(d) * row.b_at(d));
  }
  return {aa.value(), bb.value(), ab.value()};
}

template <class T>
bool row_is_finite(const pair_row<T>& row) {
  for (std::int64_t e = 0; e < row.columns_a; ++e)
    if (!std::isfinite(row.a[e])) return false;
  for (std::int64_t e = 0; e < row.columns_b; ++e)
    if (!std::isfinite(row.b[e])) return false;
  return true;
}

template <class T>
bool is_contiguous(const pair_row<T>& row) {
  return row.columns_a == row.dim && row.columns_b == row.dim;
}

/// sum a'^2, sum b'^2, sum a' b' (a' = scale_a a, b' = scale_b b) in double-double: the vector kernel for contiguous
/// rows, element by element for a broadcast column.
template <class T>
row_sums double_double_sums(const pair_row<T>& row, double scale_a, double scale_b) {
  row_sums s;
  if (is_contiguous(row)) {
    simd::dispatch(row_lanes::dd_sums_kernel{}, row.a, row.b, row.dim, scale_a, scale_b, &s);
    return s;
  }
  for (std::int64_t e = 0; e < row.columns_a; ++e) {
    const double v = static_cast<double>(row.a[e]) * scale_a;
    s.aa = add_product<T>(s.aa, v, v);
  }
  for (std::int64_t e = 0; e < row.columns_b; ++e) {
    const double v = static_cast<double>(row.b[e]) * scale_b;
    s.bb = add_product<T>(s.bb, v, v);
  }
  for (std::int64_t d = 0; d < row.dim; ++d) s.ab = add_product<T>(s.ab, row.a_at(d) * scale_a, row.b_at(d) * scale_b);
  return s;
}

template <class T>
row_geometry double_double_geometry(const pair_row<T>& row, const row_sums* unscaled);

/// torch's expression in plain double, for rows holding inf or NaN (their NaN/inf pattern).
template <class T>
row_geometry plain_geometry(const pair_row<T>& row) {
  const auto sums = plain_sums_of(row);
  row_geometry g;
  g.how = evaluation::plain;
  g.a_norm = sums.aa + norm_epsilon;
  g.b_norm = sums.bb + norm_epsilon;
  g.root = std::sqrt(g.a_norm * g.b_norm);
  g.cos = sums.ab / g.root;
  g.s_sign = (sums.ab > 0) - (sums.ab < 0);
  g.one_minus_cos = 1.0 - g.cos;
  return g;
}

template <class T>
row_geometry geometry_of(const pair_row<T>& row) {
  row_geometry g;
  if constexpr (std::is_same_v<T, float>) {
    plain_sums<T> sums;
    if (is_contiguous(row)) {
      double out[3];
      simd::dispatch(row_lanes::plain_sums_kernel{}, row.a, row.b, row.dim, out);
      sums = {out[0], out[1], out[2]};
    } else {
      sums = plain_sums_of(row);
    }
    g.a_norm = sums.aa + norm_epsilon;
    g.b_norm = sums.bb + norm_epsilon;
    g.root = std::sqrt(g.a_norm * g.b_norm);
    g.cos = sums.ab / g.root;
    // squares of floats do not overflow double: a sum is inf or NaN only for an inf or NaN in the rows
    if (!std::isfinite(g.a_norm) || !std::isfinite(g.b_norm) || !std::isfinite(sums.ab)) return plain_geometry(row);
    // Nearly parallel rows (the angle without eps, S^2 > (sum a^2)(sum b^2) / 4) cancel in b_e / root - cos a_e / A
    // even when eps makes cos small (a 1-column row is always parallel): double-double then.
    if (!(sums.ab * sums.ab <= 0.25 * sums.aa * sums.bb)) return double_double_geometry(row, nullptr);
    g.one_minus_cos = 1.0 - g.cos;
    g.s_sign = (sums.ab > 0) - (sums.ab < 0);
    g.inv_root = 1.0 / g.root;
    g.a_factor = g.cos / g.a_norm;
    g.b_factor = g.cos / g.b_norm;
    return g;
  } else {
    const row_sums s = double_double_sums(row, 1.0, 1.0);
    if (!is_finite(s.aa) || !is_finite(s.bb) || !is_finite(s.ab)) {
      // squares that overflow (or elements beyond TwoProduct's 2^996): rescale; inf or NaN in the rows: plain
      return row_is_finite(row) ? double_double_geometry(row, nullptr) : plain_geometry(row);
    }
    const double_double a_norm = s.aa + norm_epsilon, b_norm = s.bb + norm_epsilon;
    // A B and the TwoProducts below stay below 2^996, S far above the subnormals (its TwoProducts were exact)
    const bool in_range = a_norm.hi < 0x1p450 && b_norm.hi < 0x1p450 && std::fabs(s.ab.hi) >= 0x1p-969;
    if (!in_range || !(s.ab.hi * s.ab.hi <= 0.25 * s.aa.hi * s.bb.hi))
      return double_double_geometry(row, &s);
    const double_double root = square_root(a_norm * b_norm);
    const double_double cos = s.ab / root;
    g.a_norm = a_norm.value();
    g.b_norm = b_norm.value();
    g.root = root.value();
    g.cos = cos.value();
    g.cos_low = cos.lo;
    g.s_sign = (s.ab.hi > 0) - (s.ab.hi < 0);
    g.one_minus_cos = (double_double{1.0, 0.0} - cos).value();
    g.inv_root = (double_double{1.0, 0.0} / root).value();
    g.a_factor = (cos / a_norm).value();
    g.b_factor = (cos / b_norm).value();
    return g;
  }
}

/// The sign of sum a b for a float64 row pair whose products may underflow (|S| tiny), which decides torch's clamp at
/// margin 0: S = sum m_a m_b 2^(x_a + x_b) with frexp's mantissas and exponents, each product exact (TwoProduct) and
/// scaled by 2^-(the largest x_a + x_b) before it is added in double-double, so that no product of nonzero elements
/// underflows to 0 against the largest; the sign is exact unless the largest terms cancel to below 2^-1074 of
/// themselves.
template <class T>
double sign_of_tiny_dot(const pair_row<T>& row) {
  int top = std::numeric_limits<int>::min();
  for (std::int64_t d = 0; d < row.dim; ++d) {
    const double a = row.a_at(d), b = row.b_at(d);
    if (a == 0.0 || b == 0.0) continue;
    int xa = 0, xb = 0;
    std::frexp(a, &xa);
    std::frexp(b, &xb);
    top = std::max(top, xa + xb);
  }
  if (top == std::numeric_limits<int>::min()) return 0.0;
  double_double sum;
  for (std::int64_t d = 0; d < row.dim; ++d) {
    const double a = row.a_at(d), b = row.b_at(d);
    if (a == 0.0 || b == 0.0) continue;
    int xa = 0, xb = 0;
    const double ma = std::frexp(a, &xa), mb = std::frexp(b, &xb);
    sum = sum + scale_by_power_of_two(two_product(ma, mb), xa + xb - top);
  }
  return (sum.hi > 0) - (sum.hi < 0);
}

/// unscaled: the sums already formed with scales 1 (reused when the row needs no rescaling), or nullptr.
template <class T>
row_geometry double_double_geometry(const pair_row<T>& row, const row_sums* unscaled) {
  row_geometry g;
  g.how = evaluation::double_double;
  g.k_a = rescale_exponent(row.a, row.columns_a);
  g.k_b = rescale_exponent(row.b, row.columns_b);
  const row_sums s = unscaled && g.k_a == 0 && g.k_b == 0
                         ? *unscaled
                         : double_double_sums(row, std::ldexp(1.0, -g.k_a), std::ldexp(1.0, -g.k_b));
  // A = 4^k_a (sum a'^2 + eps 4^-k_a); eps 4^-k_a underflows harmlessly for huge rows.
  const double eps_a = std::ldexp(norm_epsilon, -2 * g.k_a);
  const double eps_b = std::ldexp(norm_epsilon, -2 * g.k_b);
  const auto a = quarter_normalize(s.aa + eps_a, g.k_a);
  const auto b = quarter_normalize(s.bb + eps_b, g.k_b);
  const int shift_a = -2 * (a.exponent - g.k_a), shift_b = -2 * (b.exponent - g.k_b);
  g.a_sq = scale_by_power_of_two(s.aa, shift_a);
  g.b_sq = scale_by_power_of_two(s.bb, shift_b);
  g.a_eps = std::ldexp(eps_a, shift_a);
  g.b_eps = std::ldexp(eps_b, shift_b);
  g.e_a = a.exponent;
  g.e_b = b.exponent;
  g.s_m = scale_by_power_of_two(s.ab, g.k_a + g.k_b - g.e_a - g.e_b);
  g.root_m = square_root(a.mantissa * b.mantissa);
  g.root = g.root_m.value();
  const double_double cos = g.s_m / g.root_m;
  g.cos = cos.value();
  g.cos_low = cos.lo;
  g.s_sign = (s.ab.hi > 0) - (s.ab.hi < 0);  // before S_m's scaling, which may underflow
  if constexpr (std::is_same_v<T, double>)
    if (std::fabs(s.ab.hi) < 0x1p-900) g.s_sign = sign_of_tiny_dot(row);
  if (g.s_m.value() > 0) {
    // A_m B_m - S_m^2 = (a_sq b_sq - S_m^2) + (b_sq a_eps + a_sq b_eps + a_eps b_eps)
    const double_double cross = g.a_sq * g.b_sq - g.s_m * g.s_m;
    const double_double eps_terms = (g.b_sq * g.a_eps + g.a_sq * g.b_eps) + two_product(g.a_eps, g.b_eps);
    g.one_minus_cos = ((cross + eps_terms) / (g.root_m * (g.root_m + g.s_m))).value();
  } else {
    g.one_minus_cos = (double_double{1.0, 0.0} - cos).value();
  }
  if constexpr (std::is_same_v<T, float>) {
    // float32 rows whose angle (eps aside) has sin^2 >= 2^-40 take the fast gradient b_e / root - cos a_e / A with
    // factors from the double-double values rounded once: its terms' rounding errors (a few 2^-53 of b_e / root)
    // against a gradient of at least sin of their size (normwise) are below 2^-31 of it, far below float's 2^-24;
    // closer rows keep the double-double gradient. (float32 rows are never rescaled: k_a = k_b = 0.)
    const double_double sq_product = g.a_sq * g.b_sq;
    const double sin2 = ((sq_product - g.s_m * g.s_m) / sq_product).value();
    if (sin2 >= 0x1p-40 && g.k_a == 0 && g.k_b == 0) {
      g.how = evaluation::fast;
      g.inv_root = std::ldexp((double_double{1.0, 0.0} / g.root_m).value(), -(g.e_a + g.e_b));
      g.a_factor = std::ldexp((cos / (g.a_sq + g.a_eps)).value(), -2 * g.e_a);
      g.b_factor = std::ldexp((cos / (g.b_sq + g.b_eps)).value(), -2 * g.e_b);
    }
  }
  return g;
}

// dcos/dself_e = (other_e A_self - self_e S) / (A_self sqrt(A B)) over one row of one input, times `dcos` (the loss's
// dL/dcos), where other_e is the other input's element facing e, or the sum of the other row when this row is
// broadcast along the dimension. In the rescaled terms of row_geometry:
//   numerator / (2^k_other 4^e_self) = other'_e A_m,self - self'_e S_m 2^((k_self - e_self) - (k_other - e_other))
//   dcos/dself_e = that / (A_m,self root) * 2^(k_other - e_self - e_other)
// evaluated in double-double (numerator times the double-double 1 / (A_m,self root)), rounded once before the
// multiplication by dcos, so the cancellation of nearly parallel rows costs no digits.
// (Contiguous rows of the fast evaluation with a finite dcos take row_lanes::gradient_kernel instead.)
template <class T, class G>
void write_row_gradient(G* grad, const T* self, std::int64_t self_columns, const T* other, std::int64_t other_columns,
                        std::int64_t dim, double dcos, const row_geometry& g, bool self_is_a) {
  const int k_self = self_is_a ? g.k_a : g.k_b, k_other = self_is_a ? g.k_b : g.k_a;
  const int e_self = self_is_a ? g.e_a : g.e_b, e_other = self_is_a ? g.e_b : g.e_a;
  const double scale_self = std::ldexp(1.0, -k_self), scale_other = std::ldexp(1.0, -k_other);
  const bool broadcast_self = self_columns == 1 && dim != 1;
  auto other_at = [&](std::int64_t d) { return static_cast<double>(other[other_columns == 1 ? 0 : d]); };
  if (g.how == evaluation::plain || !std::isfinite(dcos)) {
    // inf or NaN in the rows or in the incoming gradient: autograd's evaluation of torch's composite, for its NaN/inf
    // pattern. With P = sum x1 x2, M_j = sum x_j^2 + eps, D = sqrt(M1 M2), cos = P / D:
    //   dself_e = (dcos / D) other_e + 2 self_e M_other ((-dcos P / D^2) / (2 D))
    double m_self = 0, m_other = 0, product = 0;
    for (std::int64_t e = 0; e < self_columns; ++e)
      m_self += static_cast<double>(self[e]) * static_cast<double>(self[e]);
    for (std::int64_t e = 0; e < other_columns; ++e) m_other += other_at(e) * other_at(e);
    for (std::int64_t d = 0; d < dim; ++d)
      product += static_cast<double>(self[self_columns == 1 ? 0 : d]) * other_at(d);
    m_self += norm_epsilon;
    m_other += norm_epsilon;
    const double root = std::sqrt(m_self * m_other);
    const double grad_product = dcos / root;
    const double grad_norm = -dcos * product / (root * root) / (2.0 * root) * m_other;
    double broadcast_other = 0.0;
    if (broadcast_self)
      for (std::int64_t d = 0; d < dim; ++d) broadcast_other += other_at(d);
    for (std::int64_t e = 0; e < self_columns; ++e) {
      const double other_e = broadcast_self ? broadcast_other : other_at(e);
      grad[e] = static_cast<G>(grad_product * other_e + 2.0 * static_cast<double>(self[e]) * grad_norm);
    }
    return;
  }
  if (g.how == evaluation::fast) {
    // dcos/dself_e = other_e / root - cos self_e / A_self
    sum_accumulator<T> broadcast_other;
    if (broadcast_self)
      for (std::int64_t d = 0; d < dim; ++d) broadcast_other.add(other_at(d));
    const double other_factor = g.inv_root;
    const double self_factor = self_is_a ? g.a_factor : g.b_factor;
    for (std::int64_t e = 0; e < self_columns; ++e) {
      const double other_e = broadcast_self ? broadcast_other.value() : other_at(e);
      grad[e] = static_cast<G>(dcos * (other_e * other_factor - static_cast<double>(self[e]) * self_factor));
    }
    return;
  }
  double_double broadcast_other;
  if (broadcast_self)
    for (std::int64_t d = 0; d < dim; ++d) broadcast_other = broadcast_other + other_at(d) * scale_other;
  const double_double& self_sq = self_is_a ? g.a_sq : g.b_sq;
  const double self_eps = self_is_a ? g.a_eps : g.b_eps;
  const int cross_shift = (k_self - e_self) - (k_other - e_other);
  const double_double inverse = double_double{1.0, 0.0} / ((self_sq + self_eps) * g.root_m);
  const int result_shift = k_other - e_self - e_other;
  // Contiguous rows take the vector kernel, where 2^cross_shift and 2^result_shift scale exactly by a multiplication
  // (|S_m 2^cross_shift| in [2^-900, 2^900] or 0, and 2^result_shift a normal double): the same operations in lanes.
  const double_double q = scale_by_power_of_two(g.s_m, cross_shift);
  const bool q_in_range = q.hi == 0.0 || (std::fabs(q.hi) >= 0x1p-900 && std::fabs(q.hi) <= 0x1p900);
  if (self_columns == dim && other_columns == dim && q_in_range && result_shift >= -1022 && result_shift <= 1023) {
    const row_lanes::dd_gradient_row c{scale_self, scale_other,  self_sq.hi, self_sq.lo, q.hi,
                                       q.lo,       self_eps,     inverse.hi, inverse.lo, std::ldexp(1.0, result_shift),
                                       dcos};
    simd::dispatch(row_lanes::dd_gradient_kernel{}, self, other, dim, grad, &c);
    return;
  }
  for (std::int64_t e = 0; e < self_columns; ++e) {
    const double_double other_e = broadcast_self ? broadcast_other : double_double{other_at(e) * scale_other, 0.0};
    const double self_e = static_cast<double>(self[e]) * scale_self;
    // other_e A_m - self_e S_m 2^shift = (other_e a_sq - self_e S_m 2^shift) + other_e eps: the bracket cancels for
    // parallel rows, eps's share is added after.
    const double_double numerator =
        (other_e * self_sq - scale_by_power_of_two(g.s_m * self_e, cross_shift)) + other_e * self_eps;
    grad[e] = static_cast<G>(std::ldexp((numerator * inverse).value(), result_shift) * dcos);
  }
}
}  // namespace

// cos = sum x1 x2 / sqrt((sum x1^2 + eps)(sum x2^2 + eps));  L = 1 - cos (y = 1), max(0, cos - margin) (y = -1), 0
template <class T>
void cosine_embedding_loss_forward(const cosine_embedding_loss_args<T>& args, T* output) {
  cosine_embedding_loss_forward_backward<T, T>(args, nullptr, output, nullptr, nullptr);
}

// cos     = S12 / sqrt(A B),  A = sum x1^2 + eps,  B = sum x2^2 + eps
// L       = 1 - cos (y = 1);  max(0, cos - margin) (y = -1);  0 (other y, still counted by mean)
// dL/dcos = -1 (y = 1);  [cos - margin >= 0] (y = -1);  0
// dcos/dx1_e = sum_{d -> e} x2_d / sqrt(A B) - cos x1_e / A  (d -> e: the pair columns that read x1_e)
// dcos/dx2_e = sum_{d -> e} x1_d / sqrt(A B) - cos x2_e / B
template <class T, class G>
void cosine_embedding_loss_forward_backward(const cosine_embedding_loss_args<T>& args, const T* grad_output, T* output,
                                            G* grad_input1, G* grad_input2) {
  const std::int64_t count = args.count();
  const std::int64_t dim = args.columns1 == 1 ? args.columns2 : args.columns1;
  const double margin = static_cast<double>(static_cast<T>(args.margin));  // torch: cos - margin in the input dtype
  const bool none = args.red == reduction::none;
  const upstream_gradient<T> upstream(args.red, grad_output, reduction_divisor(args.red, count));
  const bool backward = grad_input1 || grad_input2;
  // Large inputs without a broadcast cos are cut into two chunks of rows (parallel.h), whose sums are added in order.
  const bool parallel = args.rows == count && args.rows >= 2 && args.rows * dim >= parallel_threshold;
  const std::int64_t split = parallel ? args.rows / 2 : args.rows;
  chunk_sum<T> totals[2];  // a cache line per chunk: the two threads share none
  auto rows = [&](int chunk) {
    sum_accumulator<T>& total = totals[chunk].sum;
    for (std::int64_t r = chunk == 0 ? 0 : split; r < (chunk == 0 ? split : args.rows); ++r) {
      const pair_row<T> row{args.input1 + r * args.columns1, args.columns1, args.input2 + r * args.columns2,
                            args.columns2, dim};
      const row_geometry f = geometry_of(row);
      // The loss elements fed by this row: just row r, or all of them when one cos is broadcast over the targets.
      const std::int64_t first = args.rows == count ? r : 0;
      const std::int64_t last = args.rows == count ? r + 1 : count;
      // cos - margin, from the accurate 1 - cos when cos > 1/2 (1 - margin is then exact wherever digits could cancel):
      // a cos that rounds to margin = 1 must not pass the clamp unless it reaches it.
      const double above_margin = f.cos > 0.5 ? (1.0 - margin) - f.one_minus_cos : f.cos - margin;
      // torch's clamp_min backward passes the gradient where cos - margin >= 0. Where the difference rounds to 0, the
      // exact one decides: the double-double cos's low part (float64), or, where cos underflows to 0 (|S| below
      // 2^-1074 sqrt(A B)) and margin = 0, the sign of S.
      bool clamp_passes = above_margin >= 0;
      if (above_margin == 0) {
        const double tie = (f.cos - margin) + f.cos_low;
        clamp_passes = tie != 0 ? tie > 0 : !(f.cos == 0 && margin == 0 && f.s_sign < 0);
      }
      sum_accumulator<T> c;  // dL/dcos
      for (std::int64_t j = first; j < last; ++j) {
        const double y = static_cast<double>(args.target[args.target_count == 1 ? 0 : j]);
        if (output) {
          // torch: where(y == 1, 1 - cos, 0) + where(y == -1, clamp_min(cos - margin, 0), 0)
          const double loss = y == 1 ? f.one_minus_cos : y == -1 ? std::max(above_margin, 0.0) : 0.0;
          if (none)
            output[j] = static_cast<T>(loss);
          else
            total.add(loss);
        }
        if (backward) {
          // where() passes no gradient (not even a NaN grad_output) to the unselected branch.
          if (y == 1)
            c.add(-upstream.at(j));
          else if (y == -1 && clamp_passes)
            c.add(upstream.at(j));
        }
      }
      if (!backward) continue;
      const double dcos = c.value();
      if (f.how == evaluation::fast && is_contiguous(row) && std::isfinite(dcos)) {
        const double factors[4] = {dcos, f.inv_root, f.a_factor, f.b_factor};
        simd::dispatch(row_lanes::gradient_kernel{}, row.a, row.b, dim, grad_input1 ? grad_input1 + r * dim : nullptr,
                       grad_input2 ? grad_input2 + r * dim : nullptr, factors);
        continue;
      }
      if (grad_input1)
        write_row_gradient(grad_input1 + r * args.columns1, row.a, args.columns1, row.b, args.columns2, dim, dcos, f,
                           true);
      if (grad_input2)
        write_row_gradient(grad_input2 + r * args.columns2, row.b, args.columns2, row.a, args.columns1, dim, dcos, f,
                           false);
    }
  };
  auto& total = totals[0].sum;
  run_chunks(parallel ? 2 : 1, rows);
  if (parallel) total.add(totals[1].sum.value());
  if (output && !none)
    output[0] = static_cast<T>(args.red == reduction::sum ? total.value() : total.value() / static_cast<double>(count));
}

template void cosine_embedding_loss_forward(const cosine_embedding_loss_args<float>&, float*);
template void cosine_embedding_loss_forward(const cosine_embedding_loss_args<double>&, double*);
template void cosine_embedding_loss_forward_backward(const cosine_embedding_loss_args<float>&, const float*, float*,
                                                     float*, float*);
template void cosine_embedding_loss_forward_backward(const cosine_embedding_loss_args<float>&, const float*, float*,
                                                     double*, double*);
template void cosine_embedding_loss_forward_backward(const cosine_embedding_loss_args<double>&, const double*, double*,
                                                     double*, double*);

namespace detail {

loss_result cosine_embedding_loss(const cosine_embedding_loss_problem& p, const context& ctx) {
  return with_case_type(ctx.type, [&]<class T>() {
    // 2-D inputs (R1, D1), (R2, D2) broadcast to the pair shape (R, D): rows are expanded here (each row's squared
    // norm is the same whichever pair it is in), columns are broadcast inside the kernel (they change the norms).
    const bool batched = p.pair_shape.size() == 2;
    const std::int64_t rows = batched ? p.pair_shape[0] : 1;
    auto expand_rows = [&](const tensor& t) {
      shape_t full = t.shape;
      if (batched) full[0] = rows;
      return std::pair{broadcast_values<T>(t, full), full};
    };
    const auto [input1, shape1] = expand_rows(*p.input1);
    const auto [input2, shape2] = expand_rows(*p.input2);
    const auto target = p.target->is_floating() ? typed_values<T>(*p.target) : typed_ints<T>(*p.target);
    const auto grad_output = grad_output_values<T>(ctx);
    const cosine_embedding_loss_args<T> args{input1.data(),
                                             shape1.back(),
                                             input2.data(),
                                             shape2.back(),
                                             rows,
                                             target.data(),
                                             static_cast<std::int64_t>(target.size()),
                                             p.margin,
                                             p.red};
    const auto out_shape = output_shape(problem{p});
    std::vector<T> output(static_cast<std::size_t>(checked_numel(out_shape)));
    std::vector<double> grad1(input1.size()), grad2(input2.size());
    cosine_embedding_loss_forward_backward(args, data_or_null(grad_output), output.data(), grad1.data(), grad2.data());
    loss_result r;
    r.output = result_tensor(ctx.type, out_shape, output);
    r.grads["input1"] = sum_to_shape<T>(ctx.type, grad1, shape1, p.input1->shape);
    r.grads["input2"] = sum_to_shape<T>(ctx.type, grad2, shape2, p.input2->shape);
    // autograd forms the gradient of x from 2 x * d(|x|^2) and the other input's products: a NaN element of an
    // input has a NaN gradient even when nothing reaches it (an empty batch broadcast against it: NaN * 0).
    for (const auto& [name, input] : {std::pair{"input1", p.input1}, std::pair{"input2", p.input2}}) {
      auto& grad = r.grads[name].values;
      for (std::size_t i = 0; i < grad.size(); ++i)
        if (std::isnan(input->values[i])) grad[i] = std::numeric_limits<double>::quiet_NaN();
    }
    return r;
  });
}

}  // namespace detail
}  // namespace losscheck::impl
