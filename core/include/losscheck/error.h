#pragma once
/// @file error.h
/// Error types shared by every part of losscheck.

#include <stdexcept>
#include <string>

namespace losscheck {

/// An input the loss rejects (torch would raise): the message names the loss, the rule and what was received,
/// e.g. "cross_entropy: target 5 is out of bounds for 4 classes".
struct loss_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A document that is not valid JSON or not a valid case/result/fixture; the message says where.
struct format_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace losscheck
