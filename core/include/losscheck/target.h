#pragma once
/// @file target.h
/// Anything that evaluates a case: the built-in impl, the reference, LibTorch, an external program.

#include <memory>
#include <string>

#include "losscheck/case.h"

namespace losscheck {

/// Evaluates cases. Implementations report invalid cases as results with `error` set and never throw for them.
class target {
 public:
  virtual ~target() = default;
  /// Short name used in reports ("impl", "reference", "exec:...").
  virtual std::string name() const = 0;
  /// Evaluates one case: forward, and backward with the case's grad_output.
  virtual loss_result evaluate(const loss_case& c) = 0;
};

}  // namespace losscheck
