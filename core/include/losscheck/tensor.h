#pragma once
/// @file tensor.h
/// The data model's tensor: a shape and contiguous row-major data of one dtype. No arithmetic lives here.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace losscheck {

/// Element type of a tensor. Float tensors take the case's dtype; int64 is for class-index targets. bfloat16 (8
/// significand bits, float32's range) and float16 (IEEE binary16: 11 bits, largest finite 65504) are the half dtypes.
enum class dtype : std::uint8_t { float32, float64, int64, bfloat16, float16 };

/// "float32", "float64", "int64", "bfloat16" or "float16".
std::string_view to_string(dtype type);
/// The dtype named `name`, or nothing.
std::optional<dtype> parse_dtype(std::string_view name);
/// bfloat16 or float16.
constexpr bool is_half(dtype type) { return type == dtype::bfloat16 || type == dtype::float16; }
/// `v` rounded to the nearest value of float dtype `type` (ties to even, subnormals kept, beyond the largest finite
/// value ±inf as IEEE rounding gives; NaN stays NaN): the conversion a value of the dtype holds. float64: `v`.
/// Throws loss_error for int64.
double round_to(dtype type, double v);

using shape_t = std::vector<std::int64_t>;

/// Number of elements of `shape`; throws loss_error on a negative dimension or int64 overflow.
std::int64_t checked_numel(const shape_t& shape);
/// "[2, 3]" (torch prints sizes this way).
std::string format_shape(const shape_t& shape);

/// A dense row-major tensor. Float data is held as double: a float32 tensor holds values exactly representable
/// in float32 (the reader rounds them), so the conversion to float is exact.
struct tensor {
  dtype type = dtype::float64;
  shape_t shape;
  std::vector<double> values;      ///< float32 / float64 data
  std::vector<std::int64_t> ints;  ///< int64 data

  bool is_floating() const { return type != dtype::int64; }
  std::int64_t dim() const { return static_cast<std::int64_t>(shape.size()); }
  std::int64_t numel() const;
  /// Size of dimension `d`; negative `d` counts from the end.
  std::int64_t size(std::int64_t d) const;

  static tensor floats(dtype type, shape_t shape, std::vector<double> values);
  static tensor int64s(shape_t shape, std::vector<std::int64_t> ints);
  /// Zero-filled float tensor.
  static tensor zeros(dtype type, shape_t shape);
};

/// The broadcast shape of `a` and `b` under torch's rules, or nothing if they do not broadcast.
std::optional<shape_t> broadcast_shapes(const shape_t& a, const shape_t& b);

/// Maps a linear index of the broadcast shape `to` onto the linear index of a tensor of shape `from` that broadcasts
/// to it (index arithmetic only). Iterate `to` in row-major order and call next().
class broadcast_walker {
 public:
  broadcast_walker(const shape_t& from, const shape_t& to);
  /// Offset into `from` of the current element of `to`.
  std::int64_t offset() const { return offset_; }
  /// Advances to the next element of `to` in row-major order.
  void next();
  /// True when `from` equals `to` (offset() is then the linear index itself).
  bool identity() const { return identity_; }

 private:
  shape_t to_;
  std::vector<std::int64_t> strides_;  // stride in `from` per dim of `to`, 0 where broadcast
  std::vector<std::int64_t> counter_;
  std::int64_t offset_ = 0;
  bool identity_ = false;
};

}  // namespace losscheck
