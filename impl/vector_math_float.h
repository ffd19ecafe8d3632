#pragma once
// Private to impl: 8-lane float vectors for the float32 fast paths, with an exp computed in float and a
// division-free log of float arguments computed in double lanes.
//
// As in vector_math.h, everything is always_inline (compiled with the instruction set of the kernel it is inlined
// into), uses no FMA, and impl is compiled with -ffp-contract=off: the AVX2 build (one 256-bit register per vector)
// and the generic SSE2 build (two 128-bit halves) perform the same IEEE operations in the same order and give
// bit-identical results. Table lookups are exact, however they are compiled (vpermps or scalar loads).
//
// Accuracy (tests/impl/vector_math_test.cpp measures them over millions of arguments against glibc's long double expl
// and logl, and asserts the bounds stated here):
//   exp_difference_f(x, m) = e^(x - m) for floats x <= m, x - m >= -104, in float: < 0.62 ULP (analysis below);
//                          subnormal results < 0.82 ULP of the subnormal spacing (rounded twice);
//                          exp_difference_parts_f: the same as head + tail floats, < 2^-26 relative in double
//                          (+ 2^-149 absolute below 2^-100).
//   log_float_lanes(x)     = log x for a positive normal double x, in double: relative error < 2^-47 when x is a
//                          float (24-bit significand: the reduction is exact), < 2^-46 for any double x;
//                          log_float_lanes<true>, the short form (degree 6): < 2^-30 relative.
//   log_minus_float_lanes_of(t, x) = log t - x for a float t > 0 and a double x, as hi + lo: < 2^-54.3 +
//                          2^-104 (|log t| + |x| + 0.04) absolute (tests/impl/kl_div_accuracy_test.cpp).

#include <cstdint>
#include <cstring>

#include "vector_math.h"

namespace losscheck::impl::simd {

/// Eight floats and eight 32-bit integers (also the masks of float comparisons).
typedef float vf8 __attribute__((vector_size(32)));
typedef std::int32_t vi8 __attribute__((vector_size(32)));
typedef float vf4 __attribute__((vector_size(16)));
constexpr int float_lanes = 8;

LOSSCHECK_INLINE vf8 splat_f(float v) { return broadcast<vf8>(v); }
LOSSCHECK_INLINE vi8 splat_i8(std::int32_t v) { return broadcast<vi8>(v); }
LOSSCHECK_INLINE vf8 as_float8(vi8 v) { return reinterpret<vf8>(v); }
LOSSCHECK_INLINE vi8 as_int8(vf8 v) { return reinterpret<vi8>(v); }
/// a > b ? a : b (and a < b ? a : b) lane-wise: b when either is NaN, exactly the maxps/minps instructions.
LOSSCHECK_INLINE vf8 max_f(vf8 a, vf8 b) { return a > b ? a : b; }
LOSSCHECK_INLINE vf8 min_f(vf8 a, vf8 b) { return a < b ? a : b; }
LOSSCHECK_INLINE vf8 load_f(const float* p) {
  vf8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
LOSSCHECK_INLINE void store_f(float* p, vf8 v) { std::memcpy(p, &v, sizeof v); }
/// The lanes [i, i + 8) of p below n, `fill` in the others.
LOSSCHECK_INLINE vf8 load_partial_f(const float* p, std::int64_t i, std::int64_t n, float fill) {
  vf8 v = splat_f(fill);
  for (int j = 0; j < float_lanes && i + j < n; ++j) v[j] = p[i + j];
  return v;
}
LOSSCHECK_INLINE void store_partial_f(float* p, std::int64_t i, std::int64_t n, vf8 v) {
  for (int j = 0; j < float_lanes && i + j < n; ++j) p[i + j] = v[j];
}
/// Lanes 0-3 and 4-7 as doubles (exact), and two double vectors rounded to floats (one rounding each). (Converted as
/// 8 lanes: GCC 12 compiles a 4-float to 4-double conversion into 128-bit pieces, but this into one vcvtps2pd each.)
LOSSCHECK_INLINE vd low_half(vf8 v) {
  const vd8 w = __builtin_convertvector(v, vd8);
  return __builtin_shufflevector(w, w, 0, 1, 2, 3);
}
LOSSCHECK_INLINE vd high_half(vf8 v) {
  const vd8 w = __builtin_convertvector(v, vd8);
  return __builtin_shufflevector(w, w, 4, 5, 6, 7);
}
LOSSCHECK_INLINE vf8 narrow(vd lo, vd hi) {
  const vf4 a = __builtin_convertvector(lo, vf4), b = __builtin_convertvector(hi, vf4);
  return __builtin_shufflevector(a, b, 0, 1, 2, 3, 4, 5, 6, 7);
}
/// Sixteen floats and sixteen 32-bit integers: the AVX-512 build's vectors (one 512-bit register; only used inside
/// functions compiled for AVX-512, isa.h's dispatch_wide).
typedef float vf16 __attribute__((vector_size(64)));
typedef std::int32_t vi16 __attribute__((vector_size(64)));
/// The integer vector of a float vector's lanes (comparison masks, exponent bits) and its lane count.
template <class VF>
struct float_vector;
template <>
struct float_vector<vf8> {
  using int_type = vi8;
  static constexpr int lanes = 8;
};
template <>
struct float_vector<vf16> {
  using int_type = vi16;
  static constexpr int lanes = 16;
};
template <class VF>
using int_vector = typename float_vector<VF>::int_type;

LOSSCHECK_INLINE vf16 splat_f16(float v) { return broadcast<vf16>(v); }
LOSSCHECK_INLINE vf16 load_f16(const float* p) {
  vf16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
LOSSCHECK_INLINE void store_f16(float* p, vf16 v) { std::memcpy(p, &v, sizeof v); }
/// Lanes 0-7 and 8-15.
LOSSCHECK_INLINE vf8 low_eight(vf16 v) { return __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7); }
LOSSCHECK_INLINE vf8 high_eight(vf16 v) { return __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15); }
LOSSCHECK_INLINE vi8 low_eight(vi16 v) { return __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7); }
LOSSCHECK_INLINE vi8 high_eight(vi16 v) { return __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15); }
/// Lanes 0-7 and 8-15 of 16 floats as doubles (exact), and eight doubles rounded to floats (one rounding each).
/// (Converted as 16 lanes: GCC 12 lowers an 8-float to 8-double conversion into 256-bit pieces, this into one
/// vcvtps2pd each.)
typedef double vd16 __attribute__((vector_size(128)));
LOSSCHECK_INLINE vd8 widen_low(vf16 v) {
  const vd16 w = __builtin_convertvector(v, vd16);
  return __builtin_shufflevector(w, w, 0, 1, 2, 3, 4, 5, 6, 7);
}
LOSSCHECK_INLINE vd8 widen_high(vf16 v) {
  const vd16 w = __builtin_convertvector(v, vd16);
  return __builtin_shufflevector(w, w, 8, 9, 10, 11, 12, 13, 14, 15);
}
/// Eight floats as eight doubles (exact; one vcvtps2pd: the upper half of the 16-lane conversion is left undefined).
LOSSCHECK_INLINE vd8 widen8(vf8 v) {
  const vd16 w =
      __builtin_convertvector(__builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7, -1, -1, -1, -1, -1, -1, -1, -1), vd16);
  return __builtin_shufflevector(w, w, 0, 1, 2, 3, 4, 5, 6, 7);
}
LOSSCHECK_INLINE vf16 narrow16(vd8 lo, vd8 hi) {
  const vd16 w = __builtin_shufflevector(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  return __builtin_convertvector(w, vf16);
}

LOSSCHECK_INLINE float horizontal_sum_f(vf8 v) {
  return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
}

// e^(x - m) for floats with -104 <= x - m <= 0 (finite; the caller guarantees it), in float:
//   d = x - m exactly as d_hi + d_lo (TwoSum),  n = round(d 8 / ln 2),  q = floor(n / 8),  j = n - 8 q,
//   r = (d_hi - n C_hi) + (d_lo - n C_lo),  |r| <= ln2 / 16 + 2^-20   (C_hi + C_lo = ln 2 / 8 to 2e-13; C_hi has 13
//     significant bits and |n| < 2^11, so n C_hi is exact and so is d_hi - n C_hi, by Sterbenz's lemma, for n != 0),
//   e^d = 2^q 2^(j/8) e^r,  e^r = 1 + p,  p = r + r^2 (1/2 + r/6 + r^2/24 + r^3/120)  (Taylor; remainder
//     r^6/720 < 2^-36 relative),  2^(j/8) = T_hi[j] + T_lo[j] (two floats, 2^-47 relative),
//   e^d = 2^q (T_hi + (T_hi p + T_lo)),  the scaling as 2^(q + 64) (exact) then 2^-64 (exact unless subnormal).
// Error, with v = T_hi (1 + p) + T_lo in [0.95, 1.92): the final addition rounds once (0.5 ULP); before it, r's
// rounding (|r| < 2^-4.5: 2^-29 absolute) and p's (2^-29), both scaled by T_hi < 1.84, and the roundings of T_hi p
// (< 0.082: 2^-28) and of + T_lo (2^-28): < 1.84 2^-28 + 2^-27 = 1.43e-8 absolute, 0.12 ULP of v in [1, 2) (v < 1 only
// for j = 0, where T_hi p and + T_lo are exact: 2^-28 = 0.06 ULP). In all < 0.62 ULP (measured 0.604). A subnormal
// result is rounded again at the 2^-64 scaling: < 0.5 + 0.62 / 2 = 0.81 of the subnormal spacing.
// normal_results: the caller guarantees x - m >= -87 (results >= e^-87 > FLT_MIN): 2^q is applied by adding q to the
// exponent bits (exact, the same value as the two multiplications).
/// e^(x - m) as an unevaluated sum head + tail (|tail| < 0.09 |head|), before the scaling by 2^q. VF is vf8 or vf16
/// (the AVX-512 build): the same operations lane by lane, so the same values.
template <class VF>
struct exp_parts_of {
  VF head, tail;
  int_vector<VF> q;
};
using exp_parts = exp_parts_of<vf8>;
template <class VF>
LOSSCHECK_INLINE exp_parts_of<VF> exp_difference_parts_unscaled(VF x, VF m) {
  using VI = int_vector<VF>;
  constexpr int width = float_vector<VF>::lanes;
  constexpr float inv_c = 0x1.715476p+3f;       // 8 / ln 2
  constexpr float c_hi = 0x1.62ep-4f;           // ln 2 / 8, 13 bits
  constexpr float c_lo = 0x1.0bfbe8p-18f;       // ln 2 / 8 - c_hi
  constexpr float shifter_f = 12582912.0f;      // 1.5 * 2^23: round to an integer
  constexpr float table_hi[8] = {0x1p+0f,        0x1.172b84p+0f, 0x1.306fep+0f,  0x1.4bfdaep+0f,
                                 0x1.6a09e6p+0f, 0x1.8ace54p+0f, 0x1.ae89fap+0f, 0x1.d5818ep+0f};
  constexpr float table_lo[8] = {0.0f,            -0x1.c15742p-27f, 0x1.4636e2p-25f, -0x1.593abcp-25f,
                                 0x1.9fcef4p-26f, 0x1.15506ep-27f,  -0x1.a94b14p-26f, -0x1.822dbcp-27f};
  VF t_hi, t_lo;  // 2^(j/8) = t_hi[j] + t_lo[j], repeated across the lanes (constants after inlining)
  for (int k = 0; k < width; ++k) {
    t_hi[k] = table_hi[k % 8];
    t_lo[k] = table_lo[k % 8];
  }
  const VF zero = {};
  const VF minus_m = -m;
  const VF d = x + minus_m;  // TwoSum: d + d_lo = x - m exactly
  const VF bb = d - x;
  const VF d_lo = (x - (d - bb)) + (minus_m - bb);
  const VF shifted = d * (zero + inv_c) + (zero + shifter_f);
  const VF n = shifted - (zero + shifter_f);
  const VI ni = reinterpret<VI>(shifted) - reinterpret<VI>(zero + shifter_f);  // n as an integer
  const VF r = (d - n * (zero + c_hi)) + (d_lo - n * (zero + c_lo));
  const VF r2 = r * r;
  const VF poly = (zero + 0.5f) + r * ((zero + 1.0f / 6) + r * ((zero + 1.0f / 24) + r * (zero + 1.0f / 120)));
  const VF p = r + r2 * poly;
  const VI j = ni & 7;
#if defined(__clang__)  // no variable-index __builtin_shuffle in clang (the fuzz build): lane by lane, the same values
  VF hi = {}, lo = {};
  for (int k = 0; k < width; ++k) {
    hi[k] = t_hi[j[k]];
    lo[k] = t_lo[j[k]];
  }
#else
  const VF hi = __builtin_shuffle(t_hi, j);
  const VF lo = __builtin_shuffle(t_lo, j);
#endif
  return {hi, hi * p + lo, ni >> 3};  // q = floor(n / 8), in [-150, 0]
}

template <bool normal_results = false, class VF>
LOSSCHECK_INLINE VF exp_difference_f(VF x, VF m) {
  using VI = int_vector<VF>;
  const exp_parts_of<VF> e = exp_difference_parts_unscaled(x, m);
  const VF v = e.head + e.tail;
  if constexpr (normal_results) return reinterpret<VF>(reinterpret<VI>(v) + (e.q << 23));
  const VF up = reinterpret<VF>((e.q + (127 + 64)) << 23);  // 2^(q + 64), q + 64 >= -86
  return (v * up) * (VF{} + 0x1p-64f);
}

// The same e^(x - m) without its final rounding: head + tail (two floats, scaled by 2^q each as above), to be added in
// double by the caller. Error: the roundings before the final addition only, < 1.43e-8 absolute for v in [0.95,
// 1.92), so |head + tail - e^(x - m)| < 2^-26 e^(x - m) for results >= 2^-100 (|tail| >= 2^-126 or its rounding
// is below 2^-150 absolute); smaller results may have a subnormal tail or head, each rounded to the subnormal
// spacing: < 2^-26 e^(x - m) + 2^-149 in all.
LOSSCHECK_INLINE void exp_difference_parts_f(vf8 x, vf8 m, vf8& head, vf8& tail) {
  const exp_parts e = exp_difference_parts_unscaled(x, m);
  const vf8 up = as_float8((e.q + splat_i8(127 + 64)) << 23);
  head = (e.head * up) * splat_f(0x1p-64f);
  tail = (e.tail * up) * splat_f(0x1p-64f);
}

/// The table of log_float_lanes: for m in sub-interval j of [0.7071, 1.4142), 1/c_j (29 significant bits) and
/// -log(1/c_j) rounded to double; c = 1 (invc = 1, logc = 0) for the sub-interval holding 1.
struct log_table_entry {
  double invc, logc;
};
inline constexpr log_table_entry log_table[16] = {
    {0x1.6236335p+0, -0x1.4c82b5d758e15p-2},   // m in [0.707107, 0.738357): r in [-0.02162, 0.02162]
    {0x1.5387e4ep+0, -0x1.212a24aea52f9p-2},   // [0.738357, 0.769607)
    {0x1.4604ba5p+0, -0x1.ef288ff626266p-3},   // [0.769607, 0.800857)
    {0x1.398a5a8p+0, -0x1.9f3bdef23f456p-3},   // [0.800857, 0.832107)
    {0x1.2dfb7dp+0, -0x1.524fc56a67a56p-3},    // [0.832107, 0.863357)
    {0x1.233f036p+0, -0x1.082c9a96aa342p-3},   // [0.863357, 0.894607)
    {0x1.193f425p+0, -0x1.814117b5a66e6p-4},   // [0.894607, 0.925857)
    {0x1.0fe96efp+0, -0x1.edfb484656d99p-5},   // [0.925857, 0.957107)
    {0x1.072d28bp+0, -0x1.c4f85054c89a6p-6},   // [0.957107, 0.988357): r in [-0.01606, 0.01606]
    {1.0, 0.0},                                // [0.988357, 1.039213): r in [-0.01164, 0.03921]
    {0x1.de4c315p-1, 0x1.16e70b56179bep-4},    // [1.039213, 1.101713): r in [-0.02919, 0.02919]
    {0x1.c3e98cbp-1, 0x1.ff548a828ebeep-4},    // [1.101713, 1.164213)
    {0x1.ac492f7p-1, 0x1.6da314b311ed2p-3},    // [1.164213, 1.226713)
    {0x1.9701d42p-1, 0x1.d600e46a7dc77p-3},    // [1.226713, 1.289213)
    {0x1.83be23ap-1, 0x1.1ca77673f67f9p-2},    // [1.289213, 1.351713)
    {0x1.7238342p-1, 0x1.4c028994f26e5p-2},    // [1.351713, 1.414213): r in [-0.02260, 0.02260]
};  // generated with mpmath (300 bits): invc = 1/c rounded to 29 bits, c the sub-interval's middle; logc = -log(invc)

/// log x as three doubles whose sum is log_float_lanes_of(x): k ln2_hi (exact), logc_j (the table's), and
/// log1p(r) + k ln2_lo (the small part, |tail| < 0.0394 + 2^-22).
template <class VD>
struct log_float_parts {
  VD k_ln2_hi, logc, tail;
};

// log x for a positive normal double x (finite; the caller guarantees it), in double lanes without a division:
//   x = 2^k m, m in [0.70709, 1.41418) (k from the bits of x - OFF),  j = 4 bits of m above OFF,
//   r = m invc_j - 1   (exact when x is a float: 24 + 29 bits; invc_j = 1 for the j holding 1, so r = m - 1 exact),
//   log x = k ln 2 + logc_j + log1p(r),  |r| < 0.0393,
//   log1p(r) = r - r^2/2 + r^3/3 - ... +- r^D/D   (Taylor of degree D = 11, or 6 for `short_form`; remainder
//   |r|^(D+1)/(D+1) < 2^-55 (D = 11) or 2^-30.8 (D = 6) relative to |r|, and for the j not holding 1, where |r| <
//   0.0292 and |log x| >= 0.0117, < 2^-33 relative to log x).
// Error (x a float, D = 11): each term is rounded once more or less (k ln 2 to 2^-54 relative, logc to 2^-53, the
// sum twice), and log x is not small unless j holds 1 (then log x = log1p(r), |log x| < 0.039 with 2^-52 relative
// error) or k = 0 and |log x| >= 0.0117: < 2^-47 relative in all. For a double x, r = m invc - 1 has a rounding of
// 2^-53 absolute, relative to |log x| >= 0.0117 (j not holding 1): < 2^-46. The short form: < 2^-30 relative (for
// sums of logs that do not cancel, rounded to float: 1/64 ULP).
template <bool short_form = false, class VD>
LOSSCHECK_INLINE log_float_parts<VD> log_float_parts_of(VD x) {
  using VI = typename double_vector<VD>::int_type;
  using VU = typename double_vector<VD>::uint_type;
  constexpr int width = sizeof(VD) / sizeof(double);
  constexpr std::int64_t off = 0x3fe6a09e00000000;  // 0.70710676908..., just below sqrt(2) / 2
  constexpr double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  const VD zero = {};  // zero + c: the constant c in every lane (c is never -0 here)
  const VI ix = reinterpret<VI>(x) - off;
  // k = ix >> 52 (arithmetic): AVX2 has no 64-bit arithmetic shift; ix + 2^62 is in [0, 2^64) for any double x.
  const VI k = (VI)(((VU)ix + (VU)(VI{} + (std::int64_t{1} << 62))) >> 52) - 1024;
  const VD m = reinterpret<VD>(reinterpret<VI>(x) - (k << 52));
  const VI j = (VI)(((VU)ix) >> 48) & 15;
  VD invc, logc;
#if !defined(__clang__)  // clang (the fuzz build) has no variable-index __builtin_shuffle: lane by lane below
  if constexpr (width == 8) {  // the 16 entries as two 8-lane vectors, picked by one two-source permute each
    VD invc_lo, invc_hi, logc_lo, logc_hi;
    for (int l = 0; l < 8; ++l) {
      invc_lo[l] = log_table[l].invc;
      invc_hi[l] = log_table[l + 8].invc;
      logc_lo[l] = log_table[l].logc;
      logc_hi[l] = log_table[l + 8].logc;
    }
    invc = __builtin_shuffle(invc_lo, invc_hi, j);
    logc = __builtin_shuffle(logc_lo, logc_hi, j);
  } else
#endif
  {
    for (int l = 0; l < width; ++l) {  // exact loads however they are compiled
      invc[l] = log_table[j[l]].invc;
      logc[l] = log_table[j[l]].logc;
    }
  }
  const VD r = m * invc - (zero + 1.0);
  const VD kd = reinterpret<VD>(k + reinterpret<VI>(zero + shifter)) - (zero + shifter);  // to_double
  const VD r2 = r * r;
  VD tail;  // (log1p(r) - r) / r^2
  if constexpr (short_form) {
    // -1/2 + r/3 - r^2/4 + r^3/5 - r^4/6
    const VD a01 = (zero - 1.0 / 2) + r * (zero + 1.0 / 3);
    const VD a23 = (zero - 1.0 / 4) + r * (zero + 1.0 / 5);
    tail = (a01 + r2 * a23) + (r2 * r2) * (zero - 1.0 / 6);
  } else {
    // coefficients of r^2 .. r^11 (Estrin)
    const VD r4 = r2 * r2, r8 = r4 * r4;
    const VD a01 = (zero - 1.0 / 2) + r * (zero + 1.0 / 3);
    const VD a23 = (zero - 1.0 / 4) + r * (zero + 1.0 / 5);
    const VD a45 = (zero - 1.0 / 6) + r * (zero + 1.0 / 7);
    const VD a67 = (zero - 1.0 / 8) + r * (zero + 1.0 / 9);
    const VD a89 = (zero - 1.0 / 10) + r * (zero + 1.0 / 11);
    const VD b03 = a01 + r2 * a23, b47 = a45 + r2 * a67;
    tail = (b03 + r4 * b47) + r8 * a89;
  }
  const VD log1p_r = r + r2 * tail;
  return {kd * (zero + ln2_hi), logc, log1p_r + kd * (zero + ln2_lo)};
}
template <bool short_form = false, class VD>
LOSSCHECK_INLINE VD log_float_lanes_of(VD x) {
  const log_float_parts<VD> p = log_float_parts_of<short_form>(x);
  return (p.k_ln2_hi + p.logc) + p.tail;
}

// log t - x for a float t > 0 (in a double lane) and a finite double x, as hi + lo (not normalized), from the parts
// above with the two large additions error-free (Knuth's TwoSum; k ln2_hi + logc_j and then - x):
//   (s, e) = TwoSum(k ln2_hi, logc_j),  (hi, f) = TwoSum(s, -x),  lo = (e + f) + tail.
// Error of hi + lo against log t - x (absolute; all of log t's digits are kept up to the subtraction, so there is no
// cancellation penalty where x is close to log t): the table's logc_j rounding < 2^-55.5 (|logc| < 0.35), tail's
// < 2^-53 |tail| (log1p's polynomial, its truncation 2^-55 |r| and the rounded sum, |tail| < 0.0394), the two
// roundings of lo < 2^-53 (|e| + |f| + |tail|) with |e| + |f| <= 2^-53 (|s| + |hi|): < 2^-54.3 + 2^-105 (|s| + |hi|)
// in all. fdlibm's log (< 1 ULP of log t, up to 2^-52 |log t|) then - x had an absolute error that grows with |log t|.
template <class VD>
LOSSCHECK_INLINE void log_minus_float_lanes_of(VD t, VD x, VD& hi, VD& lo) {
  const log_float_parts<VD> p = log_float_parts_of(t);
  const double_double_of<VD> s = two_sum(p.k_ln2_hi, p.logc);
  const double_double_of<VD> d = two_sum(s.hi, -x);
  hi = d.hi;
  lo = (s.lo + d.lo) + p.tail;
}
template <bool short_form = false>
LOSSCHECK_INLINE vd log_float_lanes(vd x) {
  return log_float_lanes_of<short_form>(x);
}

}  // namespace losscheck::impl::simd
