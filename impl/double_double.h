#pragma once
// Private to impl: double-double arithmetic (an unevaluated sum hi + lo of two doubles, about 106 significant bits)
// for the few quantities whose digits cancel in double: cosine_embedding_loss's 1 - cos and gradients of nearly
// parallel vectors, and its square root and quotients rounded once; kl_div's float64 log t - x. The error-free
// transformations are Knuth's TwoSum and Dekker's TwoProduct (Veltkamp's split, so no FMA instruction is needed);
// valid for finite values below 2^996 in magnitude.
//
// The error-free transformations are templates over V = double or a vector of doubles (vector_math.h's simd::vd,
// lane by lane), always_inline like vector_math.h, so the vector kernels (double_double_math.h,
// cosine_embedding_loss.cpp) and the scalar code perform the same operations; the arithmetic operators below are
// scalar.

#include <cmath>

#include "isa.h"

namespace losscheck::impl {

/// hi + lo: an unevaluated sum (of doubles, or of vectors of doubles lane by lane).
template <class V>
struct double_double_of {
  V hi{};
  V lo{};

  V value() const { return hi + lo; }
};
using double_double = double_double_of<double>;

/// a + b exactly, as hi + lo (Knuth's TwoSum).
template <class V>
LOSSCHECK_INLINE double_double_of<V> two_sum(V a, V b) {
  const V s = a + b;
  const V shifted = s - a;
  return {s, (a - (s - shifted)) + (b - shifted)};
}

/// a + b exactly when |a| >= |b| or a = 0 (Fast2Sum).
template <class V>
LOSSCHECK_INLINE double_double_of<V> quick_two_sum(V a, V b) {
  const V s = a + b;
  return {s, b - (s - a)};
}

/// v = hi + lo exactly with hi of 26 significant bits at most and lo of 27 (Veltkamp's split; |v| below 2^996).
template <class V>
LOSSCHECK_INLINE double_double_of<V> split(V v) {
  const V c = 134217729.0 * v;  // 2^27 + 1
  const V high = c - (c - v);
  return {high, v - high};
}

/// a * b exactly, as hi + lo, for a and b split already (as = split(a), bs = split(b): Dekker's TwoProduct; |a b|
/// below 2^996 and no underflow).
template <class V>
LOSSCHECK_INLINE double_double_of<V> two_product(V a, const double_double_of<V>& as, V b,
                                                 const double_double_of<V>& bs) {
  const V p = a * b;
  return {p, ((as.hi * bs.hi - p) + as.hi * bs.lo + as.lo * bs.hi) + as.lo * bs.lo};
}

/// a * b exactly, as hi + lo (Dekker's TwoProduct with Veltkamp's split).
template <class V>
LOSSCHECK_INLINE double_double_of<V> two_product(V a, V b) {
  return two_product(a, split(a), b, split(b));
}

/// a b for a double-double a and b, a.hi and b split beforehand (as = split(a.hi), bs = split(b)): double_double's
/// operator*, the splits of constant operands formed once by the caller.
template <class V>
LOSSCHECK_INLINE double_double_of<V> multiply(const double_double_of<V>& a, const double_double_of<V>& as, V b,
                                              const double_double_of<V>& bs) {
  auto p = two_product(a.hi, as, b, bs);
  p.lo = p.lo + a.lo * b;
  return quick_two_sum(p.hi, p.lo);
}

/// a b for double-doubles a and b, a.hi and b.hi split beforehand (as = split(a.hi), bs = split(b.hi)).
template <class V>
LOSSCHECK_INLINE double_double_of<V> multiply(const double_double_of<V>& a, const double_double_of<V>& as,
                                              const double_double_of<V>& b, const double_double_of<V>& bs) {
  auto p = two_product(a.hi, as, b.hi, bs);
  p.lo = p.lo + (a.hi * b.lo + a.lo * b.hi);
  return quick_two_sum(p.hi, p.lo);
}

/// a + b with the low parts added in double (Bailey's "sloppy" addition): an error of at most about 2^-105
/// (|a| + |b|), where operator+'s accurate addition keeps 2^-105 |a + b| at the cost of 9 more operations.
template <class V>
LOSSCHECK_INLINE double_double_of<V> sloppy_sum(const double_double_of<V>& a, const double_double_of<V>& b) {
  const auto s = two_sum(a.hi, b.hi);
  return quick_two_sum(s.hi, s.lo + (a.lo + b.lo));
}

inline double_double operator+(double_double a, double b) {
  auto s = two_sum(a.hi, b);
  s.lo += a.lo;
  return quick_two_sum(s.hi, s.lo);
}

inline double_double operator+(double_double a, double_double b) {
  auto s = two_sum(a.hi, b.hi);
  const auto t = two_sum(a.lo, b.lo);
  s.lo += t.hi;
  s = quick_two_sum(s.hi, s.lo);
  s.lo += t.lo;
  return quick_two_sum(s.hi, s.lo);
}

inline double_double operator-(double_double a) { return {-a.hi, -a.lo}; }
inline double_double operator-(double_double a, double_double b) { return a + -b; }

inline double_double operator*(double_double a, double b) { return multiply(a, split(a.hi), b, split(b)); }
inline double_double operator*(double_double a, double_double b) { return multiply(a, split(a.hi), b, split(b.hi)); }

/// a / b with a relative error of a few 2^-104: long division, three quotient digits (Bailey's QD library,
/// "accurate" division), each remainder formed exactly by TwoProduct. Valid for finite b != 0 below 2^996.
inline double_double operator/(double_double a, double_double b) {
  const double q1 = a.hi / b.hi;
  double_double r = a - b * q1;
  const double q2 = r.hi / b.hi;
  r = r - b * q2;
  const double q3 = r.hi / b.hi;
  return quick_two_sum(q1, q2) + q3;
}

/// sqrt(a) for a >= 0 with a relative error of a few 2^-104: one Newton step r + (a - r^2) / (2 r) from the double
/// root r (whose relative error 2^-53 the step squares), a - r^2 exact by TwoProduct.
inline double_double square_root(double_double a) {
  const double r = std::sqrt(a.hi);
  if (!(r > 0.0)) return {r, 0.0};
  const double_double residual = a - two_product(r, r);
  return quick_two_sum(r, residual.hi / (2.0 * r));
}

/// a * 2^e (exact unless a part leaves the normal range).
inline double_double scale_by_power_of_two(double_double a, int e) {
  return {std::ldexp(a.hi, e), std::ldexp(a.lo, e)};
}

}  // namespace losscheck::impl
