#pragma once
// Private to impl: the max-shifted log-sum-exp of a row and its softmax, in double, without lost digits.

#include <cmath>
#include <cstdint>

namespace losscheck::impl {

/// e^(a - b) without the error of the rounded difference: a - b = d + err exactly (TwoSum) and e^(d + err) =
/// e^d (1 + err) to within the last bit. (For float32 data a - b is nearly always exact in double, err = 0; for float64
/// logits far apart the plain form would be off by |a - b| 2^-53 relatively.)
inline double exp_difference(double a, double b) {
  const double d = a - b;
  const double e = std::exp(d);
  if (!std::isfinite(d)) return e;
  const double shifted = d - a;
  const double err = (a - (d - shifted)) + (-b - shifted);
  return e + e * err;
}

/// The max-shifted log-sum-exp of one row, gathered in a single sweep (the "online softmax" recurrence):
///   lse = max + log1p(rest),   rest = sum over c != argmax of e^(x_c - max).
/// The argmax term (e^0 = 1) is kept out of `rest` so that log1p keeps every digit when one class dominates: the
/// loss of the dominant class is then log1p(rest), not log(1 + rest) - 0 with 1 + rest rounded.
struct log_sum_exp_row {
  double max;
  double rest;

  /// log(sum e^(x_c - max)) = log1p(rest).
  double log_sum() const { return std::log1p(rest); }
  /// 1 - softmax(x) without cancellation, given e = e^(x - max): the sum of the other classes' probabilities,
  /// rest / (1 + rest) for a maximal x and (1 + (rest - e)) / (1 + rest) otherwise (rest holds e then).
  double complement(double x, double e) const { return (x == max ? rest : 1.0 + (rest - e)) / (1.0 + rest); }
};

/// Sweeps row x[0], x[stride], ..., x[(n-1) stride] once. Special values: a NaN anywhere makes `rest` NaN; a row of
/// -inf only gives max = -inf, so the caller's x - max is NaN as torch's is; +inf gives max = inf (callers make such
/// a row NaN, as torch's x - max does). An empty row gives max = -inf, rest = 0 (log of an empty sum: -inf).
template <class T>
log_sum_exp_row log_sum_exp_sweep(const T* x, std::int64_t n, std::int64_t stride) {
  if (n <= 0) return {-INFINITY, 0.0};
  double max = static_cast<double>(x[0]);
  double rest = 0.0;
  for (std::int64_t c = 1; c < n; ++c) {
    const double v = static_cast<double>(x[c * stride]);
    if (v > max) {
      rest = (rest + 1.0) * exp_difference(max, v);  // the old max joins the rest, all rescaled to the new max
      max = v;
    } else {
      rest += v == max ? 1.0 : exp_difference(v, max);  // v == max: also -inf == -inf (NaN later, as torch)
    }
  }
  return {max, rest};
}

}  // namespace losscheck::impl
