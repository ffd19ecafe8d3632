#pragma once
/// @file mp.h
/// Private to the reference: the multiprecision number type, the scoped working precision, exact conversions from
/// tensor values and correctly rounded conversions back, the incoming gradient of each element, broadcasting, and
/// the reductions every loss shares. Header-only (the reference's sources are one file per loss).

#include <mpfr.h>

#include <algorithm>
#include <boost/multiprecision/mpfr.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <string>
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

inline bool is_finite(const mp& x) { return mpfr_number_p(x.backend().data()) != 0; }
inline bool is_nan(const mp& x) { return mpfr_nan_p(x.backend().data()) != 0; }
inline mp nan_value() { return mp(std::numeric_limits<double>::quiet_NaN()); }

/// `x` rounded once, to nearest (ties to even), to `type`; float32 directly from the multiprecision value (not
/// through double, which could round twice). Subnormals, ±0, ±inf and NaN come out as IEEE has them.
/// bfloat16 and float16 likewise: x is scaled by the dtype's spacing around it, 2^(max(ilogb x, e_min) - p + 1)
/// (exact), rounded to an integer with ties to even (mpfr_rint, MPFR_RNDN) and scaled back; beyond the largest finite
/// value, ±inf (IEEE's overflow under rounding to nearest).
inline double round_to(const mp& x, dtype type) {
  if (type == dtype::float32) return static_cast<double>(mpfr_get_flt(x.backend().data(), MPFR_RNDN));
  if (type == dtype::float64 || !is_finite(x) || mpfr_zero_p(x.backend().data())) return mpfr_get_d(x.backend().data(), MPFR_RNDN);
  const int digits = type == dtype::bfloat16 ? 8 : 11;          // significand bits, the implicit one included
  const long min_exponent = type == dtype::bfloat16 ? -126 : -14;  // ilogb of the smallest normal number
  const double largest = type == dtype::bfloat16 ? 0x1.fep+127 : 65504.0;
  const long ilogb = mpfr_get_exp(x.backend().data()) - 1;  // MPFR: x = m·2^exp with 1/2 <= |m| < 1
  const long quantum = std::max(ilogb, min_exponent) - digits + 1;
  mp scaled = x;
  mpfr_mul_2si(scaled.backend().data(), x.backend().data(), -quantum, MPFR_RNDN);  // exact
  mpfr_rint(scaled.backend().data(), scaled.backend().data(), MPFR_RNDN);          // ties to even
  const double r = std::ldexp(mpfr_get_d(scaled.backend().data(), MPFR_RNDN), static_cast<int>(quantum));
  return std::fabs(r) > largest ? std::copysign(std::numeric_limits<double>::infinity(), r) : r;
}

/// The dtype a Python float option (margin, delta, beta, eps) is converted to before it meets the inputs: the case
/// dtype, except for the half dtypes, whose kernels compute in float32 (docs/tolerances.md "Half precision").
inline dtype scalar_dtype(dtype type) { return is_half(type) ? dtype::float32 : type; }

/// A tensor's values in working precision, not yet rounded.
struct mp_tensor {
  shape_t shape;
  mp_vector values;
  /// Values known to be exact (computed by exact operations on exact operands: exactness_probe), by index; empty or
  /// shorter: none known. An exact value is rounded as it is, even at a tie, without raising the precision.
  std::vector<bool> exact = {};
};

/// Whether the MPFR operations since construction (or since restart()) were all exact: MPFR's inexact flag, cleared
/// on construction. A value computed in that window from exact operands is exact. Reference evaluations run one at a
/// time (working_precision's lock), so the process-wide flag is theirs. Probes nest: on destruction the flag is set
/// again if it was set before the probe or by anything inside it, so an enclosing probe (evaluate_rounded's, around
/// the whole computation) still sees every inexact operation.
class exactness_probe {
 public:
  exactness_probe() : before_(mpfr_inexflag_p() != 0) { mpfr_clear_inexflag(); }
  ~exactness_probe() {
    if (before_ || seen_ || mpfr_inexflag_p() != 0) mpfr_set_inexflag();
  }
  exactness_probe(const exactness_probe&) = delete;
  exactness_probe& operator=(const exactness_probe&) = delete;
  void restart() {
    seen_ = seen_ || mpfr_inexflag_p() != 0;
    mpfr_clear_inexflag();
  }
  bool exact() const { return mpfr_inexflag_p() == 0; }

 private:
  bool before_;
  bool seen_ = false;
};

/// A loss's results in working precision: the output and the gradients by input name.
struct mp_result {
  mp_tensor output;
  std::map<std::string, mp_tensor> grads;
};

/// Σ v, starting from +0 as torch's sums do (the sum of nothing is 0).
inline mp sum(const mp_vector& v) {
  mp s = 0;
  for (const auto& x : v) s += x;
  return s;
}

/// Σ v / n: the mean of nothing is 0/0 = NaN, as torch's.
inline mp mean(const mp_vector& v) { return sum(v) / mp(static_cast<double>(v.size())); }

/// A 0-D result.
inline mp_tensor scalar(mp value) { return {{}, mp_vector{std::move(value)}}; }

/// The forward output: the `none` values with their `shape`, or their sum or mean as a 0-D value.
/// (kl_div's batchmean and the weighted means of nll_loss / cross_entropy are made by those losses.)
inline mp_tensor reduce(mp_vector none, const shape_t& shape, reduction red) {
  switch (red) {
    case reduction::none: return {shape, std::move(none)};
    case reduction::sum: return scalar(sum(none));
    default: return scalar(mean(none));
  }
}

/// How many of the working precision's last bits the rounding test below assumes may be wrong.
inline constexpr unsigned rounding_guard_bits = 32;
/// Precision is raised (by doubling) up to this many bits, then the last result is taken as it is.
inline constexpr unsigned max_escalated_bits = 4096;

/// True when every value within a relative distance 2^-(bits - rounding_guard_bits) of `v` rounds to the same value of
/// `type` as `v`, so that the working precision's error cannot change the rounding.
inline bool rounds_safely(const mp& v, dtype type, unsigned bits) {
  if (!is_finite(v) || v == 0) return true;
  const int trusted = std::max(8, static_cast<int>(bits) - static_cast<int>(rounding_guard_bits));
  const mp delta = ldexp(abs(v), -trusted);
  return round_to(v - delta, type) == round_to(v + delta, type);
}

/// Evaluates a loss: `compute()` (returning an mp_result) runs at ctx.precision_bits (the starting precision) and its
/// values are rounded once to ctx.out_type. When some value lies too close to a rounding boundary (a midpoint, usually
/// a short dyadic sum such as m - x with a term far below the working precision added, e.g. log1p(e^-800)), the whole
/// computation is repeated at twice the precision, up to max_escalated_bits (Ziv's strategy) — except for the values
/// `compute` marks exact (mp_tensor::exact): an exact tie rounds correctly as it is, and no precision would move it
/// (binary_cross_entropy's clamp 100·(1 − y) at x = 1 is a float32 midpoint for 1 in 128 targets y, and used to send
/// every case holding one to 4096 bits: docs/performance.md "The harness's own speed"); a value that is still
/// ambiguous there (an exact tie, or a term smaller still, e.g. e^-3000 next to 1) is rounded as it stands.
template <class Compute>
loss_result evaluate_rounded(const context& ctx, Compute&& compute) {
  for (unsigned bits = ctx.precision_bits;; bits *= 2) {
    const working_precision precision(bits);
    bool all_exact = false;
    mp_result r;
    {
      // no inexact MPFR operation in the whole computation: every value is the exact one (a loss of +, −, ×, ÷ on
      // inputs that happen to give exact results: mse_loss and l1_loss on short half or float32 values, their mean
      // over a power-of-two count), rounded as it is whatever ties it holds
      const exactness_probe whole;
      r = compute();
      all_exact = whole.exact();
    }
    if (all_exact) {
      r.output.exact.assign(r.output.values.size(), true);
      for (auto& [name, g] : r.grads) g.exact.assign(g.values.size(), true);
    }
    const auto safe = [&](const mp_tensor& t) {
      for (std::size_t i = 0; i < t.values.size(); ++i) {
        if (i < t.exact.size() && t.exact[i]) continue;  // exact: its rounding is right, a tie included
        if (!rounds_safely(t.values[i], ctx.out_type, bits)) return false;
      }
      return true;
    };
    bool all_safe = safe(r.output);
    for (const auto& [name, g] : r.grads) all_safe = all_safe && safe(g);
    if (!all_safe && bits * 2 <= max_escalated_bits) continue;
    const auto rounded = [&](const mp_tensor& t) {
      std::vector<double> out;
      out.reserve(t.values.size());
      for (const auto& v : t.values) out.push_back(round_to(v, ctx.out_type));
      return tensor::floats(ctx.out_type, t.shape, std::move(out));
    };
    loss_result out;
    out.output = rounded(r.output);
    for (const auto& [name, g] : r.grads) out.grads[name] = rounded(g);
    return out;
  }
}

/// The gradient reaching element i of the `none` output, divided by `denominator`: with grad_output g (ones when
/// absent), g[i] / denominator for `none` and g / denominator for a reduced output. cross_entropy passes its mean's
/// divisor here, as torch divides first; the losses whose gradients are rational pass 1 and apply it last (divided).
class upstream {
 public:
  upstream(const context& ctx, reduction red, const mp& denominator) {
    if (red == reduction::none && ctx.grad_output) {
      per_element_ = true;
      values_ = to_mp(*ctx.grad_output);
      if (denominator != 1)
        for (auto& v : values_) v /= denominator;
    } else {
      scalar_ = ctx.grad_output ? mp(ctx.grad_output->values.at(0)) : mp(1);
      scalar_ /= denominator;
    }
  }
  const mp& operator[](std::int64_t i) const { return per_element_ ? values_[static_cast<std::size_t>(i)] : scalar_; }

 private:
  bool per_element_ = false;
  mp_vector values_;
  mp scalar_;
};

/// `v` with every value divided by `d`, the divisor of a plain reduction (n for mean). Losses whose gradients are
/// rational in the inputs apply it this way, last, as one correctly rounded division: (2 (x - t) g) / n rather than
/// 2 (x - t) (g / n), so that a gradient that is exactly a midpoint of the output dtype is computed exactly and rounds
/// to even. For a finite nonzero d the NaN / inf pattern is the one of dividing g first, as torch does; d = 0 means
/// there were no elements, so every gradient is an empty sum, 0, and is left alone.
inline mp_vector divided(mp_vector v, const mp& d) {
  if (d != 1 && d != 0)
    for (auto& x : v) x /= d;
  return v;
}

/// The divisor of a plain reduction over `n` elements: n for mean, 1 otherwise.
inline mp plain_denominator(reduction red, std::int64_t n) {
  return red == reduction::mean ? mp(static_cast<double>(n)) : mp(1);
}

/// std::max(a, b) as C++ and ATen's clamps evaluate it: (a < b) ? b : a, so a NaN `a` stays NaN.
inline mp max_of(const mp& a, const mp& b) { return a < b ? b : a; }

}  // namespace losscheck::reference::detail
