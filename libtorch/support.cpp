// functional.py's argument handling shared by every loss of the LibTorch target (support.h).

#include "support.h"

#include <fmt/format.h>

#include <optional>

#include "losscheck/error.h"

namespace losscheck::libtorch::detail {

std::string reduction_string(const loss_case& c) {
  auto flag = [&](const char* name) -> std::optional<bool> {
    auto it = c.options.find(name);
    if (it == c.options.end() || std::holds_alternative<std::monostate>(it->second)) return std::nullopt;
    if (const auto* b = std::get_if<bool>(&it->second)) return *b;
    throw loss_error(fmt::format("option '{}' must be a boolean or null", name));
  };
  const auto size_average = flag("size_average");
  const auto reduce = flag("reduce");
  if (size_average || reduce) {
    if (!reduce.value_or(true)) return "none";
    if (!size_average.value_or(true)) return "sum";
    return "mean";
  }
  auto it = c.options.find("reduction");
  if (it == c.options.end()) return "mean";
  if (const auto* s = std::get_if<std::string>(&it->second)) return *s;
  throw loss_error("option 'reduction' must be a string");
}

bool has_legacy_flag(const loss_case& c) {
  for (const char* name : {"size_average", "reduce"}) {
    auto it = c.options.find(name);
    if (it != c.options.end() && !std::holds_alternative<std::monostate>(it->second)) return true;
  }
  return false;
}

std::int64_t reduction_enum(const std::string& r) {
  if (r == "none") return at::Reduction::None;
  if (r == "mean" || r == "elementwise_mean") return at::Reduction::Mean;
  if (r == "sum") return at::Reduction::Sum;
  throw loss_error(fmt::format("{} is not a valid value for reduction", r));
}

std::int64_t int_option(const loss_case& c, const char* name, std::int64_t fallback) {
  auto it = c.options.find(name);
  if (it == c.options.end()) return fallback;
  if (const auto* i = std::get_if<std::int64_t>(&it->second)) return *i;
  throw loss_error(fmt::format("option '{}' must be an integer", name));
}

double float_option(const loss_case& c, const char* name, double fallback) {
  auto it = c.options.find(name);
  if (it == c.options.end()) return fallback;
  if (const auto* d = std::get_if<double>(&it->second)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&it->second)) return static_cast<double>(*i);
  throw loss_error(fmt::format("option '{}' must be a number", name));
}

bool bool_option(const loss_case& c, const char* name, bool fallback) {
  auto it = c.options.find(name);
  if (it == c.options.end()) return fallback;
  if (const auto* b = std::get_if<bool>(&it->second)) return *b;
  throw loss_error(fmt::format("option '{}' must be a boolean", name));
}

std::string sizes(const at::Tensor& t) { return format_shape(shape_t(t.sizes().begin(), t.sizes().end())); }

}  // namespace losscheck::libtorch::detail
