#pragma once
// Reports rendered from the JSON document of an audit (docs/audit.md): JUnit XML, one self-contained HTML file, and
// the merge of the JSON documents of several `losscheck audit --shard I/N` runs into the document of one run. Every
// report is rendered from the JSON, so that a merged report renders exactly as the report of a single run.

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

namespace losscheck::cli {

/// Checks that `audit` is a losscheck audit report this version reads (format "losscheck-audit", version 1, the
/// fields every renderer needs). Throws std::invalid_argument naming `name` (a file) and the field.
void validate_audit_report(const nlohmann::json& audit, const std::string& name);

/// JUnit XML: one testsuite for the target (seed and target as properties), one testcase per loss × check × dtype;
/// a failing row holds its message, whole report, diagnosis and counterexample fixture; a skipped row its reason.
std::string junit_from_json(const nlohmann::json& audit);

/// One self-contained HTML file (no script, no network, inline CSS and SVG): the header with the verdict, per-loss
/// tables with an error histogram in ULPs per row, and the failures with diagnosis, counterexample and replay lines.
std::string html_from_json(const nlohmann::json& audit);

/// Merges the JSON documents of the shards of one sharded audit (`--shard I/N`, any order) into the document of one
/// run: the results sorted by their order in the plan, the summary and verdict recomputed, `shard` replaced by
/// `"merged_from": N`. Throws std::invalid_argument when the shards are not the N distinct shards of one audit (a
/// different target, seed, cases, losses, dtypes, fixtures or N; a shard missing or given twice; a check missing or
/// reported twice). `names` (the files) name the shards in messages; empty: "report 1", "report 2", …
nlohmann::json merge_reports(const std::vector<nlohmann::json>& shards, const std::vector<std::string>& names = {});

/// `losscheck report merge FILE... [--json OUT] [--junit OUT] [--html OUT]` and `losscheck report html IN --out OUT`.
struct report_options {
  std::string action;               ///< "merge" or "html"
  std::vector<std::string> inputs;  ///< JSON audit reports
  std::string json_path, junit_path, html_path;
};

/// Runs `losscheck report`. merge: prints the summary and verdict as `losscheck audit` does and returns 0 (pass),
/// 1 (a check failed), 3 (incomplete, nothing failed); html: returns 0. Both return 2 for an unreadable or malformed
/// input or shards that do not merge (reported on `err`), or a report that could not be written.
int report_command(const report_options& o, std::ostream& out, std::ostream& err);

}  // namespace losscheck::cli
