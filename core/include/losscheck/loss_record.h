#pragma once
/// @file loss_record.h
/// One declarative record per loss — what torch.nn.functional calls its arguments, what they hold, which ones torch
/// 1.13 differentiates, its options with their defaults and rules, its output shape and the facts generic code asks
/// (after PyTorch's OpInfo). Generic code reads the record; it never compares loss names. Each loss's record is in
/// core/src/losses/<loss>.cpp; the list of losses is LOSSCHECK_LOSSES in CMakeLists.txt (docs/adding-a-loss.md).
/// No arithmetic lives here.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "losscheck/case.h"

namespace losscheck {

/// torch's reductions; `batchmean` is kl_div's only.
enum class reduction : std::uint8_t { none, mean, sum, batchmean };
std::string_view to_string(reduction r);

/// What an input holds.
enum class input_role : std::uint8_t {
  floating,                      ///< float values of the case dtype (predictions, logits, targets, weights)
  probabilities,                 ///< float values of the case dtype in [0, 1] (checked by each implementation)
  class_index,                   ///< int64 class indices
  class_index_or_probabilities,  ///< int64 class indices, or float probabilities shaped like the input
  label,                         ///< ±1 labels, float of the case dtype or int64
  lengths,                       ///< int64 sequence lengths
  /// int64 of the input's shape: per row a list of class indices ended by the first -1 (multilabel_margin_loss).
  /// Not a class_index_target(): no ignore_index, and -1 is part of the format, not an index out of range.
  class_index_list,
  /// int64 label sequences (ctc_loss's targets): padded (N, S) rows or the N sequences concatenated (1-D). Not a
  /// class_index_target(): no ignore_index, and the blank is not a valid label.
  label_sequences,
};

/// How an input's shape relates to the main input's.
enum class broadcast_rule : std::uint8_t {
  main,           ///< the main input: it sets the shape
  mutual,         ///< broadcasts with the main input (torch.broadcast_tensors); the output takes the broadcast shape
  same_shape,     ///< must have the main input's shape
  into_target,    ///< broadcasts to the target's shape without enlarging it (elementwise weights)
  last_dim,       ///< as into_target, typically one value per class of the last dimension (pos_weight)
  class_vector,   ///< (C): one value per class of the class dimension
  class_target,   ///< class indices () / (N) / (N, d1..dk) for a (C) / (N, C) / (N, C, d1..dk) input
  row_label,      ///< one per row: () for a (D) input, (N) for (N, D)
};

/// Which dimension of an input is the batch dimension (properties permute it, or drop a batch of one).
enum class batch_axis : std::uint8_t {
  leading,                ///< dimension 0, whenever its size is the batch size
  leading_if_full_rank,   ///< dimension 0 when the input has the main input's rank (else it broadcasts)
  last_if_one_dim,        ///< only when the main input is 1-D (per-last-dimension values: pos_weight)
  none,                   ///< never (per-class values)
};

/// When torch 1.13's autograd differentiates an input.
enum class grad_rule : std::uint8_t {
  never,
  always,
  with_probability_target,  ///< only when the target holds probabilities (cross_entropy's target and weight)
  when_floating,            ///< whenever it is a float tensor (a ±1 label a composite differentiates; not int64)
};

struct input_spec {
  std::string_view name;  ///< as torch.nn.functional names the argument
  input_role role;
  bool required;
  broadcast_rule broadcast;
  batch_axis batch;
  grad_rule grad;
  std::string_view doc;
};

enum class option_kind : std::uint8_t { reduction, optional_bool, boolean, integer, number, string };

/// A rule on a number or integer option's value: min ≤ v ≤ max (strict where open). `message` is the error after
/// "loss: ", a fmt format string with {} for the value; empty gives "option 'name' must be ..., got v".
struct option_range {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_open = false;
  bool max_open = false;
  std::string_view message;
};

struct option_spec {
  std::string_view name;
  option_kind kind;
  std::string_view default_value;  ///< as torch writes it
  std::string_view doc;
  option_range range = {};         ///< number and integer options: the values torch accepts
  bool legacy = false;             ///< size_average / reduce: override `reduction` when given
  std::vector<std::string_view> choices = {};  ///< string options: the values torch accepts (null allowed if listed as "None")
};

/// The shape of the `none` output.
enum class output_rule : std::uint8_t {
  elementwise,   ///< the (broadcast) shape of the inputs
  per_position,  ///< the input without its class dimension: () / (N) / (N, d1..dk)
  per_row,       ///< one per row of the last dimension: () for (D), (N) for (N, D) (broadcast with the target)
};

/// The generic properties (properties/common.cpp) a record can ask for, in the order they are registered.
enum class generic_property : std::uint8_t {
  agrees_with_the_reference,
  accurate_at_the_extremes,
  nan_inputs_propagate,
  sum_is_sum_of_none,
  mean_is_mean_of_none,
  legacy_flags,
  backward_linear_in_grad_output,
  finite_differences,
  batch_permutation,
  unbatched_is_batch_of_one,
  nonnegative,
  float32_within_float64,
  rejection_parity,
  ignore_index_and_kdim,  ///< the class-index family: ignore_index, K-dimensional inputs (properties/nll_loss.cpp)
};

/// Everything generic code may ask about one loss.
struct loss_record {
  std::string_view name;  ///< torch.nn.functional's name
  std::string_view doc;   ///< the formula, one line
  std::vector<input_spec> inputs;
  std::vector<option_spec> options;
  output_rule output = output_rule::elementwise;
  std::string_view main_input = "input";  ///< the batch-leading float input
  std::string_view row_name;              ///< per_position / per_row: what a row is ("the number of classes")
  bool allows_batchmean = false;          ///< reduction='batchmean' (kl_div)
  /// Composite in torch: an input's own terms (xlogy(t, t), Σx²) are formed on its own shape before broadcasting,
  /// so a non-finite term meets the zero gradient of an empty broadcast as 0·NaN (docs/torch-quirks.md).
  bool terms_before_broadcast = false;
  std::vector<generic_property> properties;
  std::size_t index = 0;  ///< position in loss_catalog() (and in every layer's table)

  /// The input spec called `input_name`, or nullptr.
  const input_spec* input(std::string_view input_name) const;
  /// The option spec called `option_name`, or nullptr.
  const option_spec* option(std::string_view option_name) const;
  /// Whether a target of class indices is possible (roles class_index, class_index_or_probabilities).
  bool class_index_target() const;
  /// Whether a generic property applies.
  bool has(generic_property p) const;
  /// Whether reductions run over rows (per_position, per_row) rather than elements.
  bool rowwise() const { return output != output_rule::elementwise; }
  /// The inputs torch 1.13 differentiates for case `c` (of this loss), in the record's order.
  std::vector<std::string> differentiable(const loss_case& c) const;
};

/// Every loss losscheck knows, in a fixed order (LOSSCHECK_LOSSES).
const std::vector<loss_record>& loss_catalog();
/// The record of `name`, or nullptr.
const loss_record* find_loss(std::string_view name);
/// The record of `name`; throws loss_error "unknown loss 'x' (valid losses: ...)".
const loss_record& record_of(std::string_view name);
/// "mse_loss, binary_cross_entropy, ..." for messages.
std::string loss_names();

/// The three reduction options every loss has (reduction, legacy size_average and reduce), then `extra`.
/// `reduction_doc` describes the valid reduction strings.
std::vector<option_spec> with_reduction_options(std::vector<option_spec> extra,
                                                std::string_view reduction_doc = {});

}  // namespace losscheck
