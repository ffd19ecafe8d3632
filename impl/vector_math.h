#pragma once
// Private to impl: 4-lane double vectors (GCC vector extensions) with exp, log and log1p for the fast paths of the
// kernels.
//
// Every function here is always_inline, so it is compiled with the instruction set of the kernel it is inlined into:
// the AVX2 build of simd::dispatch (isa.h) gets 256-bit AVX2 code, the generic build 2 x 128-bit SSE2 code. No
// function uses FMA and impl is compiled with -ffp-contract=off, so both builds perform the same IEEE operations in
// the same order and give bit-identical results; the AVX2 one is only faster.
//
// Accuracy (for finite arguments in the normal range; checked against long double libm over many values by
// tests/impl/vector_math_test.cpp, which asserts the bounds stated here):
//   exp_lanes    < 1 ULP   (Cody-Waite reduction with a 2-part ln 2 and the reduced argument's rounding error kept,
//                          Taylor polynomial of degree 13 on |r| <= ln2/2, its leading 1 + r kept exact)
//   log_lanes    < 1 ULP   (fdlibm's e_log.c: log(1 + f) = f - hfsq + s (hfsq + R(s^2)), R minimax of degree 14)
//   log1p_lanes  < 2 ULP   (u = 1 + z rounded, log1p(z) = log(u) + (z - (u - 1)) / u)
// Special values follow libm: exp(-inf) = 0, exp(+inf) = inf, log(0) = -inf, log(x < 0) = NaN, log(inf) = inf,
// NaN in NaN out; exp underflows gradually and overflows to inf as libm does.

#include <emmintrin.h>

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "double_double.h"
#include "isa.h"

namespace losscheck::impl::simd {

/// Four doubles, and four 64-bit integers (also the masks of comparisons: all ones for true).
typedef double vd __attribute__((vector_size(32)));
typedef std::int64_t vi __attribute__((vector_size(32)));
typedef std::uint64_t vu __attribute__((vector_size(32)));
typedef float vf __attribute__((vector_size(16)));
constexpr int lanes = 4;
/// Eight doubles and eight 64-bit integers: the AVX-512 build's double vectors (one 512-bit register; used only in
/// functions compiled for AVX-512, isa.h's dispatch_wide, where a kernel takes 8 elements per step).
typedef double vd8 __attribute__((vector_size(64)));
typedef std::int64_t vi8l __attribute__((vector_size(64)));
typedef std::uint64_t vu8l __attribute__((vector_size(64)));
/// The integer vectors of a double vector's lanes.
template <class VD>
struct double_vector;
template <>
struct double_vector<vd> {
  using int_type = vi;
  using uint_type = vu;
};
template <>
struct double_vector<vd8> {
  using int_type = vi8l;
  using uint_type = vu8l;
};

/// Every lane v (bit for bit, -0 and NaN payloads included). A 512-bit vector of a runtime v is formed as the
/// integer vector 0 + bits(v), reinterpreted: GCC 12 compiles a braced initializer `V{v, v, ...}` of a runtime v in these
/// helpers (functions without the kernel's instruction set, inlined into it) lane by lane — eight masked broadcasts
/// for eight doubles under AVX-512, a chain of inserts for floats under AVX2 — and a loop or a shuffle of lane 0 the
/// same way, while an integer addition of a scalar becomes vpbroadcastq/d. A kernel splatting its upstream gradient
/// at every step (mse_loss float32 forward+backward) ran 30-40 % slower for it. The integer form is used for the
/// 512-bit vectors only (they exist only in the AVX-512 build) and for runtime values: constants fold into vector
/// constants in the plain form, and the 256-bit vectors are also compiled for SSE2 (the generic build), where the
/// integer form is lowered piece by piece (it made that build's mse_loss 2x slower).
template <class V, class S>
LOSSCHECK_INLINE V broadcast(S v) {
  if (sizeof(V) < 64 || __builtin_constant_p(v)) {  // see above: the braced form for constants and 4/8-lane vectors
    V r;
    for (int i = 0; i < static_cast<int>(sizeof(V) / sizeof(S)); ++i) r[i] = v;
    return r;
  }
  using bits_type = std::conditional_t<sizeof(S) == 8, std::int64_t, std::int32_t>;
  typedef bits_type bits_vector __attribute__((vector_size(sizeof(V))));
  bits_type bits;
  std::memcpy(&bits, &v, sizeof bits);
  return (V)(bits_vector{} + bits);
}
LOSSCHECK_INLINE vd splat(double v) { return broadcast<vd>(v); }
LOSSCHECK_INLINE vd8 splat8(double v) { return broadcast<vd8>(v); }
/// Lanes 0-3 and 4-7 of eight.
LOSSCHECK_INLINE vd low4(vd8 v) { return __builtin_shufflevector(v, v, 0, 1, 2, 3); }
LOSSCHECK_INLINE vd high4(vd8 v) { return __builtin_shufflevector(v, v, 4, 5, 6, 7); }
LOSSCHECK_INLINE vi splat_int(std::int64_t v) { return broadcast<vi>(v); }
/// The bits of v as a vector of another type of the same size (doubles as 64-bit integers, floats as 32-bit ones).
template <class To, class From>
LOSSCHECK_INLINE To reinterpret(From v) {
  static_assert(sizeof(To) == sizeof(From));
  To r;
  std::memcpy(&r, &v, sizeof r);
  return r;
}
LOSSCHECK_INLINE vd as_double(vi v) { return reinterpret<vd>(v); }
LOSSCHECK_INLINE vi as_int(vd v) { return reinterpret<vi>(v); }
/// Lane-wise m ? a : b for a comparison mask m (vi for double lanes, vector_math_float.h's vi8 for float lanes).
template <class V, class Mask>
LOSSCHECK_INLINE V select(Mask m, V a, V b) {
  return reinterpret<V>((reinterpret<Mask>(a) & m) | (reinterpret<Mask>(b) & ~m));
}
/// select for a mask whose lanes are all ones or all zeros (a comparison's), as the vector conditional (which GCC compiles into a
/// blend, and into one masked move for 512-bit vectors, where the bitwise select above is lowered lane by lane).
template <class V, class Mask>
LOSSCHECK_INLINE V select_lanes(Mask m, V a, V b) {
  return m ? a : b;
}

template <class T>
LOSSCHECK_INLINE vd load(const T* p) {
  if constexpr (sizeof(T) == 4) {
    // converted as 8 lanes (GCC 12 compiles a 4-float to 4-double conversion into 128-bit pieces; this is one
    // vcvtps2pd): the same exact values either way
    typedef double vd8_ __attribute__((vector_size(64)));
    vf f;
    std::memcpy(&f, p, sizeof f);
    const vd8_ w = __builtin_convertvector(__builtin_shufflevector(f, f, 0, 1, 2, 3, 0, 1, 2, 3), vd8_);
    return __builtin_shufflevector(w, w, 0, 1, 2, 3);
  } else {
    vd d;
    std::memcpy(&d, p, sizeof d);
    return d;
  }
}
template <class T>
LOSSCHECK_INLINE void store(T* p, vd v) {
  if constexpr (sizeof(T) == 4) {
    const vf f = __builtin_convertvector(v, vf);
    std::memcpy(p, &f, sizeof f);
  } else {
    std::memcpy(p, &v, sizeof v);
  }
}
/// Eight values of p (float or double) as doubles, and eight doubles stored as T (floats: rounded once each). (The
/// float conversions go through 16 lanes whose upper half is left undefined (-1), which GCC 12 compiles into one
/// vcvtps2pd / vcvtpd2ps each, where it cuts an 8-lane one into 256-bit pieces; an upper half copied from the lower
/// one cost a vshuff32x4 more per conversion.)
template <class T>
LOSSCHECK_INLINE vd8 load8(const T* p) {
  if constexpr (sizeof(T) == 4) {
    typedef float vf8_ __attribute__((vector_size(32)));
    typedef double vd16_ __attribute__((vector_size(128)));
    vf8_ f;
    std::memcpy(&f, p, sizeof f);
    const vd16_ w = __builtin_convertvector(
        __builtin_shufflevector(f, f, 0, 1, 2, 3, 4, 5, 6, 7, -1, -1, -1, -1, -1, -1, -1, -1), vd16_);
    return __builtin_shufflevector(w, w, 0, 1, 2, 3, 4, 5, 6, 7);
  } else {
    vd8 d;
    std::memcpy(&d, p, sizeof d);
    return d;
  }
}
template <class T>
LOSSCHECK_INLINE void store8(T* p, vd8 v) {
  if constexpr (sizeof(T) == 4) {
    typedef float vf8_ __attribute__((vector_size(32)));
    typedef float vf16_ __attribute__((vector_size(64)));
    const vf16_ f = __builtin_convertvector(
        __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7, -1, -1, -1, -1, -1, -1, -1, -1), vf16_);
    const vf8_ h = __builtin_shufflevector(f, f, 0, 1, 2, 3, 4, 5, 6, 7);
    std::memcpy(p, &h, sizeof h);
  } else {
    std::memcpy(p, &v, sizeof v);
  }
}
/// load or load8, store or store8, by the vector type (for kernel bodies written once for 4 and 8 lanes).
template <class VD, class T>
LOSSCHECK_INLINE VD load_lanes(const T* p) {
  if constexpr (sizeof(VD) == 64) return load8(p);
  else return load(p);
}
template <class T, class VD>
LOSSCHECK_INLINE void store_lanes(T* p, VD v) {
  if constexpr (sizeof(VD) == 64) store8(p, v);
  else store(p, v);
}
/// Stores v at p bypassing the caches (a non-temporal store: no read of the line before it is written), for outputs
/// much larger than the caches. p must be aligned to 16 bytes (streamable()); follow with stream_fence().
template <class T>
LOSSCHECK_INLINE void store_stream(T* p, vd v) {
  if constexpr (sizeof(T) == 4) {
    _mm_stream_ps(reinterpret_cast<float*>(p), (__m128)__builtin_convertvector(v, vf));
  } else {
    _mm_stream_pd(reinterpret_cast<double*>(p), __m128d{v[0], v[1]});
    _mm_stream_pd(reinterpret_cast<double*>(p) + 2, __m128d{v[2], v[3]});
  }
}
/// store_stream of eight values (two or four 16-byte non-temporal stores, in address order).
template <class T>
LOSSCHECK_INLINE void store_stream8(T* p, vd8 v) {
  store_stream(p, low4(v));
  store_stream(p + 4, high4(v));
}
/// Whether an output of n values at p should be written with store_stream: larger than the last-level cache can hold
/// next to its inputs (16M bytes and more) and aligned for it.
template <class T>
inline bool streamable(const T* p, std::int64_t n) {
  return p && n * static_cast<std::int64_t>(sizeof(T)) >= (std::int64_t{1} << 24) &&
         reinterpret_cast<std::uintptr_t>(p) % 16 == 0;
}
/// Orders the non-temporal stores before anything written after (other threads then see them).
inline void stream_fence() { _mm_sfence(); }
/// How far ahead of the step prefetch_ahead asks for the input lines (bytes of each stream).
constexpr std::uintptr_t prefetch_distance = 2048;
/// Asks for the cache lines prefetch_distance bytes past element i of each input stream (into every cache level;
/// a null stream, an optional input that is absent, is skipped). Called by the elementwise fast paths once per step:
/// on the Intel machine of docs/performance.md ("Prefetch") the hardware prefetcher alone kept one core's streaming
/// kernels at 60-80 % of the memory bandwidth (mse_loss float32: 14 ms where 10 ms move its bytes). The address is
/// formed as an integer (no pointer arithmetic past the array); a prefetch never faults.
template <class... T>
LOSSCHECK_INLINE void prefetch_ahead(std::int64_t i, const T*... streams) {
  auto one = [i](const auto* p) __attribute__((always_inline)) {
    if (p)
      __builtin_prefetch(reinterpret_cast<const void*>(reinterpret_cast<std::uintptr_t>(p) +
                                                       static_cast<std::uintptr_t>(i) * sizeof(*p) +
                                                       prefetch_distance),
                         0, 3);
  };
  (one(streams), ...);
}
LOSSCHECK_INLINE double horizontal_sum(vd v) { return (v[0] + v[1]) + (v[2] + v[3]); }
LOSSCHECK_INLINE vd abs(vd v) { return as_double(as_int(v) & splat_int(0x7fffffffffffffff)); }
LOSSCHECK_INLINE vd8 abs(vd8 v) { return reinterpret<vd8>(reinterpret<vi8l>(v) & broadcast<vi8l>(0x7fffffffffffffff)); }
LOSSCHECK_INLINE vd max(vd a, vd b) { return select(a > b, a, b); }
LOSSCHECK_INLINE vd min(vd a, vd b) { return select(a < b, a, b); }

/// An integer-valued double k (|k| < 2^51) as a 64-bit integer, and back (the 1.5 * 2^52 shifter trick: AVX2 has no
/// double <-> int64 conversion).
constexpr double shifter = 6755399441055744.0;  // 1.5 * 2^52
template <class VD>
LOSSCHECK_INLINE typename double_vector<VD>::int_type to_int(VD k) {
  using VI = typename double_vector<VD>::int_type;
  return reinterpret<VI>(k + broadcast<VD>(shifter)) - reinterpret<VI>(broadcast<VD>(shifter));
}
LOSSCHECK_INLINE vd to_double(vi k) { return as_double(k + as_int(splat(shifter))) - splat(shifter); }
/// 2^k for integer lanes k in [-1022, 1023].
template <class VD = vd>
LOSSCHECK_INLINE VD power_of_two(typename double_vector<VD>::int_type k) {
  return reinterpret<VD>((k + broadcast<typename double_vector<VD>::int_type>(1023)) << 52);
}

/// e^r with r = xc - k ln 2, |r| <= ln 2 / 2, k = round(xc / ln 2) (returned), xc already clamped to [-746, 710]:
/// the common part of the exps below. With r = fl(r_hi + r_lo) and c its rounding error (r_hi = xc - k ln2_hi exact,
/// r_lo = -k ln2_lo), s = fl(1 + r) and d its rounding error (Fast2Sum):
///   e^(r + c) = s + (d + (r^2 / 2 + r^3 t(r)) + c s),   t(r) = sum_{j=0}^{10} r^j / (j + 3)!   (Estrin's scheme)
/// so only small terms are rounded before the final addition (error < 0.5 ULP + about 0.2 ULP).
/// VD is vd or vd8 (the AVX-512 build's 8 lanes): the same operations lane by lane, so the same values.
template <class VD>
LOSSCHECK_INLINE VD exp_reduced_of(VD xc, VD& k) {
  constexpr double log2e = 1.4426950408889634074;
  constexpr double ln2_hi = 6.93147180369123816490e-01;  // 0x3fe62e42fee00000
  constexpr double ln2_lo = 1.90821492927058770002e-10;  // ln 2 - ln2_hi
  auto c = [](double v) __attribute__((always_inline)) { return broadcast<VD>(v); };
  k = (xc * c(log2e) + c(shifter)) - c(shifter);  // round to nearest
  const VD r_hi = xc - k * c(ln2_hi);
  const VD r_lo = -(k * c(ln2_lo));
  const VD r = r_hi + r_lo;
  const VD cr = (r_hi - r) + r_lo;
  const VD r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
  const VD p01 = c(1.0 / 6) + r * c(1.0 / 24);
  const VD p23 = c(1.0 / 120) + r * c(1.0 / 720);
  const VD p45 = c(1.0 / 5040) + r * c(1.0 / 40320);
  const VD p67 = c(1.0 / 362880) + r * c(1.0 / 3628800);
  const VD p89 = c(1.0 / 39916800) + r * c(1.0 / 479001600);
  const VD q03 = p01 + r2 * p23, q47 = p45 + r2 * p67, q810 = p89 + r2 * c(1.0 / 6227020800.0);
  const VD t = (q03 + r4 * q47) + r8 * q810;
  const VD w = r2 * c(0.5) + (r2 * r) * t;
  const VD s = c(1.0) + r;
  const VD d = (c(1.0) - s) + r;
  return s + ((d + w) + cr * s);
}
LOSSCHECK_INLINE vd exp_reduced(vd xc, vd& k) { return exp_reduced_of(xc, k); }

// e^x = 2^k e^r with k = round(x / ln 2) and r = x - k ln2_hi - k ln2_lo, |r| <= ln 2 / 2 (ln2_hi has 32 trailing zero
// bits, so k ln2_hi and x - k ln2_hi are exact for |k| < 2^20); e^r as in exp_reduced (the Taylor remainder
// r^14 / 14! < 4.3e-18 < 2^-57 relative). 2^k is applied as 2^k1 2^k2 (k1 = floor(k / 2)), so results between the
// largest subnormal and DBL_MAX come from one final rounding; x is clamped to [-746, 710] (0 and inf beyond).
// VD is vd or vd8, as exp_reduced_of.
template <class VD>
LOSSCHECK_INLINE VD exp_lanes_of(VD x) {
  using VI = typename double_vector<VD>::int_type;
  using VU = typename double_vector<VD>::uint_type;
  auto c = [](double v) __attribute__((always_inline)) { return broadcast<VD>(v); };
  auto ci = [](std::int64_t v) __attribute__((always_inline)) { return broadcast<VI>(v); };
  const VI is_nan = x != x;
  const VD lower = select_lanes(x > c(-746.0), x, c(-746.0));  // max(x, -746): -746 for NaN (restored below)
  const VD xc = select_lanes(lower < c(710.0), lower, c(710.0));
  VD k;
  const VD p = exp_reduced_of(xc, k);
  const VI ki = to_int(k);
  // floor(k / 2) without an arithmetic shift (AVX2 has none for 64-bit lanes): k + 2048 >= 0.
  const VI k1 = (VI)((VU)(ki + ci(2048)) >> 1) - ci(1024);
  const VD result = (p * power_of_two<VD>(k1)) * power_of_two<VD>(ki - k1);
  return select_lanes(is_nan, x, result);
}
LOSSCHECK_INLINE vd exp_lanes(vd x) { return exp_lanes_of(x); }

/// e^x for finite x <= 0 (the max-shifted logits of a softmax), as exp_lanes (the same value) with a single scaling
/// by 2^k where every lane is above -708 (k >= -1022), and exp_lanes itself otherwise.
LOSSCHECK_INLINE vd exp_nonpositive_lanes(vd x) {
  const vi deep = x < splat(-708.0);
  if (__builtin_expect((deep[0] | deep[1] | deep[2] | deep[3]) != 0, 0)) return exp_lanes(x);
  vd k;
  const vd p = exp_reduced(x, k);
  return p * power_of_two(to_int(k));
}

// log x = k ln 2 + log(1 + f) with x = 2^k (1 + f), 1 + f in [sqrt(2)/2, sqrt(2)); with s = f / (2 + f),
// log(1 + f) = 2 atanh(s) = f - hfsq + s (hfsq + R),  hfsq = f^2 / 2,  R = s^2 Lg1 + ... + s^14 Lg7 (fdlibm e_log.c,
// whose minimax coefficients these are; error < 1 ULP). Subnormal x is scaled by 2^54 first. VD is vd or vd8 (the
// AVX-512 build's 8 lanes): the same operations lane by lane, so the same values.
template <class VD>
LOSSCHECK_INLINE VD log_lanes_of(VD x) {
  using VI = typename double_vector<VD>::int_type;
  using VU = typename double_vector<VD>::uint_type;
  constexpr double ln2_hi = 6.93147180369123816490e-01;
  constexpr double ln2_lo = 1.90821492927058770002e-10;
  constexpr double Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01, Lg3 = 2.857142874366239149e-01,
                   Lg4 = 2.222219843214978396e-01, Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01,
                   Lg7 = 1.479819860511658591e-01;
  const VD zero = {};  // zero + c: the constant c in every lane (c is never -0 here)
  const VI subnormal = x < zero + 2.2250738585072014e-308;
  const VD xs = select_lanes(subnormal, x * (zero + 18014398509481984.0), x);  // 2^54
  const VI bits = reinterpret<VI>(xs);
  VI e = (VI)((VU)bits >> 52) - 1023 - (subnormal & 54);
  VD m = reinterpret<VD>((bits & 0x000fffffffffffff) | 0x3ff0000000000000);  // [1, 2)
  const VI high = m > zero + 1.4142135623730951;
  m = select_lanes(high, m * (zero + 0.5), m);
  e = e - high;  // masks are -1
  const VD k = reinterpret<VD>(e + reinterpret<VI>(zero + shifter)) - (zero + shifter);  // to_double
  const VD f = m - (zero + 1.0);
  const VD s = f / ((zero + 2.0) + f);
  const VD z = s * s;
  const VD w = z * z;
  const VD t1 = w * ((zero + Lg2) + w * ((zero + Lg4) + w * (zero + Lg6)));
  const VD t2 = z * ((zero + Lg1) + w * ((zero + Lg3) + w * ((zero + Lg5) + w * (zero + Lg7))));
  const VD R = t2 + t1;
  const VD hfsq = (zero + 0.5) * f * f;
  const VD result = k * (zero + ln2_hi) - ((hfsq - (s * (hfsq + R) + k * (zero + ln2_lo))) - f);
  // x = 0: -inf; x < 0 or NaN: NaN; x = inf: inf.
  VD special = select_lanes(x == zero, zero - __builtin_inf(), zero + __builtin_nan(""));
  special = select_lanes(x == zero + __builtin_inf(), x, special);
  VI ordinary;  // 0 < x < inf
  if constexpr (sizeof(VD) == 64) {
    // the same test as one comparison of the bits (positive finite doubles are the integers in (0, 0x7ff0...0), so
    // bits - 1 is below 0x7fef...f unsigned): GCC 12 compiles the AND of two comparisons in a function without the
    // AVX-512 target (this one, inlined into the AVX-512 build) lane by lane, with scalar compares
    ordinary = (VI)((VU)(reinterpret<VI>(x) - 1) < 0x7fefffffffffffff);
  } else {
    ordinary = (x > zero) & (x < zero + __builtin_inf());
  }
  return select_lanes(ordinary, result, special);
}
LOSSCHECK_INLINE vd log_lanes(vd x) { return log_lanes_of(x); }

// log1p(z) = log(u) + (z - (u - 1)) / u with u = fl(1 + z): the second term restores the rounding error of 1 + z
// (u - 1 is exact), to first order log(1 + z) - log(u) = (1 + z - u) / u. z = -1 gives -inf, z < -1 NaN.
template <class VD>
LOSSCHECK_INLINE VD log1p_lanes_of(VD z) {
  using VI = typename double_vector<VD>::int_type;
  using VU = typename double_vector<VD>::uint_type;
  const VD one = VD{} + 1.0;
  const VD u = one + z;
  const VD correction = (z - (u - one)) / u;
  const VD log_u = log_lanes_of(u);
  const VD result = log_u + correction;
  // u = inf (z huge or inf) and u <= 0: log(u) already is the answer; NaN propagates through both terms.
  VI ordinary;  // 0 < u < inf (one comparison of the bits in the 512-bit build: see log_lanes_of)
  if constexpr (sizeof(VD) == 64) ordinary = (VI)((VU)(reinterpret<VI>(u) - 1) < 0x7fefffffffffffff);
  else ordinary = (u > VD{}) & (u < VD{} + __builtin_inf());
  return select_lanes(ordinary, result, log_u);
}
LOSSCHECK_INLINE vd log1p_lanes(vd z) { return log1p_lanes_of(z); }

/// Scalar forms through lane 0 (tails and single values with exactly the vector kernels' results).
LOSSCHECK_INLINE double exp1(double x) { return exp_lanes(splat(x))[0]; }
LOSSCHECK_INLINE double log1(double x) { return log_lanes(splat(x))[0]; }
LOSSCHECK_INLINE double log1p1(double x) { return log1p_lanes(splat(x))[0]; }

/// Loads the lanes [i, i + lanes) of p that are below n, and `fill` in the others (tails of loops).
template <class T>
LOSSCHECK_INLINE vd load_partial(const T* p, std::int64_t i, std::int64_t n, double fill) {
  vd v = splat(fill);
  for (int j = 0; j < lanes && i + j < n; ++j) v[j] = static_cast<double>(p[i + j]);
  return v;
}
template <class T>
LOSSCHECK_INLINE void store_partial(T* p, std::int64_t i, std::int64_t n, vd v) {
  for (int j = 0; j < lanes && i + j < n; ++j) p[i + j] = static_cast<T>(v[j]);
}

/// Compensated lane sums: the rounding error of every addition (Knuth's TwoSum, branch-free, 6 operations) is
/// accumulated per lane, as in Neumaier's sum; value() combines the lanes in a fixed order.
struct compensated_lanes {
  vd sum = splat(0.0);
  vd compensation = splat(0.0);
  LOSSCHECK_INLINE void add(vd x) {
    const auto s = two_sum(sum, x);
    compensation += s.lo;
    sum = s.hi;
  }
  LOSSCHECK_INLINE double value() const {
    double total = 0.0, error = 0.0;
    for (int j = 0; j < lanes; ++j) {
      const auto s = two_sum(total, sum[j]);
      error += s.lo + compensation[j];
      total = s.hi;
    }
    return total + error == total + error ? total + error : total;  // inf/NaN: the plain sum
  }
};

}  // namespace losscheck::impl::simd
