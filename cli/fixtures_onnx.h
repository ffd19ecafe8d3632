#pragma once
// `losscheck fixtures import onnx` (built where libonnx-dev and libprotobuf-dev are found): ONNX backend node tests
// of SoftmaxCrossEntropyLoss and NegativeLogLikelihoodLoss as a forward-only fixture file (docs/format.md).

#include <cstdint>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "fixtures.h"

namespace losscheck::cli {

/// What an import found: the cases, and every test it did not map with the reason.
struct onnx_import {
  std::vector<fixture_case> cases;
  std::vector<std::pair<std::string, std::string>> skipped;  ///< (test name, reason)
  std::size_t tests = 0, mapped = 0;
  std::set<std::int64_t> opsets;  ///< the default-domain opsets of the mapped models
};

/// Reads node-test directories (each with model.onnx and test_data_set_*/), or directories of them. Throws
/// std::invalid_argument for a path that is neither.
onnx_import import_onnx(const std::vector<std::string>& dirs);

struct onnx_import_options {
  std::vector<std::string> dirs;
  std::string out_path;
  std::string witness_name = "onnx node tests";
  std::string witness_version;  ///< e.g. the libonnx-testdata version; "" unknown
};

/// The command: imports, lists what was not mapped, writes the fixture file. Returns 0, 2 for an unreadable
/// directory or an unwritable file, 4 when no test mapped onto a case.
int import_onnx_command(const onnx_import_options& o, std::ostream& out, std::ostream& err);

}  // namespace losscheck::cli
