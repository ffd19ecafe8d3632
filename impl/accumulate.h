#pragma once
// Private to impl: sums that stay within about one ULP of the exact value for well-conditioned inputs.
//
// Every kernel computes its terms in double whatever T is (float32 inputs are exact in double). A float32 result is
// then a double sum rounded once to float: plain double summation is enough, its n * 2^-53 relative error being far
// below float's 2^-24 for any realistic n. A float64 result needs a compensated sum.

#include <cmath>
#include <type_traits>

namespace losscheck::impl {

/// One step of Neumaier's compensated summation on a (sum, compensation) pair held by the caller.
inline void neumaier_add(double& sum, double& compensation, double x) {
  const double t = sum + x;
  if (std::fabs(sum) >= std::fabs(x))
    compensation += (sum - t) + x;
  else
    compensation += (x - t) + sum;
  sum = t;
}

/// The value of a (sum, compensation) pair: the running sum is inf or NaN exactly when the plain sum is; only a
/// finite sum is corrected.
inline double neumaier_value(double sum, double compensation) { return std::isfinite(sum) ? sum + compensation : sum; }

/// Plain summation in double (the accumulator of float32 results).
class double_sum {
 public:
  void add(double x) { sum_ += x; }
  double value() const { return sum_; }
  /// The sum without one of its terms x.
  double minus(double x) const { return sum_ - x; }

 private:
  double sum_ = 0.0;
};

/// Neumaier's compensated summation (Kahan's sum improved for terms larger than the running sum): the rounding error
/// of every addition is accumulated separately and added back at the end, so the result is within about one ULP of
/// the exact sum plus n * 2^-106 * sum |x|. Infinities and NaN propagate as in a plain sum.
class compensated_sum {
 public:
  void add(double x) { neumaier_add(sum_, compensation_, x); }
  double value() const { return neumaier_value(sum_, compensation_); }
  /// The sum without one of its terms x: (sum - x) + compensation, exact where x makes up most of the sum (the
  /// subtraction is then exact by Sterbenz's lemma), so no digits cancel.
  double minus(double x) const { return std::isfinite(sum_) ? (sum_ - x) + compensation_ : sum_ - x; }

 private:
  double sum_ = 0.0;
  double compensation_ = 0.0;
};

/// The accumulator for results of type T: double for float, compensated double for double.
template <class T>
using sum_accumulator = std::conditional_t<std::is_same_v<T, float>, double_sum, compensated_sum>;

/// A sum_accumulator alone on its cache line: the per-chunk sums of parallel.h's two threads (side by side in one line,
/// written at every element, they made 2 threads slower than 1: docs/performance.md "multi_margin_loss in lanes").
template <class T>
struct alignas(64) chunk_sum {
  sum_accumulator<T> sum;
};

/// a + b + c with a single final rounding in all but pathological cases (compensated).
inline double sum3(double a, double b, double c) {
  compensated_sum s;
  s.add(a);
  s.add(b);
  s.add(c);
  return s.value();
}

}  // namespace losscheck::impl
