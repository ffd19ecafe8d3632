#pragma once
// Golden fixture files (docs/format.md "Fixture files"): the catalog of cases, writing files, and verifying them.
// Nothing here includes LibTorch; the generator (fixtures_generate.cpp) is the one file that does.

#include <cstdint>
#include <map>
#include <ostream>
#include <functional>
#include <string>
#include <vector>

#include "losscheck/case.h"
#include "losscheck/target.h"

namespace losscheck::cli {

inline constexpr const char* fixture_format = "losscheck-fixtures";
inline constexpr int fixture_version = 1;
/// The seed of the catalog's splitmix64 generator.
inline constexpr std::uint64_t fixture_seed = 20240613;

/// The deterministic catalog of fixture cases of one loss (without expected results), ids "<loss>/<n>".
std::vector<loss_case> fixture_catalog(const std::string& loss);

/// One case of a fixture file: the case and its expected result.
struct fixture_case {
  loss_case c;
  loss_result expected;
};

/// Writes a fixture file atomically (temporary file, then rename). `generator_json` is the "generator" object as
/// one line of JSON. Each case is written on its own line. Throws std::runtime_error on I/O failure.
void write_fixture_file(const std::string& path, const std::string& generator_json, const std::vector<fixture_case>& cases);

/// The text of one fixture line: the case's JSON with "expected" appended.
std::string fixture_line(const loss_case& c, const loss_result& expected);

/// Reads and validates a fixture file; throws format_error "PATH: case N (id X): ..." on any problem.
std::vector<fixture_case> read_fixture_file(const std::string& path);
/// Reads and validates the text of a fixture file; `path` only names it in messages (as read_fixture_file does).
std::vector<fixture_case> read_fixture_text(const std::string& text, const std::string& path);

struct verify_options {
  std::string target_name = "impl";
  std::vector<std::string> files;
  std::vector<std::string> ids;     ///< when not empty, only the cases with these ids
  std::vector<std::string> losses;  ///< when not empty, only the cases of these losses
  std::vector<std::string> dtypes;  ///< when not empty, only the cases of these dtypes
  bool verbose = false;             ///< print every failing case, not only the worst of each group
  /// What the failing answer matches instead (the audit's diagnosis, one line per finding); unset: no diagnosis
  /// (a losscheck built without the property suite).
  std::function<std::vector<std::string>(const loss_case&, target&)> diagnose;
};

/// `losscheck fixtures verify`, counted as `losscheck audit` counts its fixture rows: an `unsupported` answer is
/// skipped (a column of its own), never a failure. Returns 0 when every case that ran passed, 1 when any failed,
/// 2 when a file is unreadable or malformed or a filter names an unknown loss or dtype, 4 when nothing was checked
/// (every selected case unsupported, or none selected).
int verify_fixtures(target& t, const verify_options& o, std::ostream& out, std::ostream& err);

}  // namespace losscheck::cli
