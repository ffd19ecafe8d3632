#pragma once
// Private to core: what each loss's resolver (core/src/losses/<loss>.cpp) uses to read a case against its record —
// option and input readers whose messages name the loss, and the shared shape rules. No arithmetic.

#include <optional>
#include <string>
#include <string_view>

#include "losscheck/case.h"
#include "losscheck/class_layout.h"
#include "losscheck/loss_record.h"

namespace losscheck {

/// Option reading with checks against the record; messages name the loss and the option.
class options_reader {
 public:
  /// Rejects options the record does not list.
  options_reader(const loss_case& c, const loss_record& record);

  const option_value* find(const std::string& name) const;
  [[noreturn]] void wrong_type(const std::string& name, std::string_view expected) const;

  std::optional<bool> optional_bool(const std::string& name) const;
  bool boolean(const std::string& name, bool fallback) const;
  std::int64_t integer(const std::string& name, std::int64_t fallback) const;
  /// A number option, checked against the record's range for it.
  double number(const std::string& name, double fallback) const;
  /// A string option checked against the record's choices; nothing when absent or null (where "None" is a choice).
  std::optional<std::string> string(const std::string& name) const;
  /// torch.nn._reduction: legacy flags override `reduction`; a bad string is an error. batchmean where the record
  /// allows it.
  reduction reduction_mode() const;
  /// Whether a legacy size_average / reduce flag is given (not null).
  bool legacy_flag_given() const;

 private:
  const loss_case& c_;
  const loss_record& record_;
};

/// Input lookup: unknown names are errors, required inputs must be present, dtypes must fit.
class inputs_reader {
 public:
  inputs_reader(const loss_case& c, const loss_record& record);
  /// A float input of the case dtype, or nullptr when optional and absent.
  const tensor* floating(const std::string& name) const;
  /// The input `name` whatever its dtype, or nullptr.
  const tensor* any(const std::string& name) const;

 private:
  const loss_case& c_;
  const loss_record& record_;
};

/// What a loss's resolver gets: the case, its record and readers over them.
struct resolve_context {
  const loss_case& c;
  const loss_record& record;
  const options_reader& options;
  const inputs_reader& inputs;
  std::string_view loss() const { return record.name; }
};

/// The generic properties, in registration order, that apply to a loss with legacy flags, the unbatched form and
/// a batch dimension; `nonnegative` where some profile makes every element ≥ 0, `class_index` adds the class-index
/// family. A record may list its own instead.
std::vector<generic_property> standard_properties(bool nonnegative, bool class_index = false);

/// torch.broadcast_shapes of a and b, or loss_error naming both; rejects shapes beyond max_broadcast_numel.
shape_t broadcast_or_throw(std::string_view loss, const shape_t& a, std::string_view a_name, const shape_t& b,
                           std::string_view b_name);
/// A weight that must broadcast to `to` without enlarging it (torch applies it in place).
void check_weight_broadcasts_to(std::string_view loss, const tensor* w, std::string_view w_name, const shape_t& to);
/// target.shape == input.shape, or loss_error.
void check_same_shape(std::string_view loss, const tensor& input, const tensor& target);
/// `weight` must be 1-D of size C; torch's K-dimensional path (input of 3 or more dimensions, class-index targets,
/// no label smoothing) only checks that it has C elements, so `any_shape_with_c_elements` accepts (1, C) or (C, 1).
void check_class_weight(std::string_view loss, const tensor* weight, std::int64_t classes,
                        bool any_shape_with_c_elements = false);
/// nll_loss_nd's shape rules for class-index targets (LossNLL.cpp).
class_layout class_index_layout(std::string_view loss, const tensor& input, const tensor& target);

}  // namespace losscheck
