#pragma once
// Private to the LibTorch target: what every loss's forward (libtorch/<loss>.cpp) shares -- functional.py's
// argument handling (torch.nn._reduction, option readers) and the inputs as ATen tensors -- and the one entry point
// per loss, called by libtorch_target.cpp through a table indexed by loss_record::index.
//
// Only the ATen Tensor is here: each loss includes the ATen/ops/<op>.h headers of the operators it calls (the
// library is built with per-operator headers; ATen/ATen.h and ATen/Functions.h are refused). The library compiles as
// one unit (CMakeLists.txt), so a helper private to one loss's file goes in an anonymous namespace with a name no
// other file uses.

#include <ATen/core/Reduction.h>
#include <ATen/core/Tensor.h>
#include <c10/util/Optional.h>

#include <cstdint>
#include <map>
#include <string>

#include "losscheck/case.h"
#include "losscheck/loss_list.h"

namespace losscheck::libtorch::detail {

/// A case's inputs as ATen tensors, by name (the differentiated ones require grad).
class tensors {
 public:
  explicit tensors(std::map<std::string, at::Tensor> by_name) : by_name_(std::move(by_name)) {}
  /// The input called `name` (a required one: check_names has made sure it is there).
  const at::Tensor& at(const std::string& name) const { return by_name_.at(name); }
  /// The optional input called `name`, or nullopt, as ATen takes optional tensors.
  c10::optional<at::Tensor> opt(const std::string& name) const {
    auto it = by_name_.find(name);
    return it == by_name_.end() ? c10::nullopt : c10::optional<at::Tensor>(it->second);
  }

 private:
  std::map<std::string, at::Tensor> by_name_;
};

/// torch.nn._reduction.legacy_get_string after the legacy flags, else the `reduction` option ("mean" when absent):
/// the reduction string functional.py passes on. Throws loss_error for options of the wrong type.
std::string reduction_string(const loss_case& c);
/// Whether `size_average` or `reduce` is given (not absent, not null): then they decide the reduction.
bool has_legacy_flag(const loss_case& c);
/// torch.nn._reduction.get_enum ("elementwise_mean" is "mean"); throws loss_error "X is not a valid value for
/// reduction".
std::int64_t reduction_enum(const std::string& r);

/// The option `name` as functional.py's argument of that type, or `fallback` (its default) when absent; throws
/// loss_error "option 'name' must be ..." for another type. A number option accepts an integer.
std::int64_t int_option(const loss_case& c, const char* name, std::int64_t fallback);
double float_option(const loss_case& c, const char* name, double fallback);
bool bool_option(const loss_case& c, const char* name, bool fallback);

/// "[2, 3]": a tensor's sizes as torch's messages print them.
std::string sizes(const at::Tensor& t);

// One forward per loss, defined in libtorch/<loss>.cpp as torch/nn/functional.py (1.13) writes it:
// at::Tensor <loss>(const loss_case&, const tensors&). Torch's errors propagate as c10::Error.
#define LOSSCHECK_X(name) at::Tensor name(const loss_case& c, const tensors& in);
LOSSCHECK_FOR_EACH_LOSS(LOSSCHECK_X)
#undef LOSSCHECK_X

}  // namespace losscheck::libtorch::detail
