#pragma once
/// @file mp.h
/// Private to the reference: the multiprecision number type, the scoped working precision, exact conversions from
/// tensor values and correctly rounded conversions back, the incoming gradient of each element, broadcasting, and
/// the reductions every loss shares. Header-only (the reference's sources are one file per loss).

#include <mpfr.h>

#include <boost/multiprecision/mpfr.hpp>
#include <cstdint>
#include <limits>
#include <mutex>
#include <vector>

#include "losscheck/problem.h"
#include "losscheck/tensor.h"
#include "losses.h"

namespace losscheck::reference::detail {

/// A multiprecision binary float (MPFR). A value takes the default precision in force when it is constructed;
/// `working_precision` sets it for one evaluation. MPFR's exponent range (about 2^±2^30) makes overflow and underflow
/// irrelevant for anything computed from float64 inputs except exp of huge arguments.
using mp = boost::multiprecision::mpfr_float;
using mp_vector = std::vector<mp>;

/// Boost 1.74 counts mpfr_float's default precision in decimal digits and converts them to bits with
/// digits10_2_2 (d * 1000 / 301 + 1 or 2). This is the smallest digit count that gives at least `bits` bits.
inline unsigned digits10_for_bits(unsigned bits) {
  unsigned d = bits * 301u / 1000u;
  if (d < 1) d = 1;  // 0 would mean "the default"
  while (boost::multiprecision::detail::digits10_2_2(d) < bits) ++d;
  return d;
}

/// Sets the working precision to at least `bits` bits for the lifetime of the guard (256 bits becomes 257: Boost 1.74
/// sets precision in decimal digits). Boost keeps that default in one process-wide variable, so the guard also holds
/// a process-wide lock: reference evaluations on different threads run one at a time.
class working_precision {
 public:
  explicit working_precision(unsigned bits) : lock_(mutex()), saved_(mp::default_precision()) {
    mp::default_precision(digits10_for_bits(bits));
  }
  ~working_precision() { mp::default_precision(saved_); }
  working_precision(const working_precision&) = delete;
  working_precision& operator=(const working_precision&) = delete;

 private:
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  std::lock_guard<std::mutex> lock_;
  unsigned saved_;
};

/// A float tensor's values, exactly (inputs are doubles; the working precision is at least 53 bits in practice).
inline mp_vector to_mp(const tensor& t) {
  mp_vector v;
  v.reserve(t.values.size());
  for (double x : t.values) v.emplace_back(x);
  return v;
}

/// The values of `t` broadcast to `shape` (torch's expand), in row-major order of `shape`.
inline mp_vector expand_to(const tensor& t, const shape_t& shape) {
  if (t.shape == shape) return to_mp(t);
  const auto n = checked_numel(shape);
  mp_vector v;
  v.reserve(static_cast<std::size_t>(n));
  broadcast_walker w(t.shape, shape);
  for (std::int64_t i = 0; i < n; ++i, w.next()) v.emplace_back(t.values[static_cast<std::size_t>(w.offset())]);
  return v;
}

/// Sums a gradient over the broadcast shape `from` back to the shape `to` of the input that was broadcast (torch's
/// sum_to). The sums start from +0, as torch's do.
inline mp_vector sum_to(mp_vector grad, const shape_t& from, const shape_t& to) {
  if (from == to) return grad;
  mp_vector out(static_cast<std::size_t>(checked_numel(to)), mp(0));
  broadcast_walker w(to, from);
  for (const auto& g : grad) {
    out[static_cast<std::size_t>(w.offset())] += g;
    w.next();
  }
  return out;
}

/// `x` rounded once, to nearest (ties to even), to `type`; float32 directly from the multiprecision value (not
/// through double, which could round twice). Subnormals, ±0, ±inf and NaN come out as IEEE has them.
inline double round_to(const mp& x, dtype type) {
  if (type == dtype::float32) return static_cast<double>(mpfr_get_flt(x.backend().data(), MPFR_RNDN));
  return mpfr_get_d(x.backend().data(), MPFR_RNDN);
}

/// A tensor of `type` holding `values` rounded by round_to.
inline tensor to_tensor(dtype type, shape_t shape, const mp_vector& values) {
  std::vector<double> out;
  out.reserve(values.size());
  for (const auto& v : values) out.push_back(round_to(v, type));
  return tensor::floats(type, std::move(shape), std::move(out));
}

/// A 0-D tensor of `type` holding `value` rounded by round_to.
inline tensor scalar_tensor(dtype type, const mp& value) { return tensor::floats(type, {}, {round_to(value, type)}); }

/// Σ v, starting from +0 as torch's sums do (the sum of nothing is 0).
inline mp sum(const mp_vector& v) {
  mp s = 0;
  for (const auto& x : v) s += x;
  return s;
}

/// Σ v / n: the mean of nothing is 0/0 = NaN, as torch's.
inline mp mean(const mp_vector& v) { return sum(v) / mp(static_cast<double>(v.size())); }

/// The forward output: the `none` values as a tensor of `shape`, or their sum or mean as a 0-D tensor.
/// (kl_div's batchmean and the weighted means of nll_loss / cross_entropy are made by those losses.)
inline tensor reduce_output(const mp_vector& none, const shape_t& shape, reduction red, dtype type) {
  switch (red) {
    case reduction::none: return to_tensor(type, shape, none);
    case reduction::sum: return scalar_tensor(type, sum(none));
    default: return scalar_tensor(type, mean(none));
  }
}

/// The gradient reaching element i of the `none` output. With grad_output g (ones when absent): g[i] for `none`;
/// for a reduced output g / denominator, the reduction's divisor (1 for sum, numel for mean, the batch size for
/// kl_div's batchmean, Σ w[y] for the weighted mean of nll_loss).
class upstream {
 public:
  upstream(const context& ctx, reduction red, const mp& denominator) {
    if (red == reduction::none && ctx.grad_output) {
      per_element_ = true;
      values_ = to_mp(*ctx.grad_output);
    } else if (red == reduction::none) {
      scalar_ = 1;
    } else {
      scalar_ = ctx.grad_output ? mp(ctx.grad_output->values.at(0)) : mp(1);
      scalar_ /= denominator;
    }
  }
  const mp& operator[](std::int64_t i) const {
    return per_element_ ? values_[static_cast<std::size_t>(i)] : scalar_;
  }

 private:
  bool per_element_ = false;
  mp_vector values_;
  mp scalar_;
};

/// The divisor of a plain reduction over `n` elements: n for mean, 1 otherwise.
inline mp plain_denominator(reduction red, std::int64_t n) {
  return red == reduction::mean ? mp(static_cast<double>(n)) : mp(1);
}

inline bool is_finite(const mp& x) { return mpfr_number_p(x.backend().data()) != 0; }
inline bool is_nan(const mp& x) { return mpfr_nan_p(x.backend().data()) != 0; }
inline mp nan_value() { return mp(std::numeric_limits<double>::quiet_NaN()); }

/// std::max(a, b) as C++ and ATen's clamps evaluate it: (a < b) ? b : a, so a NaN `a` stays NaN.
inline mp max_of(const mp& a, const mp& b) { return a < b ? b : a; }

/// e^z / (1 + e^z), the logistic function; accurate (to working precision, relatively) for z <= 0.
inline mp sigmoid_nonpositive(const mp& z) {
  mp e = exp(z);
  return e / (1 + e);
}

}  // namespace losscheck::reference::detail
