#pragma once
// Golden fixture files (docs/format.md "Fixture files"): the catalog of cases, writing files, and verifying them.
// Nothing here includes LibTorch; the generator (fixtures_generate.cpp) loads it as a plugin.

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <functional>
#include <string>
#include <vector>

#include "losscheck/case.h"
#include "losscheck/target.h"

namespace losscheck::check {
struct comparison;  // losscheck/check.h
}

namespace losscheck::cli {

inline constexpr const char* fixture_format = "losscheck-fixtures";
inline constexpr int fixture_version = 1;
/// The seed of the catalog's splitmix64 generator.
inline constexpr std::uint64_t fixture_seed = 20240613;

/// The deterministic catalog of fixture cases of one loss (without expected results), ids "<loss>/<n>".
std::vector<loss_case> fixture_catalog(const std::string& loss);

/// The tolerance a witness tests itself with (ONNX's backend tests: rtol 1e-3, atol 1e-7): shown beside
/// losscheck's verdict, never used to loosen losscheck's own bounds (docs/format.md "Witnesses").
struct witness_tolerance {
  std::optional<double> rtol, atol;
  std::string note;  ///< free text ("onnx.backend.test runner defaults")
  /// "rtol 0.001, atol 1e-07 (note)".
  std::string text() const;
  /// Whether |got - expected| <= atol + rtol * |expected| (numpy.testing.assert_allclose's rule); unset: no rule.
  std::optional<bool> accepts(double got, double expected) const;
};

/// Who produced a fixture file's expected results (the file's "witness" member; docs/format.md).
struct fixture_witness {
  std::string name, version;
  std::optional<witness_tolerance> tolerance;
  std::string text() const;  ///< "onnx 1.12.0"
};

/// One case of a fixture file: the case and its expected result.
struct fixture_case {
  loss_case c;
  loss_result expected;
  /// false: the witness recorded no gradients (an `expected` without "grads", or "grads": null): only the output is
  /// compared. `expected.unsupported_grads` names gradients a witness that recorded others did not record.
  bool grads_recorded = true;
  std::optional<witness_tolerance> tolerance;  ///< the case's own witness tolerance (expected.witness_tolerance)
};

/// A whole fixture file.
struct fixture_file {
  std::string path;
  std::optional<fixture_witness> witness;
  std::string generator_json;  ///< the "generator" object as JSON text
  std::vector<fixture_case> cases;
  /// The witness for people: "onnx node tests 1.12.0"; without a "witness", what "generator" says
  /// ("libtorch 1.13.0 (generator)"), else the file's name.
  std::string witness_text() const;
};

/// Writes a fixture file atomically (temporary file, then rename). `generator_json` is the "generator" object as
/// one line of JSON. Each case is written on its own line. Throws std::runtime_error on I/O failure.
void write_fixture_file(const std::string& path, const std::string& generator_json, const std::vector<fixture_case>& cases,
                        const std::optional<fixture_witness>& witness = std::nullopt);

/// The text of one fixture line: the case's JSON with "expected" appended (without "grads" when none were recorded).
std::string fixture_line(const fixture_case& fc);

/// The text of a case's "expected" object as a fixture file holds it.
std::string expected_json(const fixture_case& fc);

/// Reads and validates a fixture file; throws format_error "PATH: case N (id X): ..." on any problem.
std::vector<fixture_case> read_fixture_file(const std::string& path);
/// Reads and validates the text of a fixture file; `path` only names it in messages (as read_fixture_file does).
std::vector<fixture_case> read_fixture_text(const std::string& text, const std::string& path);
/// read_fixture_file with the file's witness.
fixture_file read_fixture(const std::string& path);
fixture_file parse_fixture(const std::string& text, const std::string& path);

/// Compares a target's answer with a fixture case's expected result (check::compare), leaving out what the witness
/// did not record: every gradient of a forward-only case, the gradients in expected.unsupported_grads.
check::comparison compare_fixture(const fixture_case& fc, const loss_result& got);
/// What of `r` the witness of `fc` recorded: without the gradients compare_fixture leaves out.
loss_result recorded_part(const fixture_case& fc, const loss_result& r);
/// check::compare of two answers to `fc`'s case, each cut to what the witness recorded (recorded_part): how a third
/// answer (the reference's) is held against the witness and the target.
check::comparison compare_recorded(const fixture_case& fc, const loss_result& expected, const loss_result& got);

/// Whether each of two answers to `fc` agrees with the reference's (compare_recorded), with the worst error or the
/// first mismatch of each.
struct referee_verdict {
  bool first_agrees = false, second_agrees = false;
  std::string first, second;
};
referee_verdict referee(const fixture_case& fc, const loss_result& first, const loss_result& second,
                        const loss_result& reference);

/// Who the reference sides with when two answers to `fc` disagree (compare_recorded against `reference`): one line,
/// "the reference sides with the witness (0.00 ULPs at output[0]); target impl is off: ...".
std::string referee_text(const fixture_case& fc, const loss_result& first, const std::string& first_name,
                         const loss_result& second, const std::string& second_name, const loss_result& reference);

struct verify_options {
  std::string target_name = "impl";
  std::vector<std::string> files;
  std::vector<std::string> ids;     ///< when not empty, only the cases with these ids
  std::vector<std::string> losses;  ///< when not empty, only the cases of these losses
  std::vector<std::string> dtypes;  ///< when not empty, only the cases of these dtypes
  bool verbose = false;             ///< print every failing case, not only the worst of each group
  std::string json_path;            ///< when not empty, write the JSON report (docs/format.md) there
  /// What the failing answer matches instead (the audit's diagnosis, one line per finding); unset: no diagnosis
  /// (a losscheck built without the property suite).
  std::function<std::vector<std::string>(const loss_case&, target&)> diagnose;
  /// The reference's answer (who is wrong when a case fails: the target or the witness); unset: not asked.
  std::function<loss_result(const loss_case&)> reference;
};

/// The id as typed on a command line: the bare string of a string id, else its JSON text.
std::string id_argument(const std::string& id_json);
/// Whether `--id` values `ids` (empty: all) select the case of JSON id `id_json` (as typed or as JSON).
bool id_selected(const std::vector<std::string>& ids, const std::string& id_json);
/// Whether a `--loss`/`--dtype` filter (empty: all) lets `v` through.
bool in_filter(const std::vector<std::string>& only, std::string_view v);
/// "unknown loss 'x'; did you mean ...? (losses: ...)" for the first unknown name of the filters, or "".
std::string unknown_filter(const std::vector<std::string>& losses, const std::vector<std::string>& dtypes);

struct diff_options {
  std::vector<std::string> first, second;  ///< the fixture files of A and of B (each side's ids must be unique)
  std::vector<std::string> ids, losses, dtypes;  ///< filters, as verify's
  bool verbose = false;             ///< list every disagreement (else the first 10)
  std::string json_path;            ///< when not empty, write the JSON report there
  /// The reference's answer (who is right where A and B disagree); unset: disagreements are not refereed.
  std::function<loss_result(const loss_case&)> reference;
};

/// `losscheck fixtures diff A B`: the cases of A and B with the same id (and the same inputs) compared under the
/// tolerance model, what both witnesses recorded (outputs only where either recorded no gradients); where they
/// disagree, which one the reference sides with. Returns 0 when they agree, 1 on any disagreement, 2 for a
/// malformed file or an unknown loss or dtype in the filters, 4 when no case is in both.
int diff_fixtures(const diff_options& o, std::ostream& out, std::ostream& err);

/// `losscheck fixtures verify`, counted as `losscheck audit` counts its fixture rows: an `unsupported` answer is
/// skipped (a column of its own), never a failure. Returns 0 when every case that ran passed, 1 when any failed,
/// 2 when a file is unreadable or malformed or a filter names an unknown loss or dtype, 4 when nothing was checked
/// (every selected case unsupported, or none selected).
int verify_fixtures(target& t, const verify_options& o, std::ostream& out, std::ostream& err);

}  // namespace losscheck::cli
