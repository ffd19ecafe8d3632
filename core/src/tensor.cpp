#include "losscheck/tensor.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "losscheck/case.h"
#include "losscheck/dtype_traits.h"
#include "losscheck/error.h"

namespace losscheck {

std::string_view to_string(dtype type) {
  switch (type) {
    case dtype::float32: return "float32";
    case dtype::float64: return "float64";
    case dtype::int64: return "int64";
    case dtype::bfloat16: return "bfloat16";
    case dtype::float16: return "float16";
  }
  return "?";
}

std::optional<dtype> parse_dtype(std::string_view name) {
  if (name == "float32") return dtype::float32;
  if (name == "float64") return dtype::float64;
  if (name == "int64") return dtype::int64;
  if (name == "bfloat16") return dtype::bfloat16;
  if (name == "float16") return dtype::float16;
  return std::nullopt;
}

double round_to(dtype type, double v) {
  switch (type) {
    case dtype::float64: return v;
    case dtype::float32: return static_cast<double>(static_cast<float>(v));
    case dtype::int64: throw loss_error("round_to: int64 is not a float dtype");
    case dtype::bfloat16:
    case dtype::float16: break;
  }
  if (!std::isfinite(v) || v == 0) return v;
  const float_traits& t = dtype_traits(type);
  // the spacing of the dtype's values around v: 2^(e - p + 1) for v in [2^e, 2^(e+1)), and the subnormal spacing
  // below the normal range; v / quantum is exact (a power of two), nearbyint rounds it to even in the default mode
  const int e = std::max(std::ilogb(v), t.min_normal_exponent);
  const double quantum = std::ldexp(1.0, e - t.significand_digits + 1);
  const double r = std::nearbyint(v / quantum) * quantum;
  if (std::fabs(r) > t.max_finite) return std::copysign(std::numeric_limits<double>::infinity(), v);
  return r;
}

std::int64_t checked_numel(const shape_t& shape) {
  std::int64_t n = 1;
  for (auto d : shape) {
    if (d < 0) throw loss_error(fmt::format("shape {} has a negative dimension", format_shape(shape)));
    if (d != 0 && n > std::numeric_limits<std::int64_t>::max() / d)
      throw loss_error(fmt::format("shape {} has more elements than int64 can count", format_shape(shape)));
    n *= d;
  }
  // A zero dimension anywhere makes the tensor empty, whatever overflowed before it.
  for (auto d : shape)
    if (d == 0) return 0;
  return n;
}

std::string format_shape(const shape_t& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

std::int64_t tensor::numel() const { return checked_numel(shape); }

std::int64_t tensor::size(std::int64_t d) const {
  const auto n = dim();
  if (d < 0) d += n;
  if (d < 0 || d >= n)
    throw loss_error(fmt::format("dimension {} is out of range for a tensor of shape {}", d, format_shape(shape)));
  return shape[static_cast<std::size_t>(d)];
}

tensor tensor::floats(dtype type, shape_t shape, std::vector<double> values) {
  tensor t;
  t.type = type;
  t.shape = std::move(shape);
  t.values = std::move(values);
  return t;
}

tensor tensor::int64s(shape_t shape, std::vector<std::int64_t> ints) {
  tensor t;
  t.type = dtype::int64;
  t.shape = std::move(shape);
  t.ints = std::move(ints);
  return t;
}

tensor tensor::zeros(dtype type, shape_t shape) {
  const auto n = checked_numel(shape);
  return floats(type, std::move(shape), std::vector<double>(static_cast<std::size_t>(n), 0.0));
}

std::optional<shape_t> broadcast_shapes(const shape_t& a, const shape_t& b) {
  const auto n = std::max(a.size(), b.size());
  shape_t out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const std::int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da == db || db == 1)
      out[i] = da;
    else if (da == 1)
      out[i] = db;
    else
      return std::nullopt;
  }
  return out;
}

broadcast_walker::broadcast_walker(const shape_t& from, const shape_t& to)
    : to_(to), strides_(to.size(), 0), counter_(to.size(), 0), identity_(from == to) {
  std::int64_t stride = 1;
  const auto lead = to.size() - from.size();
  for (std::size_t i = from.size(); i-- > 0;) {
    strides_[i + lead] = from[i] == 1 && to[i + lead] != 1 ? 0 : stride;
    stride *= from[i];
  }
}

void broadcast_walker::next() {
  for (std::size_t i = to_.size(); i-- > 0;) {
    offset_ += strides_[i];
    if (++counter_[i] < to_[i]) return;
    offset_ -= strides_[i] * counter_[i];
    counter_[i] = 0;
  }
}

const tensor* loss_case::input(const std::string& name) const {
  auto it = inputs.find(name);
  return it == inputs.end() ? nullptr : &it->second;
}

loss_case with_dtype(const loss_case& c, dtype type) {
  loss_case f = c;
  f.type = type;
  for (auto& [name, t] : f.inputs)
    if (t.is_floating()) t.type = type;
  if (f.grad_output) f.grad_output->type = type;
  return f;
}

loss_result loss_result::failure(std::string id, std::string message) {
  loss_result r;
  r.id = std::move(id);
  r.error = std::move(message);
  return r;
}

}  // namespace losscheck
