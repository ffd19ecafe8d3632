#pragma once
/// @file mutants.h
/// Deliberately wrong targets: each one a mistake real loss libraries make (docs/torch-quirks.md).
/// The property suite must kill every one of them (tests/properties/mutants_test.cpp).

#include <memory>
#include <string>
#include <vector>

#include "losscheck/target.h"

namespace losscheck::properties {

struct mutant {
  std::string name;  ///< "cross_entropy_without_max_shift"
  std::string loss;  ///< the loss it gets wrong (every other loss passes through to the correct impl)
  std::string doc;   ///< the mistake, in one line
  std::unique_ptr<target> make;
};

/// The catalog: a fresh target per mutant.
std::vector<mutant> mutant_catalog();

}  // namespace losscheck::properties
