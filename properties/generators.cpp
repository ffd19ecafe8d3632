// Generators of cases. Every pick goes through RapidCheck (`*gen`) so that counterexamples shrink: a float shrinks
// towards its class's simplest value, a shape towards fewer elements, an option towards its default.

#include "losscheck/dtype_traits.h"
#include "generator_support.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <ostream>

#include "losscheck/error.h"
#include "losscheck/json.h"
#include "losscheck/problem.h"
#include "losscheck/rounded_case.h"
#include "loss_properties.h"

namespace losscheck {
void showValue(const loss_case& c, std::ostream& os) { os << to_json(c); }
}  // namespace losscheck

namespace losscheck::properties::detail {

using rc::gen::element;
using rc::gen::inRange;
using rc::gen::weightedElement;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool chance(int percent) { return pick(inRange(0, 100)) < percent; }

int min_normal_exponent(dtype t) { return dtype_traits(t).min_normal_exponent; }
int mantissa_bits(dtype t) { return dtype_traits(t).significand_digits - 1; }

/// sign · (1 + k/2^bits) · 2^e, exactly representable in `t` for e in the normal range.
double mantissa_times_power(dtype t, int e_lo, int e_hi, bool float32_exact) {
  const int bits = float32_exact ? 23 : mantissa_bits(t);
  const auto k = pick(inRange<std::int64_t>(0, std::int64_t{1} << std::min(bits, 30)));
  const double m = 1.0 + std::ldexp(static_cast<double>(k), -std::min(bits, 30));
  const double v = std::ldexp(m, pick(inRange(e_lo, e_hi + 1)));
  return pick(rc::gen::arbitrary<bool>()) ? -v : v;
}

enum class real_class { small_int, ordinary, wide, big_logit, huge, pos_zero, neg_zero, subnormal, half_tie, nan, pos_inf,
                        neg_inf };

/// RapidCheck's gen::exec replays recorded picks by position while shrinking, so a pick may return a value drawn by
/// another generator of the same type: every pick function re-establishes its own domain on what it returns.
double pick_real_raw(dtype t, const case_profile& p);
double pick_real(dtype t, const case_profile& p) {
  double v = pick_real_raw(t, p);
  if (!p.nonfinite && !std::isfinite(v)) v = 1.0;
  if (p.smooth) v = std::clamp(std::isfinite(v) ? v : 1.0, -8.0, 8.0);
  return v;
}

double pick_real_raw(dtype t, const case_profile& p) {
  // a half dtype draws its own values (mantissa_bits(t) bits, rounded to t); float32_exact changes nothing there
  const bool f32 = !is_half(t) && (p.float32_exact || t == dtype::float32);
  const dtype vt = f32 ? dtype::float32 : t;
  std::vector<std::pair<int, real_class>> classes;
  if (p.smooth) {
    classes = {{2, real_class::small_int}, {8, real_class::ordinary}};
  } else {
    classes = {{2, real_class::small_int}, {8, real_class::ordinary}, {2, real_class::wide},
               {p.extreme ? 3 : 1, real_class::big_logit}, {p.extreme ? 2 : 1, real_class::huge},
               {1, real_class::pos_zero}, {1, real_class::neg_zero}, {p.extreme ? 3 : 1, real_class::subnormal}};
    if (is_half(t)) classes.push_back({p.extreme ? 3 : 2, real_class::half_tie});
    if (p.nonfinite) classes.insert(classes.end(), {{1, real_class::nan}, {1, real_class::pos_inf}, {1, real_class::neg_inf}});
  }
  switch (pick_weighted(classes)) {
    case real_class::small_int: return static_cast<double>(pick(inRange(-4, 5)));
    case real_class::ordinary: return round_to(mantissa_times_power(t, p.smooth ? -3 : -6, p.smooth ? 1 : 6, f32), vt);
    case real_class::wide:  // float16: 2^-14..2^15 (its range), else 2^-60..2^60
      return t == dtype::float16 ? round_to(mantissa_times_power(t, -14, 15, f32), vt)
                                 : round_to(mantissa_times_power(t, -60, 60, f32), vt);
    case real_class::big_logit: return round_to(mantissa_times_power(t, 12, 14, f32), vt);  // |x| in [4096, 32768)
    case real_class::huge: {
      // float32 and bfloat16 (float32's range): 2^87..2^107, whose squares overflow float32 but not the double
      // scales of check/; float64: 2^200..2^250 (beyond that products such as cosine's (Σx1²)(Σx2²) overflow in
      // check/'s double scales, which then demand exact matches); float16: near its largest value 65504 (2^15 up to
      // 65504 itself, whose doubles, squares and exps overflow float16: the overflow boundary 65520).
      if (t == dtype::float16) {
        if (pick(inRange(0, 4)) == 0) return pick(rc::gen::arbitrary<bool>()) ? -65504.0 : 65504.0;
        return round_to(mantissa_times_power(t, 15, 15, f32), vt);
      }
      if (vt == dtype::float32 || t == dtype::bfloat16) return round_to(mantissa_times_power(t, 87, 107, f32), vt);
      return round_to(mantissa_times_power(t, 200, 250, f32), vt);
    }
    case real_class::half_tie: {
      // 2^-p·m·2^e with e ∈ [-1, 2] and small m: added to or subtracted from an ordinary value of the same binade
      // (1..8) the exact result falls on or next to a midpoint of the half dtype, where rounding ties to even
      const int digits = dtype_traits(t).significand_digits;
      const double v = std::ldexp(static_cast<double>(pick(inRange(1, 4))), -digits + pick(inRange(-1, 3)));
      return pick(rc::gen::arbitrary<bool>()) ? -v : v;
    }
    case real_class::pos_zero: return 0.0;
    case real_class::neg_zero: return -0.0;
    case real_class::subnormal: {
      const int lo = min_normal_exponent(vt) - mantissa_bits(vt), hi = min_normal_exponent(vt) - 1;
      const double v = std::ldexp(1.0, pick(inRange(lo, hi + 1))) * static_cast<double>(pick(inRange(1, 8)));
      return round_to(pick(rc::gen::arbitrary<bool>()) ? -v : v, vt);
    }
    case real_class::nan: return kNaN;
    case real_class::pos_inf: return kInf;
    case real_class::neg_inf: return -kInf;
  }
  return 0;
}

enum class prob_class { zero, one, half, uniform, near_zero, near_one, outside, nan };

double pick_probability_raw(dtype t, const case_profile& p);
double pick_probability(dtype t, const case_profile& p) {
  double v = pick_probability_raw(t, p);
  if (p.smooth) return std::isnan(v) ? 0.5 : std::clamp(v, 0.05, 0.95);
  if (!p.invalid && !(v >= 0 && v <= 1)) v = std::isnan(v) ? 0.5 : std::clamp(v, 0.0, 1.0);
  return v;
}

double pick_probability_raw(dtype t, const case_profile& p) {
  const dtype vt = (p.float32_exact || t == dtype::float32) ? dtype::float32 : t;
  const int bits = dtype_traits(vt).significand_digits;
  if (p.smooth) return round_to(0.05 + 0.9 * static_cast<double>(pick(inRange(0, 1 << 20))) / (1 << 20), vt);
  std::vector<std::pair<int, prob_class>> classes = {
      {2, prob_class::zero}, {2, prob_class::one}, {1, prob_class::half}, {10, prob_class::uniform},
      {p.extreme ? 4 : 2, prob_class::near_zero}, {p.extreme ? 4 : 2, prob_class::near_one}};
  if (p.invalid) classes.insert(classes.end(), {{2, prob_class::outside}, {1, prob_class::nan}});
  switch (pick_weighted(classes)) {
    case prob_class::zero: return 0.0;
    case prob_class::one: return 1.0;
    case prob_class::half: return 0.5;
    case prob_class::uniform: return std::ldexp(static_cast<double>(pick(inRange<std::int64_t>(0, std::int64_t{1} << 24))), -24);
    case prob_class::near_zero: {  // down to the subnormals of the dtype
      const int e = pick(inRange(1, -std::ilogb(dtype_traits(vt).min_subnormal) + 1));
      return round_to(std::ldexp(1.0, -e) * static_cast<double>(pick(inRange(1, 4))), vt);
    }
    case prob_class::near_one: return 1.0 - std::ldexp(static_cast<double>(pick(inRange(1, 5))), -bits);
    case prob_class::outside: return pick(element(-0.5, 1.5, -1e-30, 2.0));
    case prob_class::nan: return kNaN;
  }
  return 0;
}

double pick_unit_target(dtype t, const case_profile& p) {
  if (p.unit_targets || p.smooth) {
    case_profile q = p;
    q.invalid = false;
    const double v = pick(inRange(0, 2)) == 0 ? static_cast<double>(pick(inRange(0, 2))) : pick_probability(t, q);
    return std::clamp(std::isnan(v) ? 0.5 : v, 0.0, 1.0);
  }
  if (!p.unit_targets && !p.smooth && chance(8)) return pick(element(-1.0, 2.0, -0.25, 1.5));
  if (chance(50)) return static_cast<double>(pick(inRange(0, 2)));
  case_profile q = p;
  q.invalid = false;
  return pick_probability(t, q);
}

double pick_weight_raw(dtype t, const case_profile& p);
double pick_weight(dtype t, const case_profile& p) {
  double v = pick_weight_raw(t, p);
  if (!std::isfinite(v) || std::fabs(v) > 1e6) v = 1.0;
  return p.nonnegative_weights || p.smooth ? std::fabs(v) : v;
}

// Every pick shrinks toward the weight 1 (the weight that changes nothing), never toward 0: a counterexample shrunk
// to zero weights is degenerate (Σw = 0 makes torch's weighted mean 0/0 = NaN) and misleads the diagnosis. 10%
// zeros, 8% negative (unless smooth or nonnegative_weights), else m·2^e with m ∈ [1, 2) float32-exact, e ∈ [-3, 3].
double pick_weight_raw(dtype t, const case_profile& p) {
  const dtype vt = (p.float32_exact || t == dtype::float32) ? dtype::float32 : t;
  const int kind = pick(inRange(0, 100));  // 0 (the shrink target): an ordinary positive weight
  if (!p.smooth && kind >= 90) return 0.0;
  const bool negative = !p.smooth && !p.nonnegative_weights && kind >= 82;
  static constexpr int exponents[] = {0, -1, 1, -2, 2, -3, 3};  // index 0 (the shrink target): 2^0
  const int e = exponents[pick(inRange<std::size_t>(0, std::size(exponents)))];
  const auto k = pick(inRange<std::int64_t>(0, std::int64_t{1} << 23));  // 0 (the shrink target): m = 1
  const double v = round_to(std::ldexp(1.0 + std::ldexp(static_cast<double>(k), -23), e), vt);
  return negative ? -v : v;
}

std::int64_t numel_of(const shape_t& s) {
  std::int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

/// An elementwise shape: 0 to 3 dims (0-D only when unbatched is allowed), at most 24 elements, rarely empty.
shape_t pick_elementwise_shape(const case_profile& p) {
  const int dims = std::clamp(pick(weightedElement<int>({{p.unbatched ? 1 : 0, 0}, {4, 1}, {4, 2}, {1, 3}})), p.unbatched ? 0 : 1, 3);
  shape_t s;
  for (int d = 0; d < dims; ++d)
    s.push_back(std::clamp<std::int64_t>(pick(weightedElement<std::int64_t>({{1, 0}, {4, 1}, {4, 2}, {3, 3}, {2, 4}})), 0, 4));
  while (numel_of(s) > 24) s.back() = 1;
  return s;
}

/// A shape that broadcasts to `s`: trailing dims kept or set to 1, leading dims dropped.
shape_t pick_broadcast_of(const shape_t& s, const case_profile& p) {
  if (!p.broadcast || chance(60)) return s;
  shape_t b = s;
  const auto drop = pick(inRange<std::size_t>(0, s.size() + 1));
  b.erase(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(drop));
  for (auto& d : b)
    if (chance(40)) d = 1;
  return b;
}

void pick_reduction(loss_case& c, const case_profile& p, bool kl) {
  if (p.reduction) {
    c.options["reduction"] = *p.reduction;
    return;
  }
  std::vector<std::pair<int, std::string>> reds = {
      {3, "none"}, {3, "mean"}, {3, "sum"}, {1, "elementwise_mean"}, {1, ""}};
  if (kl) reds.push_back({3, "batchmean"});
  if (p.invalid) reds.push_back({1, "bogus"});
  const std::string r = pick_weighted(reds);
  if (!r.empty()) c.options["reduction"] = r;
  // only where torch's signature has the legacy flags (triplet_margin_with_distance_loss has none); the record check
  // comes before the draw, so the draws of the losses that have them are unchanged
  const loss_record* record = find_loss(c.loss);
  const bool has_legacy = record == nullptr || record->option("size_average") != nullptr;
  if (p.legacy && has_legacy && chance(17)) {
    const auto flag = [] { return pick(element<int>(0, 1, 2, 3)); };  // absent, null, true, false
    for (const char* name : {"size_average", "reduce"}) {
      switch (flag()) {
        case 0: break;
        case 1: c.options[name] = std::monostate{}; break;
        case 2: c.options[name] = true; break;
        default: c.options[name] = false;
      }
    }
  }
}

void add_grad_output(loss_case& c, const case_profile& p) {
  if (!p.grad_output || !chance(60)) return;
  try {
    const auto shape = output_shape(resolve_problem(c));
    case_profile q = p;
    q.nonfinite = false;
    q.extreme = false;
    q.smooth = true;
    c.grad_output = floats(c.type, shape, [&] { return chance(30) ? 1.0 : pick_real(c.type, q); });
  } catch (const loss_error&) {
    // an invalid case (p.invalid): it has no output shape, hence no grad_output; the rejection is what it tests
  }
}

void generate_class_index_case(loss_case& c, const case_profile& p) {
  const dtype t = c.type;
  const loss_record& record = record_of(c.loss);
  // probability targets and label smoothing where the record has them (cross_entropy)
  const bool probabilities = record.input("target")->role == input_role::class_index_or_probabilities;
  const bool smoothing = record.option("label_smoothing") != nullptr;
  const auto n = std::clamp<std::int64_t>(pick(weightedElement<int>({{1, 0}, {3, 1}, {6, 2}, {3, 3}, {2, 4}})), 0, 4);
  const std::int64_t batch = std::min<std::int64_t>(n, p.max_batch);
  const auto classes = std::clamp<std::int64_t>(pick(weightedElement<int>({{1, 1}, {3, 2}, {3, 3}, {2, 5}})), 1, 5);
  shape_t inner;
  if (p.kdim && chance(p.kdim_percent)) {
    inner.push_back(pick(inRange<std::int64_t>(1, 4)));
    if (chance(30)) inner.push_back(pick(inRange<std::int64_t>(1, 3)));
  }
  const bool unbatched = inner.empty() && p.unbatched && chance(15);
  shape_t in_shape = unbatched ? shape_t{classes} : shape_t{batch, classes};
  in_shape.insert(in_shape.end(), inner.begin(), inner.end());
  shape_t t_shape = unbatched ? shape_t{} : shape_t{batch};
  t_shape.insert(t_shape.end(), inner.begin(), inner.end());
  c.inputs["input"] = floats(t, in_shape, [&] { return pick_real(t, p); });

  const bool probability = probabilities && (p.targets == case_profile::target_kind::probability ||
                                  (p.targets == case_profile::target_kind::any && chance(30)));
  if (probability) {
    c.inputs["target"] = floats(t, in_shape, [&] {
      if (!p.unit_targets && !p.smooth && chance(5)) return pick_real(t, p);
      return pick_probability(t, p);
    });
    if (p.invalid && chance(15)) c.options["ignore_index"] = std::int64_t{pick(inRange(0, 3))};
    else if (p.ignore && chance(15)) c.options["ignore_index"] = std::int64_t{-1};
  } else {
    std::optional<std::int64_t> ignore;
    if (p.ignore && chance(50)) {
      ignore = pick(weightedElement<std::int64_t>({{2, -100}, {2, -1}, {4, pick(inRange<std::int64_t>(0, classes + 2))}, {1, 7}}));
      c.options["ignore_index"] = *ignore;
    } else if (p.ignore) {
      ignore = -100;
    }
    std::vector<std::int64_t> ts(static_cast<std::size_t>(numel_of(t_shape)));
    for (auto& y : ts) {
      int kind = pick(weightedElement<int>({{8, 0}, {ignore ? 3 : 0, 1}, {p.invalid ? 1 : 0, 2}}));
      if ((kind == 1 && !ignore) || (kind == 2 && !p.invalid) || kind < 0 || kind > 2) kind = 0;
      if (kind == 0) y = ((pick(inRange<std::int64_t>(0, classes)) % classes) + classes) % classes;
      else if (kind == 1) y = *ignore;
      else y = pick(rc::gen::elementOf(std::vector<std::int64_t>{classes, -1, 100}));
    }
    c.inputs["target"] = tensor::int64s(t_shape, std::move(ts));
  }
  if (p.weights && chance(35)) {
    const std::int64_t wn = p.invalid && chance(15) ? classes + 1 : classes;
    c.inputs["weight"] = floats(t, shape_t{wn}, [&] { return pick_weight(t, p); });
  }
  if (smoothing && p.smoothing && chance(35)) {
    std::vector<std::pair<int, double>> eps = {{4, 0.1}, {2, 0.25}, {2, 0.5}, {1, 1.0}, {1, 0.0}, {1, -0.1}};
    if (p.invalid) eps.push_back({1, 1.5});
    c.options["label_smoothing"] = pick_weighted(eps);
  }
}

void elementwise_invalid_shapes(loss_case& c, const case_profile& p) {
  if (p.invalid && chance(15)) {  // shapes that do not match (or broadcast)
    auto& target = c.inputs["target"];
    target = floats(c.type, shape_t{numel_of(target.shape) + 2}, [&] { return pick_unit_target(c.type, p); });
  }
}

}  // namespace losscheck::properties::detail

namespace losscheck::properties {

using namespace detail;

double round_to(double v, dtype type) { return losscheck::round_to(type, v); }

rc::Gen<double> gen_real(dtype type, const case_profile& p) {
  return rc::gen::exec([=] { return pick_real(type, p); });
}

rc::Gen<double> gen_probability(dtype type, const case_profile& p) {
  return rc::gen::exec([=] { return pick_probability(type, p); });
}

rc::Gen<loss_case> gen_case(std::string_view loss_name, dtype type, const case_profile& p) {
  const loss_record& record = record_of(loss_name);
  return rc::gen::exec([&record, type, p] {
    loss_case c;
    c.loss = std::string(record.name);
    c.type = type;
    case_profile q = p;
    q.legacy = p.legacy && record.option("size_average") != nullptr;  // huber_loss has no legacy flags
    pick_reduction(c, q, record.allows_batchmean);
    properties_of(record).generate(c, p);
    add_grad_output(c, p);
    if (is_half(type)) round_values_to_dtype(c);
    return c;
  });
}

void round_values_to_dtype(loss_case& c) {
  // the loss generators place some values with float32 arithmetic (a kink x = t ± delta, a probability 1 − 2^-24):
  // in a half case every value must be a value of the dtype (docs/format.md), so each is rounded once more. Rounding
  // is monotone: signs, order, [0, 1] and ±0 survive it.
  // (finite values beyond the dtype's range saturate at ±max: a non-finite value is an edge class the profile chooses)
  c = with_dtype_rounded(c, c.type);
}

double next_in_dtype(double v, double toward, dtype type) {
  if (type == dtype::float64) return std::nextafter(v, toward);
  if (type == dtype::float32) return static_cast<double>(std::nextafter(static_cast<float>(v), static_cast<float>(toward)));
  if (std::isnan(v) || std::isnan(toward) || v == toward || std::isinf(v)) return v;
  const float_traits& tr = dtype_traits(type);
  const bool up = toward > v;
  if (v == 0) return up ? tr.min_subnormal : -tr.min_subnormal;
  const int e = std::max(std::ilogb(v), tr.min_normal_exponent);
  double spacing = std::ldexp(1.0, e - (tr.significand_digits - 1));
  // towards zero from a power of two (a normal one): the binade below is twice as dense
  if ((up == (v < 0)) && std::fabs(v) == std::ldexp(1.0, e) && e > tr.min_normal_exponent) spacing /= 2;
  const double next = up ? v + spacing : v - spacing;
  return std::fabs(next) > tr.max_finite ? std::copysign(INFINITY, next) : next;
}

double round_long(long double v, dtype type) {
  switch (type) {
    case dtype::float32: return static_cast<double>(static_cast<float>(v));  // one rounding, not through double
    case dtype::float64: return static_cast<double>(v);
    default:
      // through double: a second rounding can move a value that lies within 2^-53 relative of a half midpoint by one
      // half ULP the wrong way, far inside every half bound's slack (the bound is at least 1 ULP)
      return losscheck::round_to(type, static_cast<double>(v));
  }
}

std::vector<std::string> edge_classes(const loss_case& c) {
  std::vector<std::string> out;
  bool nan = false, inf = false, negzero = false, sub = false, huge = false, zero = false, one = false;
  const double min_normal = dtype_traits(c.type).min_normal;
  // "huge": where the generators' huge class lies (float16: from 2^15, half its largest value 65504)
  const double big = c.type == dtype::float16 ? 0x1p15 : (c.type == dtype::float64 ? 0x1p900 : 0x1p100);
  for (const auto& [name, t] : c.inputs) {
    for (double v : t.values) {
      nan |= std::isnan(v);
      inf |= std::isinf(v);
      negzero |= v == 0 && std::signbit(v);
      zero |= v == 0;
      one |= v == 1;
      sub |= v != 0 && std::fabs(v) < min_normal;
      huge |= std::isfinite(v) && std::fabs(v) >= big;
    }
  }
  if (nan) out.push_back("NaN");
  if (inf) out.push_back("inf");
  if (negzero) out.push_back("-0");
  if (zero) out.push_back("0");
  if (one) out.push_back("1");
  if (sub) out.push_back("subnormal");
  if (huge) out.push_back("huge");
  out.push_back(std::string("dtype=") + std::string(to_string(c.type)));
  const auto red = c.options.find("reduction");
  out.push_back("reduction=" + (red == c.options.end() ? std::string("(default)") : std::get<std::string>(red->second)));
  if (c.options.count("size_average") || c.options.count("reduce")) out.push_back("legacy flags");
  if (c.grad_output) out.push_back("grad_output");
  const loss_record& record = record_of(c.loss);
  const tensor* in = c.input(std::string(record.main_input));
  if (in) {
    if (in->numel() == 0) out.push_back("empty");
    if (in->dim() >= 1 && in->shape[0] == 1) out.push_back("N=1");
    if (in->dim() == 0) out.push_back("0-D");
  }
  if (record.rowwise()) {
    if (in && in->dim() == 1) out.push_back("unbatched");
    if (in && in->dim() > 2) out.push_back("K-dim");
  }
  if (record.class_index_target()) {
    if (in && in->dim() >= 2 && in->shape[1] == 1) out.push_back("C=1");
    if (in && in->dim() >= 2 && in->shape[1] == 2) out.push_back("C=2");
  }
  if (const tensor* y = c.input("target"); y && y->type == dtype::int64 && record.class_index_target()) {
    std::int64_t ignore = -100;
    if (auto it = c.options.find("ignore_index"); it != c.options.end()) ignore = std::get<std::int64_t>(it->second);
    const std::int64_t classes = in && in->dim() >= 2 ? in->shape[1] : (in && in->dim() == 1 ? in->shape[0] : 1);  // 0-D: one class
    bool ignored = false, out_of_range = false;
    for (auto v : y->ints) {
      if (v == ignore) ignored = true;
      else if (v < 0 || v >= classes) out_of_range = true;
    }
    if (ignored) out.push_back("ignored target");
    if (out_of_range) out.push_back("target out of range");
    if (y->numel() > 0 && std::all_of(y->ints.begin(), y->ints.end(), [&](auto v) { return v == ignore; }))
      out.push_back("all ignored");
  }
  // class-index lists ended by -1 (multilabel_margin_loss): values outside [-1, C) are out of range
  if (const auto* spec = record.input("target"); spec && spec->role == input_role::class_index_list) {
    const tensor* y = c.input("target");
    const std::int64_t classes = in && in->dim() >= 1 ? in->shape.back() : 1;  // 0-D: one class
    if (y && y->type == dtype::int64 &&
        std::any_of(y->ints.begin(), y->ints.end(), [&](auto v) { return v < -1 || v >= classes; }))
      out.push_back("target out of range");
  }
  if (const auto* spec = record.input("target"); spec && spec->role == input_role::class_index_or_probabilities &&
                                                  c.input("target") && c.input("target")->is_floating())
    out.push_back("probability target");
  if (c.options.count("label_smoothing")) out.push_back("label smoothing");
  if (c.input("weight")) out.push_back("weight");
  if (c.input("pos_weight")) out.push_back("pos_weight");
  if (auto it = c.options.find("log_target"); it != c.options.end() && std::get<bool>(it->second)) out.push_back("log_target");
  return out;
}

}  // namespace losscheck::properties
