// `losscheck report merge|html` (report.h).

#include "report.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "atomic_file.h"
#include "losscheck/audit/report.h"

namespace losscheck::cli {
namespace {

}  // namespace

int report_command(const report_options& o, std::ostream& out, std::ostream& err) {
  const std::string cmd = "losscheck report " + o.action;
  audit_report report;
  std::vector<std::string> inputs;  // the reports among o.inputs
  try {
    std::vector<audit_report> reports;
    for (const auto& p : o.inputs) {
      const nlohmann::json j = read_json_file(p);
      // `shard-*.json` also matches an audit's counterexample file (shard-1.counterexamples.json): a fixture file,
      // said and skipped by merge rather than refused (docs/audit.md "Sharding")
      if (o.action == "merge" && j.is_object() && j.value("format", "") == "losscheck-fixtures") {
        err << fmt::format("{}: skipping {}: a fixture file (an audit's counterexamples), not an audit report\n", cmd, p);
        continue;
      }
      reports.push_back(audit_report::from_json(j, p));
      inputs.push_back(p);
    }
    if (reports.empty()) throw std::invalid_argument("no audit report among the files given");
    if (o.action == "html") {
      if (reports.size() != 1) throw std::invalid_argument(fmt::format("want one JSON report, got {}", reports.size()));
      report = std::move(reports[0]);
    } else if (o.action == "merge") {
      report = merge_reports(reports, inputs);
    } else {
      throw std::invalid_argument(fmt::format("unknown action '{}' (merge, html)", o.action));
    }
  } catch (const std::exception& e) {
    err << cmd << ": " << e.what() << '\n';
    return exit_codes::usage;
  }

  if (o.action == "merge") {
    out << fmt::format("losscheck report merge: {} report{} of the audit of {}\n", inputs.size(),
                       inputs.size() == 1 ? "" : "s", report.settings.target);
    report.print(out);
  }
  try {
    if (!o.json_path.empty()) write_file_atomically(o.json_path, report.json_text());
    if (!o.junit_path.empty()) write_file_atomically(o.junit_path, report.junit());
    if (!o.html_path.empty()) write_file_atomically(o.html_path, report.html());
  } catch (const std::exception& e) {
    err << cmd << ": " << e.what() << '\n';
    return exit_codes::usage;
  }
  out.flush();
  return o.action == "merge" ? report.exit_code() : exit_codes::pass;
}

}  // namespace losscheck::cli
