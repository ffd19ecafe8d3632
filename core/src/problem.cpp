#include "losscheck/problem.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "losscheck/error.h"
#include "resolve_support.h"

namespace losscheck {

// ---- options_reader ------------------------------------------------------------------------------------------

options_reader::options_reader(const loss_case& c, const loss_record& record) : c_(c), record_(record) {
  for (const auto& option : c.options) {
    const auto& name = option.first;  // not a structured binding: clang 14 cannot capture one in the lambda
    if (std::none_of(record.options.begin(), record.options.end(), [&](const auto& o) { return o.name == name; })) {
      std::vector<std::string_view> valid;
      for (const auto& o : record.options) valid.push_back(o.name);
      throw loss_error(fmt::format("{}: unknown option '{}' (valid options: {})", record.name, name,
                                   fmt::join(valid, ", ")));
    }
  }
}

const option_value* options_reader::find(const std::string& name) const {
  auto it = c_.options.find(name);
  return it == c_.options.end() ? nullptr : &it->second;
}

namespace {
std::string describe(const option_value& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) return "null";
        else if constexpr (std::is_same_v<T, bool>) return x ? "true" : "false";
        else if constexpr (std::is_same_v<T, std::string>) return fmt::format("the string \"{}\"", x);
        else return fmt::format("the number {}", x);
      },
      v);
}
}  // namespace

void options_reader::wrong_type(const std::string& name, std::string_view expected) const {
  throw loss_error(fmt::format("{}: option '{}' must be {}, got {}", record_.name, name, expected,
                               describe(*find(name))));
}

std::optional<bool> options_reader::optional_bool(const std::string& name) const {
  const auto* v = find(name);
  if (!v || std::holds_alternative<std::monostate>(*v)) return std::nullopt;
  if (const auto* b = std::get_if<bool>(v)) return *b;
  wrong_type(name, "true, false or null");
}

bool options_reader::boolean(const std::string& name, bool fallback) const {
  const auto* v = find(name);
  if (!v) return fallback;
  if (const auto* b = std::get_if<bool>(v)) return *b;
  wrong_type(name, "true or false");
}

namespace {
/// Throws the record's error when `d` (the value of option `name`, shown as `shown`) is outside its range.
void check_range(const loss_record& record, const std::string& name, double d, const std::string& shown) {
  const auto* spec = record.option(name);
  if (!spec) return;
  const auto& r = spec->range;
  const bool below = r.min_open ? !(d > r.min) : !(d >= r.min);
  const bool above = r.max_open ? !(d < r.max) : !(d <= r.max);
  if (!below && !above) return;
  if (!r.message.empty())
    throw loss_error(fmt::format("{}: {}", record.name, fmt::format(fmt::runtime(r.message), shown)));
  std::string rule;
  if (std::isfinite(r.min)) rule += fmt::format("{} {}", r.min_open ? ">" : ">=", r.min);
  if (std::isfinite(r.max)) rule += fmt::format("{}{} {}", rule.empty() ? "" : " and ", r.max_open ? "<" : "<=", r.max);
  throw loss_error(fmt::format("{}: option '{}' must be {}, got {}", record.name, name, rule, shown));
}
}  // namespace

std::int64_t options_reader::integer(const std::string& name, std::int64_t fallback) const {
  const auto* v = find(name);
  if (!v) return fallback;
  if (const auto* i = std::get_if<std::int64_t>(v)) {
    check_range(record_, name, static_cast<double>(*i), fmt::format("{}", *i));
    return *i;
  }
  wrong_type(name, "an integer");
}

double options_reader::number(const std::string& name, double fallback) const {
  const auto* v = find(name);
  if (!v) return fallback;
  double d = 0;
  if (const auto* x = std::get_if<double>(v)) d = *x;
  else if (const auto* i = std::get_if<std::int64_t>(v)) d = static_cast<double>(*i);
  else wrong_type(name, "a number");
  check_range(record_, name, d, fmt::format("{}", d));
  return d;
}

std::optional<std::string> options_reader::string(const std::string& name) const {
  const auto* v = find(name);
  const auto* spec = record_.option(name);
  const auto allowed = [&](std::string_view s) {
    return !spec || spec->choices.empty() || std::find(spec->choices.begin(), spec->choices.end(), s) != spec->choices.end();
  };
  if (!v || std::holds_alternative<std::monostate>(*v)) {
    if (v && !allowed("None")) wrong_type(name, "a string");
    return std::nullopt;
  }
  const auto* s = std::get_if<std::string>(v);
  if (!s) wrong_type(name, "a string");
  if (!allowed(*s))
    throw loss_error(fmt::format("{}: option '{}' must be one of {}, got \"{}\"", record_.name, name,
                                 fmt::join(spec->choices, ", "), *s));
  return *s;
}

bool options_reader::legacy_flag_given() const {
  return optional_bool("size_average").has_value() || optional_bool("reduce").has_value();
}

reduction options_reader::reduction_mode() const {
  const bool has_legacy = record_.option("size_average") != nullptr;
  if (has_legacy) {
    const auto size_average = optional_bool("size_average");
    const auto reduce = optional_bool("reduce");
    if (size_average || reduce) {
      if (!reduce.value_or(true)) return reduction::none;
      if (!size_average.value_or(true)) return reduction::sum;
      return reduction::mean;
    }
  }
  const auto* v = find("reduction");
  if (!v) return reduction::mean;
  const auto* s = std::get_if<std::string>(v);
  if (!s) wrong_type("reduction", "a string");
  if (*s == "none") return reduction::none;
  if (*s == "mean" || *s == "elementwise_mean") return reduction::mean;
  if (*s == "sum") return reduction::sum;
  if (*s == "batchmean" && record_.allows_batchmean) return reduction::batchmean;
  throw loss_error(fmt::format("{}: {} is not a valid value for reduction (valid: {})", record_.name, *s,
                               record_.allows_batchmean ? "none, mean, sum, batchmean" : "none, mean, sum"));
}

// ---- inputs_reader -------------------------------------------------------------------------------------------

inputs_reader::inputs_reader(const loss_case& c, const loss_record& record) : c_(c), record_(record) {
  for (const auto& input : c.inputs) {
    const auto& name = input.first;  // not a structured binding: clang 14 cannot capture one in the lambda
    if (std::none_of(record.inputs.begin(), record.inputs.end(), [&](const auto& i) { return i.name == name; })) {
      std::vector<std::string_view> valid;
      for (const auto& i : record.inputs) valid.push_back(i.name);
      throw loss_error(
          fmt::format("{}: unknown input '{}' (valid inputs: {})", record.name, name, fmt::join(valid, ", ")));
    }
  }
  for (const auto& i : record.inputs)
    if (i.required && !c.input(std::string(i.name)))
      throw loss_error(fmt::format("{}: missing required input '{}'", record.name, i.name));
}

const tensor* inputs_reader::floating(const std::string& name) const {
  const auto* t = c_.input(name);
  if (t && t->type != c_.type)
    throw loss_error(fmt::format("{}: {} must be a {} tensor (the case dtype), got {}", record_.name, name,
                                 to_string(c_.type), to_string(t->type)));
  return t;
}

const tensor* inputs_reader::any(const std::string& name) const { return c_.input(name); }

// ---- shared shape rules --------------------------------------------------------------------------------------

shape_t broadcast_or_throw(std::string_view loss, const shape_t& a, std::string_view a_name, const shape_t& b,
                           std::string_view b_name) {
  auto s = broadcast_shapes(a, b);
  if (!s)
    throw loss_error(fmt::format("{}: {} of shape {} and {} of shape {} do not broadcast", loss, a_name,
                                 format_shape(a), b_name, format_shape(b)));
  // Checked before anything is allocated: two small inputs ((N, 1) and (1, M)) can broadcast to an absurd size.
  if (const auto n = checked_numel(*s); n > max_broadcast_numel)
    throw loss_error(fmt::format("{}: {} of shape {} and {} of shape {} broadcast to {} ({} elements), more than "
                                 "losscheck evaluates ({})",
                                 loss, a_name, format_shape(a), b_name, format_shape(b), format_shape(*s), n,
                                 max_broadcast_numel));
  return *s;
}

/// A weight that must broadcast to `to` without enlarging it (torch applies it in place).
void check_weight_broadcasts_to(std::string_view loss, const tensor* w, std::string_view w_name, const shape_t& to) {
  if (!w) return;
  auto s = broadcast_shapes(to, w->shape);
  if (!s || *s != to)
    throw loss_error(fmt::format("{}: {} of shape {} must broadcast to the target's shape {}", loss, w_name,
                                 format_shape(w->shape), format_shape(to)));
}

void check_same_shape(std::string_view loss, const tensor& input, const tensor& target) {
  if (input.shape != target.shape)
    throw loss_error(fmt::format("{}: target size {} must be the same as input size {}", loss,
                                 format_shape(target.shape), format_shape(input.shape)));
}

/// `weight` must be 1-D of size C; torch's K-dimensional path (input of 3 or more dimensions, class-index targets,
/// no label smoothing) only checks that it has C elements, so `any_shape_with_c_elements` accepts (1, C) or (C, 1).
void check_class_weight(std::string_view loss, const tensor* weight, std::int64_t classes,
                        bool any_shape_with_c_elements) {
  if (weight && any_shape_with_c_elements && weight->numel() == classes) return;
  if (weight && (weight->dim() != 1 || weight->shape[0] != classes))
    throw loss_error(fmt::format(
        "{}: weight tensor should be defined either for all {} classes or no classes but got weight tensor of "
        "shape: {}",
        loss, classes, format_shape(weight->shape)));
}

/// nll_loss_nd's shape rules for class-index targets (LossNLL.cpp).
class_layout class_index_layout(std::string_view loss, const tensor& input, const tensor& target) {
  if (target.type != dtype::int64)
    throw loss_error(fmt::format("{}: class-index target must be an int64 tensor, got {} (a probability target "
                                 "must have the input's shape {}, got {})",
                                 loss, to_string(target.type), format_shape(input.shape),
                                 format_shape(target.shape)));
  class_layout l;
  if (input.dim() < 1)
    throw loss_error(fmt::format("{}: input must have 1 or more dimensions (got 0)", loss));
  if (input.dim() == 1) {
    // torch 1.13 silently reads only target[0] of a 1-D target here; losscheck requires the documented 0-D target.
    if (target.dim() != 0)
      throw loss_error(fmt::format("{}: an unbatched input of shape {} takes a 0-D target, got target of shape {}",
                                   loss, format_shape(input.shape), format_shape(target.shape)));
    l.unbatched = true;
    l.batch = 1;
    l.classes = input.shape[0];
    l.inner = 1;
    l.none_shape = {};
    return l;
  }
  l.batch = input.shape[0];
  l.classes = input.shape[1];
  shape_t expected{l.batch};
  expected.insert(expected.end(), input.shape.begin() + 2, input.shape.end());
  if (target.shape != expected)
    throw loss_error(fmt::format("{}: expected target of shape {} for input of shape {}, got {}", loss,
                                 format_shape(expected), format_shape(input.shape), format_shape(target.shape)));
  l.inner = 1;
  for (std::size_t i = 2; i < input.shape.size(); ++i) l.inner *= input.shape[i];
  l.none_shape = expected;
  return l;
}

// ---- generic resolution --------------------------------------------------------------------------------------

namespace {

using resolver = problem (*)(const resolve_context&);
/// One resolver per loss, in catalog order (the variant's order).
constexpr resolver resolvers[] = {
#define LOSSCHECK_X(name) [](const resolve_context& r) -> problem { return resolve_##name(r); },
    LOSSCHECK_FOR_EACH_LOSS(LOSSCHECK_X)
#undef LOSSCHECK_X
};
static_assert(std::size(resolvers) == std::variant_size_v<problem>);

}  // namespace

problem resolve_problem(const loss_case& c) {
  const auto& record = record_of(c.loss);
  if (c.type == dtype::int64)
    throw loss_error(fmt::format("{}: the case dtype must be a float dtype (float32, float64, bfloat16, float16), got int64", record.name));
  const options_reader o(c, record);
  const inputs_reader in(c, record);
  for (const auto& [name, t] : c.inputs)
    if (static_cast<std::int64_t>(t.is_floating() ? t.values.size() : t.ints.size()) != t.numel())
      throw loss_error(fmt::format("{}: {} has {} values for shape {} ({} expected)", record.name, name,
                                   t.is_floating() ? t.values.size() : t.ints.size(), format_shape(t.shape),
                                   t.numel()));
  problem p = resolvers[record.index](resolve_context{c, record, o, in});
  check_grad_output(c, output_shape(p));
  return p;
}

const loss_record& record_of(const problem& p) { return loss_catalog().at(p.index()); }

void check_names(const loss_case& c) {
  const auto& record = record_of(c.loss);
  const options_reader o(c, record);
  const inputs_reader in(c, record);
}

shape_t output_shape(const problem& p) {
  return std::visit([](const auto& q) -> shape_t { return q.red == reduction::none ? none_shape_of(q) : shape_t{}; },
                    p);
}

void check_grad_output(const loss_case& c, const shape_t& out_shape) {
  if (!c.grad_output) return;
  const auto& g = *c.grad_output;
  if (g.type != c.type)
    throw loss_error(fmt::format("{}: grad_output must be a {} tensor (the case dtype), got {}", c.loss,
                                 to_string(c.type), to_string(g.type)));
  if (g.shape != out_shape)
    throw loss_error(fmt::format("{}: grad_output has shape {} but the output has shape {}", c.loss,
                                 format_shape(g.shape), format_shape(out_shape)));
  if (static_cast<std::int64_t>(g.values.size()) != g.numel())
    throw loss_error(fmt::format("{}: grad_output has {} values for shape {}", c.loss, g.values.size(),
                                 format_shape(g.shape)));
}

}  // namespace losscheck
