#include "losscheck/loss_record.h"

#include <fmt/format.h>

#include <algorithm>

#include "losscheck/error.h"
#include "losscheck/loss_list.h"
#include "resolve_support.h"

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

const input_spec* loss_record::input(std::string_view input_name) const {
  for (const auto& i : inputs)
    if (i.name == input_name) return &i;
  return nullptr;
}

const option_spec* loss_record::option(std::string_view option_name) const {
  for (const auto& o : options)
    if (o.name == option_name) return &o;
  return nullptr;
}

bool loss_record::class_index_target() const {
  return std::any_of(inputs.begin(), inputs.end(), [](const input_spec& i) {
    return i.role == input_role::class_index || i.role == input_role::class_index_or_probabilities;
  });
}

bool loss_record::has(generic_property p) const {
  return std::find(properties.begin(), properties.end(), p) != properties.end();
}

std::vector<std::string> loss_record::differentiable(const loss_case& c) const {
  // A probability target is a float tensor shaped like the main input (Loss.cpp cross_entropy).
  bool probability_target = false;
  for (const auto& spec : inputs)
    if (spec.role == input_role::class_index_or_probabilities) {
      const tensor* t = c.input(std::string(spec.name));
      const tensor* in = c.input(std::string(main_input));
      probability_target = t && in && t->is_floating() && t->shape == in->shape;
    }
  std::vector<std::string> out;
  for (const auto& spec : inputs) {
    const bool present = c.input(std::string(spec.name)) != nullptr;
    if (spec.grad == grad_rule::always && (spec.required || present)) out.emplace_back(spec.name);
    if (spec.grad == grad_rule::with_probability_target && probability_target && present) out.emplace_back(spec.name);
    if (spec.grad == grad_rule::when_floating && present && c.input(std::string(spec.name))->is_floating())
      out.emplace_back(spec.name);
  }
  return out;
}

namespace {
std::vector<loss_record> make_catalog() {
  std::vector<loss_record> all;
#define LOSSCHECK_X(name) all.push_back(name##_record());
  LOSSCHECK_FOR_EACH_LOSS(LOSSCHECK_X)
#undef LOSSCHECK_X
  for (std::size_t i = 0; i < all.size(); ++i) all[i].index = i;
  return all;
}
}  // namespace

const std::vector<loss_record>& loss_catalog() {
  static const std::vector<loss_record> catalog = make_catalog();
  return catalog;
}

const loss_record* find_loss(std::string_view name) {
  for (const auto& record : loss_catalog())
    if (record.name == name) return &record;
  return nullptr;
}

const loss_record& record_of(std::string_view name) {
  if (const auto* r = find_loss(name)) return *r;
  throw loss_error(fmt::format("unknown loss '{}' (valid losses: {})", name, loss_names()));
}

std::string loss_names() {
  std::vector<std::string_view> names;
  for (const auto& record : loss_catalog()) names.push_back(record.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

std::vector<generic_property> standard_properties(bool nonnegative, bool class_index) {
  using g = generic_property;
  std::vector<generic_property> out;
  out.reserve(14);
  for (const g p : {g::agrees_with_the_reference, g::accurate_at_the_extremes, g::nan_inputs_propagate,
                    g::sum_is_sum_of_none, g::mean_is_mean_of_none, g::legacy_flags,
                    g::backward_linear_in_grad_output, g::finite_differences, g::batch_permutation,
                    g::unbatched_is_batch_of_one})
    out.push_back(p);
  if (nonnegative) out.push_back(g::nonnegative);
  out.push_back(g::float32_within_float64);
  out.push_back(g::rejection_parity);
  if (class_index) out.push_back(g::ignore_index_and_kdim);
  return out;
}

std::vector<option_spec> with_reduction_options(std::vector<option_spec> extra, std::string_view reduction_doc) {
  if (reduction_doc.empty()) reduction_doc = "'none' | 'mean' | 'sum' ('elementwise_mean' is the deprecated alias of 'mean')";
  std::vector<option_spec> out{
      {"reduction", option_kind::reduction, "'mean'", reduction_doc},
      {"size_average", option_kind::optional_bool, "None", "legacy: overrides reduction when given", {}, true},
      {"reduce", option_kind::optional_bool, "None", "legacy: overrides reduction when given", {}, true}};
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

}  // namespace losscheck
