#pragma once
// `losscheck report`: the merge of the JSON reports of sharded audits, and a JSON report rendered as HTML. Both read
// the JSON into the audit library's report (losscheck/audit/report.h) and render it with the renderers of
// `losscheck audit`, so that a merged report reads exactly as the report of one run (docs/audit.md).

#include <ostream>
#include <string>
#include <vector>

namespace losscheck::cli {

/// `losscheck report merge FILE... [--json OUT] [--junit OUT] [--html OUT]` and `losscheck report html IN --out OUT`.
struct report_options {
  std::string action;               ///< "merge" or "html"
  std::vector<std::string> inputs;  ///< JSON audit reports
  std::string json_path, junit_path, html_path;
};

/// Runs `losscheck report`. merge: prints the report as `losscheck audit` does and returns its exit code (0 pass,
/// 1 a check failed, 3 incomplete, 4 nothing checked); html: returns 0. Both return 2 for an unreadable or malformed
/// input or shards that do not merge (reported on `err`), or a report that could not be written.
int report_command(const report_options& o, std::ostream& out, std::ostream& err);

}  // namespace losscheck::cli
