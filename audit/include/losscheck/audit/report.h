#pragma once
/// @file report.h
/// The report of an audit: one summary struct that every renderer reads — the terminal summary, the JSON document
/// (docs/audit.md, format "losscheck-audit" version 1), JUnit XML and one self-contained HTML file — and that
/// `losscheck report merge` builds from the JSON documents of the shards of one audit.

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "losscheck/audit/plan.h"
#include "losscheck/audit/verdict.h"
#include "losscheck/case.h"

namespace losscheck {

/// One explanation of a failure (what the target's answer matches instead), or why there is none.
struct audit_finding {
  std::string text;    ///< "output is 2 × the reference's", "diagnosis failed: …"
  std::string kind;    ///< "convention", "bug" or "unexplained"
  std::string detail;  ///< the numbers behind it
  /// Other explanations that fit the case as well (properties::finding::equally): "2 × the reference's" beside
  /// "divides by the batch size (2), …". A baseline entry for any of them accepts the finding.
  std::vector<std::string> equally = {};
  bool operator==(const audit_finding&) const = default;
};

/// A row's errors in ULPs of the scale, binned: counts[0] exactly 0, counts[i] in (edges[i−1], edges[i]], the last
/// above the last edge or not finite.
struct ulps_histogram {
  std::vector<double> edges;
  std::vector<long long> counts;
  /// At least one edge, one count more than edges, no negative count (a report edited by hand may break this).
  bool well_formed() const;
  /// `ulps` binned over the edges 0, 0.5, 1, 2, 4, 8, 16, 64, 1024.
  static ulps_histogram of(const std::vector<double>& ulps);
  bool operator==(const ulps_histogram&) const = default;
};

/// Where a failure's counterexample was written as a fixture (`losscheck fixtures verify --id ID FILE` replays it).
struct fixture_ref {
  std::string file;
  std::string id;
  bool operator==(const fixture_ref&) const = default;
};

/// One row: a property (or the fixtures) of one loss in one dtype.
struct audit_row {
  std::optional<std::size_t> order;  ///< index in the whole plan (absent only in a report edited by hand)
  std::string loss, check, kind, dtype;
  check_verdict verdict = check_verdict::pass;
  /// RapidCheck gave up on the property (too many generated cases discarded): the verdict covers the `cases` that
  /// ran (pass), or none ran (skipped). Never a failure, never counted as one.
  bool gave_up = false;
  long long cases = 0;        ///< cases run (a failing property: the successful cases before the failure)
  long long unsupported = 0;  ///< cases the target answered `unsupported`
  long long outputs_only = 0; ///< fixture rows: cases whose witness recorded no gradients (output compared only)
  std::optional<double> max_ulps;          ///< the largest error in ULPs of the scale (+inf: not finite)
  std::optional<ulps_histogram> histogram;
  /// Error versus magnitude: per comparison (as the histogram counts them) the magnitude of its worst element and its
  /// error in ULPs of the scale, at most max_error_points of them (evenly thinned, the largest error always kept).
  std::vector<std::array<double, 2>> error_points;
  static constexpr std::size_t max_error_points = 400;
  double seconds = 0;
  std::string message;  ///< a failure's one-line reason, a skip's or give-up's; "" none
  std::string report;   ///< a failure's whole report (cases, results, replay lines); "" none
  nlohmann::json counterexample;         ///< the (shrunk) failing case as JSON (a string if it did not parse); null
  std::optional<fixture_ref> counterexample_fixture;
  std::vector<audit_finding> diagnosis;  ///< failures: what the answer matches instead
  std::string diagnosis_class;           ///< the most serious kind among the findings; "" none
  std::vector<std::string> unsupported_grads;    ///< "input: reason" for each gradient the target does not compute
  std::vector<std::string> unsupported_reasons;  ///< up to four reasons the target gave for `unsupported`
  /// A failure the baseline accepts (apply_baseline): still a failure in the table, but not counted as one.
  bool accepted = false;
  nlohmann::json extra = nlohmann::json::object();  ///< fields of a JSON row this version does not know (kept)
};

/// One root cause: the failing rows of one loss whose diagnoses say the same thing (numbers aside, and whatever
/// outputs and gradients each row names), in plan order. A baseline accepts findings by loss, check and `key`.
struct finding_group {
  std::string loss;
  std::string kind;  ///< the diagnosis class: "convention", "bug", "unexplained"; "" when there is no diagnosis
  std::string text;  ///< the example row's diagnosis ("output, gradient of input: 2 × the reference's") or message
  std::string key;   ///< what groups the rows: the mistake without the components it names, numbers as '#'
  std::vector<std::size_t> rows;  ///< indices into audit_report::rows
  std::size_t example = 0;        ///< the row with the smallest counterexample
  bool accepted = false;          ///< every row of the group is accepted by the baseline
};

/// The grouping key of a failing row (finding_group::key).
std::string finding_key(const audit_row& r);

/// Accepted findings (docs/audit.md "Baseline"): a file a project commits, `losscheck audit --write-baseline FILE`
/// writes and `--baseline FILE` reads. A failure whose loss, check and finding key match an entry is accepted: shown
/// apart, not counted as failed, so an audit with only accepted findings passes and any new one fails.
struct baseline_entry {
  std::string loss, check, key;
  std::string note;  ///< why it is accepted (free text; the written file says what was diagnosed)
  bool operator==(const baseline_entry&) const = default;
};
struct baseline {
  std::vector<baseline_entry> accepted;
  /// Reads a baseline document. Throws std::invalid_argument naming `name` and the field when `j` is not one
  /// (format "losscheck-baseline", version 1, accepted: [{loss, check, key}]).
  static baseline from_json(const nlohmann::json& j, const std::string& name);
  nlohmann::json to_json() const;
  /// Whether `r` (a failure) is accepted.
  bool accepts(const audit_row& r) const;
};

/// A failure's counterexample with the reference's result: one case of the counterexample fixture file.
struct counterexample_case {
  std::string id;  ///< "loss/check/dtype"
  loss_case c;
  loss_result expected;
};

/// What the audit ran with. Shards of one audit share all of it (report merge checks).
struct audit_settings {
  std::string losscheck_version;  ///< of the losscheck that wrote the report; "" unknown
  std::string target;
  std::uint64_t seed = 0;
  std::optional<long long> cases_per_property;
  std::vector<std::string> losses, dtypes;
  std::optional<std::vector<std::string>> properties;  ///< the --property selection ([]: all); absent in old reports
  std::optional<unsigned> precision;                   ///< bits of the reference
  std::optional<double> timeout;                       ///< seconds per case of an exec target
  std::optional<std::vector<std::string>> fixtures;    ///< the fixture files (names)
  std::optional<std::vector<plan_row>> plan;           ///< the whole plan (every shard's rows)
  std::optional<long long> planned_checks;             ///< rows of the whole plan
  std::optional<losscheck::shard> shard;               ///< absent: unsharded, or merged
  std::vector<std::string> exclude_classes;            ///< --exclude-class (audit_options::exclude_classes)
  // for the terminal header only (not in the JSON)
  std::string fixtures_dir;
  bool all_losses = false;
};

/// Wall-clock seconds spent, in all and per phase (merged reports: summed over the shards).
struct audit_timings {
  double total = 0;
  double properties = 0;
  double fixtures = 0;
  double diagnosis = 0;
};

/// The report of an audit, or of the merge of its shards.
struct audit_report {
  audit_settings settings;
  std::vector<audit_row> rows;  ///< in plan order
  bool incomplete = false;      ///< stopped before every planned check of this shard ran
  std::string incomplete_reason;  ///< "interrupted", "time limit" (or the first incomplete shard's)
  int interrupt_signal = 0;       ///< the signal that stopped the run; 0 none (not in the JSON)
  std::string counterexamples_file;                ///< the counterexample fixture file; "" none
  std::vector<std::string> counterexamples_files;  ///< merged: each shard's file, when they differ
  std::optional<long long> merged_from;            ///< merged: the number of shards
  audit_timings timings;
  /// The failures' counterexamples with the reference's results, for a fixture file (not in the JSON).
  std::vector<counterexample_case> counterexamples;
  std::string target_summary;  ///< what the target did besides answering (an exec target's incidents); terminal only
  nlohmann::json extra = nlohmann::json::object();  ///< top-level fields of a JSON report this version does not know

  std::string baseline_file;  ///< the baseline applied ("" none)

  struct counts {
    /// failed: failures not accepted by the baseline; accepted: those it accepts
    long long checks = 0, passed = 0, failed = 0, skipped = 0, gave_up = 0, cases = 0, accepted = 0;
  };
  /// The rows counted by verdict, and their cases.
  counts count() const;
  /// verdict_of() the rows and `incomplete`.
  losscheck::verdict verdict() const;
  bool passed() const { return verdict() == losscheck::verdict::pass; }
  /// exit_code() of the verdict and the interrupting signal.
  int exit_code() const;
  /// The rows this run was to run: the planned checks of its shard.
  long long planned_in_shard() const;

  /// The JSON document (docs/audit.md).
  nlohmann::json to_json() const;
  /// The JSON document as written to a file (indented, invalid UTF-8 replaced, a final newline).
  std::string json_text() const;
  /// JUnit XML: one testsuite, one testcase per row; an incomplete or nothing-checked audit adds an error testcase.
  std::string junit() const;
  /// One self-contained HTML file (no script, nothing fetched).
  std::string html() const;
  /// The header printed before the audit runs: target, seed, cases, dtypes, losses, fixtures, shard.
  void print_header(std::ostream& out) const;
  /// The failures grouped by root cause (finding_group), in the order of their first row.
  std::vector<finding_group> findings() const;
  /// Marks the failures `b` accepts (audit_row::accepted) and records `file` as the baseline.
  void apply_baseline(const baseline& b, const std::string& file);
  /// A baseline accepting every failure of this report (notes: each finding's class and text).
  baseline to_baseline() const;
  /// The summary for a terminal: the findings (one per root cause: its checks, smallest counterexample, replay), the
  /// table (the fixture rows and every row that did not pass; `verbose`: every row), the per-loss lines, the totals,
  /// the give-ups, INCOMPLETE when it is, and the verdict; `verbose` adds each failure's whole report.
  void print(std::ostream& out, bool verbose = false) const;

  /// Reads a JSON report. Throws std::invalid_argument naming `name` (a file) and the field when `j` is not a
  /// losscheck audit report this version reads (format "losscheck-audit", version 1, target, seed, results with loss,
  /// check, dtype, verdict and cases). Optional fields may be missing or odd: the renderers show what is there.
  static audit_report from_json(const nlohmann::json& j, const std::string& name);
};

/// (magnitude, ULPs) pairs thinned to at most audit_row::max_error_points: every k-th, and the largest error.
std::vector<std::array<double, 2>> error_points_of(const std::vector<double>& magnitudes, const std::vector<double>& ulps);

/// Merges the reports of the shards of one sharded audit (`--shard I/N`, any order) into the report of one run: the
/// rows sorted by their order in the plan, the summary and verdict recomputed, `shard` replaced by merged_from = N,
/// the timings summed. Throws std::invalid_argument naming the file, its shard and the field when the shards are
/// not the N distinct shards of one audit: a different losscheck, target, seed, cases per property, losses, dtypes,
/// properties, precision, timeout, fixtures, plan or N; a shard missing or given twice; a row outside its shard,
/// missing or reported twice. `names` (the files) name the shards in messages; empty: "report 1", "report 2", …
audit_report merge_reports(const std::vector<audit_report>& shards, const std::vector<std::string>& names = {});

}  // namespace losscheck
