#include "losscheck/problem.h"

#include <fmt/format.h>

#include <algorithm>

#include "losscheck/error.h"

namespace losscheck {

std::string_view to_string(reduction r) {
  switch (r) {
    case reduction::none: return "none";
    case reduction::mean: return "mean";
    case reduction::sum: return "sum";
    case reduction::batchmean: return "batchmean";
  }
  return "?";
}

namespace {

constexpr std::string_view reduction_doc =
    "'none' | 'mean' | 'sum' ('elementwise_mean' is the deprecated alias of 'mean')";

std::vector<option_spec> with_reduction(std::vector<option_spec> extra, std::string_view red_doc = reduction_doc) {
  std::vector<option_spec> out{
      {"reduction", option_kind::reduction, "'mean'", red_doc},
      {"size_average", option_kind::optional_bool, "None", "legacy: overrides reduction when given"},
      {"reduce", option_kind::optional_bool, "None", "legacy: overrides reduction when given"}};
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

const option_spec ignore_index_spec{"ignore_index", option_kind::integer, "-100",
                                    "target value that is skipped (any integer)"};

}  // namespace

const std::vector<loss_spec>& loss_catalog() {
  static const std::vector<loss_spec> catalog{
      {"mse_loss",
       "(input - target)^2; input and target broadcast",
       {{"input", true, "any shape"}, {"target", true, "broadcastable with input"}},
       with_reduction({}),
       {"input", "target"}},
      {"binary_cross_entropy",
       "-w [y max(log x, -100) + (1 - y) max(log(1 - x), -100)]",
       {{"input", true, "probabilities in [0, 1]"},
        {"target", true, "same shape as input (any values)"},
        {"weight", false, "broadcasts to the target's shape"}},
       with_reduction({}),
       {"input", "target"}},
      {"binary_cross_entropy_with_logits",
       "-w [p y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]",
       {{"input", true, "logits"},
        {"target", true, "same shape as input"},
        {"weight", false, "broadcasts to the target's shape"},
        {"pos_weight", false, "broadcasts to the target's shape (per class: last dimension)"}},
       with_reduction({}),
       {"input", "target"}},
      {"cross_entropy",
       "-w[y] log_softmax(x)[y], or -sum_c w_c t_c log_softmax(x)_c for probability targets",
       {{"input", true, "logits (C), (N, C) or (N, C, d1, ..., dk)"},
        {"target", true, "int64 class indices () / (N) / (N, d1..dk), or probabilities shaped like input"},
        {"weight", false, "(C) class weights"}},
       with_reduction({ignore_index_spec,
                       {"label_smoothing", option_kind::number, "0.0", "in [0, 1]; values < 0 act as 0"}}),
       {"input", "target (probabilities only)", "weight (probabilities only)"}},
      {"nll_loss",
       "-w[y] input[y]",
       {{"input", true, "log-probabilities (C), (N, C) or (N, C, d1, ..., dk)"},
        {"target", true, "int64 class indices () / (N) / (N, d1..dk)"},
        {"weight", false, "(C) class weights"}},
       with_reduction({ignore_index_spec}),
       {"input"}},
      {"kl_div",
       "target (log target - input), or exp(target) (target - input) with log_target",
       {{"input", true, "log-probabilities"}, {"target", true, "probabilities (or log-probabilities); broadcasts"}},
       with_reduction({{"log_target", option_kind::boolean, "False", "target is given as log-probabilities"}},
                      "'none' | 'mean' | 'sum' | 'batchmean' ('elementwise_mean' = 'mean')"),
       {"input", "target"}},
      {"cosine_embedding_loss",
       "1 - cos(x1, x2) for y = 1, max(0, cos(x1, x2) - margin) for y = -1, 0 otherwise",
       {{"input1", true, "(N, D) or (D)"},
        {"input2", true, "(N, D) or (D); broadcasts with input1"},
        {"target", true, "(N) or () values 1 / -1 (float or int64)"}},
       with_reduction({{"margin", option_kind::number, "0.0", "margin for y = -1"}}),
       {"input1", "input2"}},
  };
  return catalog;
}

const loss_spec* find_loss(std::string_view name) {
  for (const auto& spec : loss_catalog())
    if (spec.name == name) return &spec;
  return nullptr;
}

std::string loss_names() {
  std::vector<std::string_view> names;
  for (const auto& spec : loss_catalog()) names.push_back(spec.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

namespace {

/// Option reading with checks against the spec; messages name the loss and the option.
class options_reader {
 public:
  options_reader(const loss_case& c, const loss_spec& spec) : c_(c), spec_(spec) {
    for (const auto& option : c.options) {
      const auto& name = option.first;  // not a structured binding: clang 14 cannot capture one in the lambda
      if (std::none_of(spec.options.begin(), spec.options.end(), [&](const auto& o) { return o.name == name; })) {
        std::vector<std::string_view> valid;
        for (const auto& o : spec.options) valid.push_back(o.name);
        throw loss_error(fmt::format("{}: unknown option '{}' (valid options: {})", spec.name, name,
                                     fmt::join(valid, ", ")));
      }
    }
  }

  const option_value* find(const std::string& name) const {
    auto it = c_.options.find(name);
    return it == c_.options.end() ? nullptr : &it->second;
  }

  [[noreturn]] void wrong_type(const std::string& name, std::string_view expected) const {
    throw loss_error(fmt::format("{}: option '{}' must be {}, got {}", spec_.name, name, expected,
                                 describe(*find(name))));
  }

  static std::string describe(const option_value& v) {
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

  std::optional<bool> optional_bool(const std::string& name) const {
    const auto* v = find(name);
    if (!v || std::holds_alternative<std::monostate>(*v)) return std::nullopt;
    if (const auto* b = std::get_if<bool>(v)) return *b;
    wrong_type(name, "true, false or null");
  }

  bool boolean(const std::string& name, bool fallback) const {
    const auto* v = find(name);
    if (!v) return fallback;
    if (const auto* b = std::get_if<bool>(v)) return *b;
    wrong_type(name, "true or false");
  }

  std::int64_t integer(const std::string& name, std::int64_t fallback) const {
    const auto* v = find(name);
    if (!v) return fallback;
    if (const auto* i = std::get_if<std::int64_t>(v)) return *i;
    wrong_type(name, "an integer");
  }

  double number(const std::string& name, double fallback) const {
    const auto* v = find(name);
    if (!v) return fallback;
    if (const auto* d = std::get_if<double>(v)) return *d;
    if (const auto* i = std::get_if<std::int64_t>(v)) return static_cast<double>(*i);
    wrong_type(name, "a number");
  }

  /// torch.nn._reduction: legacy flags override `reduction`; a bad string is an error.
  reduction reduction_mode(bool allow_batchmean) const {
    const auto size_average = optional_bool("size_average");
    const auto reduce = optional_bool("reduce");
    if (size_average || reduce) {
      if (!reduce.value_or(true)) return reduction::none;
      if (!size_average.value_or(true)) return reduction::sum;
      return reduction::mean;
    }
    const auto* v = find("reduction");
    if (!v) return reduction::mean;
    const auto* s = std::get_if<std::string>(v);
    if (!s) wrong_type("reduction", "a string");
    if (*s == "none") return reduction::none;
    if (*s == "mean" || *s == "elementwise_mean") return reduction::mean;
    if (*s == "sum") return reduction::sum;
    if (*s == "batchmean" && allow_batchmean) return reduction::batchmean;
    throw loss_error(fmt::format("{}: {} is not a valid value for reduction (valid: {})", spec_.name, *s,
                                 allow_batchmean ? "none, mean, sum, batchmean" : "none, mean, sum"));
  }

 private:
  const loss_case& c_;
  const loss_spec& spec_;
};

/// Input lookup: unknown names are errors, required inputs must be present, dtypes must fit.
class inputs_reader {
 public:
  inputs_reader(const loss_case& c, const loss_spec& spec) : c_(c), spec_(spec) {
    for (const auto& input : c.inputs) {
      const auto& name = input.first;  // not a structured binding: clang 14 cannot capture one in the lambda
      if (std::none_of(spec.inputs.begin(), spec.inputs.end(), [&](const auto& i) { return i.name == name; })) {
        std::vector<std::string_view> valid;
        for (const auto& i : spec.inputs) valid.push_back(i.name);
        throw loss_error(
            fmt::format("{}: unknown input '{}' (valid inputs: {})", spec.name, name, fmt::join(valid, ", ")));
      }
    }
    for (const auto& i : spec.inputs)
      if (i.required && !c.input(std::string(i.name)))
        throw loss_error(fmt::format("{}: missing required input '{}'", spec.name, i.name));
  }

  /// A float input of the case dtype, or nullptr when optional and absent.
  const tensor* floating(const std::string& name) const {
    const auto* t = c_.input(name);
    if (t && t->type != c_.type)
      throw loss_error(fmt::format("{}: {} must be a {} tensor (the case dtype), got {}", spec_.name, name,
                                   to_string(c_.type), to_string(t->type)));
    return t;
  }
  const tensor* any(const std::string& name) const { return c_.input(name); }

 private:
  const loss_case& c_;
  const loss_spec& spec_;
};

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
                        bool any_shape_with_c_elements = false) {
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

problem resolve_mse(const loss_spec& spec, const options_reader& o, const inputs_reader& in) {
  const auto* input = in.floating("input");
  const auto* target = in.floating("target");
  auto shape = broadcast_or_throw(spec.name, input->shape, "input", target->shape, "target");
  return mse_loss_problem{input, target, shape, o.reduction_mode(false)};
}

problem resolve_bce(const loss_spec& spec, const options_reader& o, const inputs_reader& in) {
  const auto* input = in.floating("input");
  const auto* target = in.floating("target");
  const auto* weight = in.floating("weight");
  const auto red = o.reduction_mode(false);
  check_same_shape(spec.name, *input, *target);
  check_weight_broadcasts_to(spec.name, weight, "weight", target->shape);
  return binary_cross_entropy_problem{input, target, weight, red};
}

problem resolve_bce_logits(const loss_spec& spec, const options_reader& o, const inputs_reader& in) {
  const auto* input = in.floating("input");
  const auto* target = in.floating("target");
  const auto* weight = in.floating("weight");
  const auto* pos_weight = in.floating("pos_weight");
  const auto red = o.reduction_mode(false);
  check_same_shape(spec.name, *input, *target);
  check_weight_broadcasts_to(spec.name, weight, "weight", target->shape);
  check_weight_broadcasts_to(spec.name, pos_weight, "pos_weight", target->shape);
  return binary_cross_entropy_with_logits_problem{input, target, weight, pos_weight, red};
}

problem resolve_cross_entropy(const loss_spec& spec, const options_reader& o, const inputs_reader& in,
                              const loss_case& c) {
  const auto* input = in.floating("input");
  const auto* target = in.any("target");
  const auto* weight = in.floating("weight");
  const auto red = o.reduction_mode(false);
  const auto ignore_index = o.integer("ignore_index", -100);
  const auto label_smoothing = o.number("label_smoothing", 0.0);
  if (input->dim() < 1) throw loss_error("cross_entropy: input must have 1 or more dimensions (got 0)");
  if (label_smoothing > 1.0)
    throw loss_error(
        fmt::format("cross_entropy: label_smoothing must be between 0.0 and 1.0. Got: {}", label_smoothing));
  if (input->shape == target->shape) {
    // Probability targets (Loss.cpp cross_entropy_loss_prob_target).
    if (target->type != c.type)
      throw loss_error(fmt::format("cross_entropy: expected a floating point target of dtype {} for class "
                                   "probabilities (target has the input's shape), got {}",
                                   to_string(c.type), to_string(target->type)));
    if (ignore_index >= 0)
      throw loss_error(fmt::format(
          "cross_entropy: ignore_index is not supported for floating point target (got ignore_index={})",
          ignore_index));
    class_layout l;
    l.unbatched = input->dim() == 1;
    l.batch = l.unbatched ? 1 : input->shape[0];
    l.classes = l.unbatched ? input->shape[0] : input->shape[1];
    l.inner = 1;
    for (std::size_t i = 2; i < input->shape.size(); ++i) l.inner *= input->shape[i];
    if (!l.unbatched) {
      l.none_shape = {l.batch};
      l.none_shape.insert(l.none_shape.end(), input->shape.begin() + 2, input->shape.end());
    }
    check_class_weight(spec.name, weight, l.classes);
    return cross_entropy_problem{input, target, weight, l, red, ignore_index, label_smoothing, true};
  }
  auto l = class_index_layout(spec.name, *input, *target);
  check_class_weight(spec.name, weight, l.classes, input->dim() >= 3 && !(label_smoothing > 0.0));
  return cross_entropy_problem{input, target, weight, l, red, ignore_index, label_smoothing, false};
}

problem resolve_nll(const loss_spec& spec, const options_reader& o, const inputs_reader& in) {
  const auto* input = in.floating("input");
  const auto* target = in.any("target");
  const auto* weight = in.floating("weight");
  const auto red = o.reduction_mode(false);
  const auto ignore_index = o.integer("ignore_index", -100);
  auto l = class_index_layout(spec.name, *input, *target);
  check_class_weight(spec.name, weight, l.classes, input->dim() >= 3);
  return nll_loss_problem{input, target, weight, l, red, ignore_index};
}

problem resolve_kl_div(const loss_spec& spec, const options_reader& o, const inputs_reader& in) {
  const auto* input = in.floating("input");
  const auto* target = in.floating("target");
  const auto red = o.reduction_mode(true);
  const auto log_target = o.boolean("log_target", false);
  auto shape = broadcast_or_throw(spec.name, input->shape, "input", target->shape, "target");
  const std::int64_t batch = input->dim() == 0 ? 1 : input->shape[0];
  const auto* r = o.find("reduction");
  const bool legacy = o.optional_bool("size_average") || o.optional_bool("reduce");
  const bool legacy_batchmean = legacy && r && std::holds_alternative<std::string>(*r) &&
                                std::get<std::string>(*r) == "batchmean" && input->dim() != 0;
  return kl_div_problem{input, target, shape, red, log_target, batch, legacy_batchmean};
}

problem resolve_cosine(const loss_spec& spec, const options_reader& o, const inputs_reader& in,
                       const loss_case& c) {
  const auto* input1 = in.floating("input1");
  const auto* input2 = in.floating("input2");
  const auto* target = in.any("target");
  const auto red = o.reduction_mode(false);
  const auto margin = o.number("margin", 0.0);
  if (target->type != dtype::int64 && target->type != c.type)
    throw loss_error(fmt::format("cosine_embedding_loss: target must be int64 or {}, got {}", to_string(c.type),
                                 to_string(target->type)));
  if (target->dim() > 1)
    throw loss_error(fmt::format(
        "cosine_embedding_loss: 0D or 1D target tensor expected, multi-target not supported (got shape {})",
        format_shape(target->shape)));
  const auto want = target->dim() + 1;
  if (input1->dim() != want || input2->dim() != want)
    throw loss_error(fmt::format(
        "cosine_embedding_loss: {}D target tensor expects {}D input tensors, but found inputs with sizes {} and {}",
        target->dim(), want, format_shape(input1->shape), format_shape(input2->shape)));
  auto pair = broadcast_or_throw(spec.name, input1->shape, "input1", input2->shape, "input2");
  shape_t cos_shape;
  if (want == 2) {
    // |x1|^2 is summed per row of input1, |x2|^2 per row of input2: their rows broadcast against the pair's.
    cos_shape = {pair[0]};
  }
  auto none_shape = broadcast_or_throw(spec.name, target->shape, "target", cos_shape, "cos(input1, input2)");
  return cosine_embedding_loss_problem{input1, input2, target, pair, cos_shape, none_shape, margin, red};
}

}  // namespace

problem resolve_problem(const loss_case& c) {
  const auto* spec = find_loss(c.loss);
  if (!spec) throw loss_error(fmt::format("unknown loss '{}' (valid losses: {})", c.loss, loss_names()));
  if (c.type == dtype::int64)
    throw loss_error(fmt::format("{}: the case dtype must be float32 or float64, got int64", spec->name));
  const options_reader o(c, *spec);
  const inputs_reader in(c, *spec);
  for (const auto& [name, t] : c.inputs)
    if (static_cast<std::int64_t>(t.is_floating() ? t.values.size() : t.ints.size()) != t.numel())
      throw loss_error(fmt::format("{}: {} has {} values for shape {} ({} expected)", spec->name, name,
                                   t.is_floating() ? t.values.size() : t.ints.size(), format_shape(t.shape),
                                   t.numel()));
  problem p = [&]() -> problem {
    const auto& n = spec->name;
    if (n == "mse_loss") return resolve_mse(*spec, o, in);
    if (n == "binary_cross_entropy") return resolve_bce(*spec, o, in);
    if (n == "binary_cross_entropy_with_logits") return resolve_bce_logits(*spec, o, in);
    if (n == "cross_entropy") return resolve_cross_entropy(*spec, o, in, c);
    if (n == "nll_loss") return resolve_nll(*spec, o, in);
    if (n == "kl_div") return resolve_kl_div(*spec, o, in);
    return resolve_cosine(*spec, o, in, c);
  }();
  check_grad_output(c, output_shape(p));
  return p;
}

void check_names(const loss_case& c) {
  const auto* spec = find_loss(c.loss);
  if (!spec) throw loss_error(fmt::format("unknown loss '{}' (valid losses: {})", c.loss, loss_names()));
  const options_reader o(c, *spec);
  const inputs_reader in(c, *spec);
}

shape_t output_shape(const problem& p) {
  return std::visit(
      [](const auto& q) -> shape_t {
        using T = std::decay_t<decltype(q)>;
        if (q.red != reduction::none) return {};
        if constexpr (std::is_same_v<T, mse_loss_problem> || std::is_same_v<T, kl_div_problem>) return q.shape;
        else if constexpr (std::is_same_v<T, binary_cross_entropy_problem> ||
                           std::is_same_v<T, binary_cross_entropy_with_logits_problem>)
          return q.input->shape;
        else if constexpr (std::is_same_v<T, cosine_embedding_loss_problem>) return q.none_shape;
        else return q.layout.none_shape;
      },
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
