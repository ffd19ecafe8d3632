#pragma once
// Private to impl: double-double arithmetic (an unevaluated sum hi + lo of two doubles, about 106 significant bits)
// for the few quantities whose digits cancel in double: cosine_embedding_loss's 1 - cos and gradients of nearly
// parallel vectors, and its square root and quotients rounded once. The error-free transformations are Knuth's TwoSum
// and Dekker's TwoProduct (Veltkamp's split, so no FMA instruction is needed); valid for finite values below 2^996 in
// magnitude.

#include <cmath>

namespace losscheck::impl {

struct double_double {
  double hi = 0.0;
  double lo = 0.0;

  double value() const { return hi + lo; }
};

/// a + b exactly, as hi + lo.
inline double_double two_sum(double a, double b) {
  const double s = a + b;
  const double shifted = s - a;
  return {s, (a - (s - shifted)) + (b - shifted)};
}

/// a + b exactly when |a| >= |b| (or a = 0).
inline double_double quick_two_sum(double a, double b) {
  const double s = a + b;
  return {s, b - (s - a)};
}

/// a * b exactly, as hi + lo (Dekker).
inline double_double two_product(double a, double b) {
  constexpr double splitter = 134217729.0;  // 2^27 + 1
  auto split = [](double v) {
    const double c = splitter * v;
    const double high = c - (c - v);
    return double_double{high, v - high};
  };
  const double p = a * b;
  const auto sa = split(a);
  const auto sb = split(b);
  return {p, ((sa.hi * sb.hi - p) + sa.hi * sb.lo + sa.lo * sb.hi) + sa.lo * sb.lo};
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

inline double_double operator*(double_double a, double b) {
  auto p = two_product(a.hi, b);
  p.lo += a.lo * b;
  return quick_two_sum(p.hi, p.lo);
}

inline double_double operator*(double_double a, double_double b) {
  auto p = two_product(a.hi, b.hi);
  p.lo += a.hi * b.lo + a.lo * b.hi;
  return quick_two_sum(p.hi, p.lo);
}

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
