#pragma once
/// @file problem.h
/// The catalog of losses (inputs, options, defaults) and the resolution of a case into a typed, shape-checked
/// problem. This is the shared part of validation: names, option types, legacy reduction flags and shapes. It does
/// no arithmetic and never reads float data; value checks (targets out of bounds, BCE inputs outside [0,1]) are made
/// by each implementation on its own, so that rejection parity between them means something.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "losscheck/case.h"

namespace losscheck {

/// torch's reductions; `batchmean` is kl_div's only.
enum class reduction : std::uint8_t { none, mean, sum, batchmean };
std::string_view to_string(reduction r);

enum class option_kind : std::uint8_t { reduction, optional_bool, boolean, integer, number };

struct input_spec {
  std::string_view name;
  bool required;
  std::string_view doc;
};
struct option_spec {
  std::string_view name;
  option_kind kind;
  std::string_view default_value;  ///< as torch writes it
  std::string_view doc;
};
struct loss_spec {
  std::string_view name;
  std::string_view doc;
  std::vector<input_spec> inputs;
  std::vector<option_spec> options;
  std::vector<std::string_view> differentiable;  ///< inputs LibTorch 1.13 autograd differentiates
};

/// Every loss losscheck knows, in a fixed order.
const std::vector<loss_spec>& loss_catalog();
/// The spec of `name`, or nullptr.
const loss_spec* find_loss(std::string_view name);
/// "mse_loss, binary_cross_entropy, ..." for messages.
std::string loss_names();

/// Layout of a class-dimension input (C), (N, C) or (N, C, d1, ..., dk): element (n, c, k) of the input is at
/// (n * classes + c) * inner + k; target element (n, k) at n * inner + k (k runs over d1..dk row-major).
struct class_layout {
  std::int64_t batch = 1;    ///< N (1 when unbatched)
  std::int64_t classes = 0;  ///< C
  std::int64_t inner = 1;    ///< d1 * ... * dk
  bool unbatched = false;    ///< input was (C)
  shape_t none_shape;        ///< shape of the `none` output: () or (N) or (N, d1..dk)
};

/// mse_loss(input, target, reduction): input and target broadcast to `shape` (torch.broadcast_tensors).
struct mse_loss_problem {
  const tensor* input;
  const tensor* target;
  shape_t shape;
  reduction red;
};

/// binary_cross_entropy(input, target, weight, reduction): target has input's shape; weight broadcasts to it.
struct binary_cross_entropy_problem {
  const tensor* input;
  const tensor* target;
  const tensor* weight;  ///< nullptr when absent
  reduction red;
};

/// binary_cross_entropy_with_logits(input, target, weight, reduction, pos_weight): target has input's shape;
/// weight and pos_weight broadcast to it.
struct binary_cross_entropy_with_logits_problem {
  const tensor* input;
  const tensor* target;
  const tensor* weight;
  const tensor* pos_weight;
  reduction red;
};

/// nll_loss(input, target, weight, ignore_index, reduction) with int64 class-index targets.
struct nll_loss_problem {
  const tensor* input;
  const tensor* target;
  const tensor* weight;  ///< C class weights, row-major (1-D; any shape with C elements for K-dim inputs)
  class_layout layout;
  reduction red;
  std::int64_t ignore_index;
};

/// cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing). `probability_target` when the
/// target has the input's shape (then it is a float tensor and ignore_index < 0). `label_smoothing` is as given;
/// torch treats values <= 0 as no smoothing.
struct cross_entropy_problem {
  const tensor* input;
  const tensor* target;
  const tensor* weight;
  class_layout layout;
  reduction red;
  std::int64_t ignore_index;
  double label_smoothing;
  bool probability_target;
};

/// kl_div(input, target, reduction, log_target): input and target broadcast to `shape`. `batchmean` divides the
/// sum by `batch_size` = input.size(0), or by nothing (1) for a 0-D input.
struct kl_div_problem {
  const tensor* input;
  const tensor* target;
  shape_t shape;
  reduction red;
  bool log_target;
  std::int64_t batch_size;
  /// torch quirk (functional.py kl_div): with a legacy size_average/reduce flag AND reduction='batchmean', the
  /// legacy-mapped result (`red`, which is then none, mean or sum) is still divided by batch_size.
  bool legacy_batchmean = false;
};

/// cosine_embedding_loss(input1, input2, target, margin, reduction). Inputs are 2-D (R, D) with a 1-D target, or
/// 1-D (D) with a 0-D target; torch broadcasts them: the products run over `pair_shape` = broadcast(input1, input2),
/// cos has shape `cos_shape` (rows of pair_shape, or ()), and the `none` output has `none_shape` =
/// broadcast(target, cos_shape).
struct cosine_embedding_loss_problem {
  const tensor* input1;
  const tensor* input2;
  const tensor* target;  ///< float (case dtype) or int64
  shape_t pair_shape;
  shape_t cos_shape;
  shape_t none_shape;
  double margin;
  reduction red;
};

using problem = std::variant<mse_loss_problem, binary_cross_entropy_problem, binary_cross_entropy_with_logits_problem,
                             cross_entropy_problem, nll_loss_problem, kl_div_problem, cosine_embedding_loss_problem>;

/// The most elements a broadcast shape may have (2^28: 2 GiB of doubles). Inputs are bounded by their data, but two
/// small ones ((N, 1) and (1, M)) can broadcast to an absurd size; resolve_problem rejects that before allocating.
inline constexpr std::int64_t max_broadcast_numel = std::int64_t{1} << 28;

/// Checks names, option types, shapes and dtypes of `c` and returns the typed problem (pointers into `c`).
/// Throws loss_error with a message naming the loss, the rule and what was received.
problem resolve_problem(const loss_case& c);

/// Checks only the names in `c`: the loss, its inputs (required ones present) and its options; throws loss_error.
void check_names(const loss_case& c);

/// Shape of the output of the resolved problem: the `none` shape, or () when reduced.
shape_t output_shape(const problem& p);

/// Checks that `c.grad_output`, if present, has the output's shape; throws loss_error otherwise.
void check_grad_output(const loss_case& c, const shape_t& out_shape);

}  // namespace losscheck
