#pragma once
/// @file case.h
/// A case (what to evaluate) and a result (what came out): the spine of losscheck's data model.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>

#include "losscheck/tensor.h"

namespace losscheck {

/// One option value as it appears in a case: null, bool, integer, float or string.
using option_value = std::variant<std::monostate, bool, std::int64_t, double, std::string>;

/// A loss evaluation request: loss name, dtype, options, named inputs and an optional grad_output.
struct loss_case {
  std::string id = "null";  ///< the case's id as JSON text, echoed back verbatim
  std::string loss;
  dtype type = dtype::float32;
  std::map<std::string, option_value> options;
  std::map<std::string, tensor> inputs;
  std::optional<tensor> grad_output;  ///< omitted means ones shaped like the output

  /// The input called `name`, or nullptr when absent.
  const tensor* input(const std::string& name) const;
};

/// The answer to a case: output and gradients by input name, or an error, or (external programs only) unsupported.
struct loss_result {
  std::string id = "null";
  std::optional<tensor> output;
  std::map<std::string, tensor> grads;
  std::optional<std::string> error;
  std::optional<std::string> unsupported;
  /// External programs only: gradients the program does not compute, by input name, with the reason ("dlib has no
  /// gradient with respect to the labels"). A comparison skips them instead of failing on their absence, and the
  /// audit lists them (docs/format.md).
  std::map<std::string, std::string> unsupported_grads;

  bool ok() const { return !error && !unsupported && output.has_value(); }
  static loss_result failure(std::string id, std::string message);
};

/// The same case in float dtype `type`: the case's and every float tensor's dtype relabelled, the values unchanged
/// (a half case as float32 holds the same numbers exactly: how half kernels compute it).
loss_case with_dtype(const loss_case& c, dtype type);

}  // namespace losscheck
