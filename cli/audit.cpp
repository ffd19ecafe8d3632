// `losscheck audit` (audit.h): the target, the signals, the progress line, the printed report and the report files.
// The audit itself is the library losscheck::audit (audit/).

#include "audit.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "atomic_file.h"
#include "commands.h"
#include "exec_target.h"
#include "fixtures.h"
#include "interrupt.h"
#include "losscheck/loss_record.h"
#include "losscheck/shell.h"
#include "losscheck/suggest.h"
#include "losscheck/properties.h"

namespace losscheck::cli {
namespace {

/// What the audit asks of an exec target besides its answers.
class exec_monitor final : public target_monitor {
 public:
  explicit exec_monitor(exec_target& t) : t_(t) {}
  bool last_was_incident() const override { return t_.last_was_incident(); }
  void set_deadline(std::chrono::steady_clock::time_point t) override { t_.set_deadline(t); }
  std::string summary() const override {
    if (t_.incidents() == 0) return "";
    return fmt::format("exec target: {} incidents (timeouts, crashes, exits, garbage, wrong ids), started {} times; "
                       "first: {}",
                       t_.incidents(), t_.starts(), t_.first_incident());
  }

 private:
  exec_target& t_;
};

/// The counterexample fixture file: --counterexamples, else next to the JSON report, else none.
std::string counterexamples_path(const audit_command_options& o) {
  if (!o.counterexamples_path.empty()) return o.counterexamples_path;
  if (o.json_path.empty()) return "";
  std::string_view stem = o.json_path;
  if (stem.ends_with(".json")) stem.remove_suffix(5);
  return fmt::format("{}.counterexamples.json", stem);
}

}  // namespace

int list_properties(const std::vector<std::string>& only, std::ostream& out, std::ostream& err) {
  std::vector<std::string> names;
  for (const auto& spec : loss_catalog()) names.emplace_back(spec.name);
  for (const auto& l : only)
    if (!find_loss(l)) {
      err << fmt::format("losscheck list: unknown loss '{}'{} (losses: {})\n", l, did_you_mean(l, names), loss_names());
      return exit_codes::usage;
    }
  for (const auto& spec : loss_catalog()) {
    if (!only.empty() && std::find(only.begin(), only.end(), spec.name) == only.end()) continue;
    out << spec.name << "\n";
    for (const auto& p : properties::registry()) {
      if (p.loss != spec.name) continue;
      out << fmt::format("  {}{}\n    {}\n", p.name, p.spans_dtypes ? " (float32 against float64: one row)" : (p.half_only ? " (bfloat16 and float16 rows only)" : ""), p.doc);
    }
    out << "  fixtures\n    every committed golden fixture case of the loss (fixtures/" << spec.name << ".json)\n\n";
  }
  return exit_codes::pass;
}

int audit_command(const audit_command_options& o, std::ostream& out, std::ostream& err) {
  std::unique_ptr<target> subject;
  try {
    subject = make_target(o.target_name, o.audit.precision,
                          std::chrono::milliseconds(static_cast<long long>(std::llround(o.audit.timeout_seconds * 1000))));
  } catch (const std::invalid_argument& e) {
    err << "losscheck audit: " << e.what() << '\n';
    return exit_codes::usage;
  }
  // the report files can be written: checked before the audit runs, not discovered after it
  for (const auto& [path, what] : {std::pair{o.json_path, "--json"}, std::pair{o.junit_path, "--junit"},
                                   std::pair{o.html_path, "--html"}, std::pair{o.counterexamples_path, "--counterexamples"},
                                   std::pair{o.write_baseline_path, "--write-baseline"}}) {
    if (path.empty()) continue;
    if (const std::string why = unwritable(path); !why.empty()) {
      err << fmt::format("losscheck audit: {} {}: {}\n", what, path, why);
      return exit_codes::usage;
    }
  }
  std::optional<baseline> accepted;
  if (!o.baseline_path.empty()) {
    try {
      accepted = baseline::from_json(read_json_file(o.baseline_path), o.baseline_path);
    } catch (const std::exception& e) {
      err << "losscheck audit: --baseline " << e.what() << '\n';
      return exit_codes::usage;
    }
  }
  audit_options options = o.audit;
  options.baseline = accepted;
  options.baseline_file = o.baseline_path;
  std::optional<exec_monitor> monitor;
  if (auto* exec = dynamic_cast<exec_target*>(subject.get())) {
    // a command that cannot run at all is one usage error, not a row of failures per property
    if (const std::string why = start_failure(*exec); !why.empty()) {
      err << "losscheck audit: " << why << '\n';
      return exit_codes::usage;
    }
    options.monitor = &monitor.emplace(*exec);
  }
  if (o.no_fixtures) options.fixtures_dir.clear(), options.fixture_files.clear();
  if (o.catch_signals) {
    catch_interrupts();
    options.interrupted = [] { return interrupted(); };
  }
  options.on_start = [&out](const audit_report& r) {
    r.print_header(out);
    out.flush();
  };
  if (o.progress)
    options.progress = [&err](std::size_t done, std::size_t total, const std::string& what) {
      err << fmt::format("\r\033[K[{}/{}] {}", done, total, what) << std::flush;
    };

  audit_report report;
  try {
    report = audit(*subject, options);
  } catch (const std::invalid_argument& e) {
    err << "losscheck audit: " << e.what() << '\n';
    return exit_codes::usage;
  }
  if (o.progress) err << "\r\033[K" << std::flush;

  name_counterexamples_file(report, counterexamples_path(o));
  report.print(out, o.verbose);
  out.flush();
  try {
    if (!report.counterexamples_file.empty()) {
      std::vector<fixture_case> cases;
      for (const auto& c : report.counterexamples) {
        fixture_case fc;
        fc.c = c.c;
        fc.expected = c.expected;
        cases.push_back(std::move(fc));
      }
      write_fixture_file(report.counterexamples_file,
                         nlohmann::json{{"tool", "losscheck audit"}, {"target", subject->name()}, {"seed", options.seed},
                                        {"expected", fmt::format("the reference at {} bits", options.precision)}}
                             .dump(),
                         cases);
      out << fmt::format("counterexamples: {} (replay: losscheck fixtures verify --target {} {})\n",
                         report.counterexamples_file, shell_quote(o.target_name), shell_quote(report.counterexamples_file));
    }
    if (!o.json_path.empty()) write_file_atomically(o.json_path, report.json_text());
    if (!o.junit_path.empty()) write_file_atomically(o.junit_path, report.junit());
    if (!o.html_path.empty()) write_file_atomically(o.html_path, report.html());
    if (!o.write_baseline_path.empty()) {
      const baseline b = report.to_baseline();
      write_file_atomically(o.write_baseline_path, b.to_json().dump(2) + "\n");
      out << fmt::format("baseline: {} accepted finding{} written to {} (use: --baseline {})\n", b.accepted.size(),
                         b.accepted.size() == 1 ? "" : "s", o.write_baseline_path, shell_quote(o.write_baseline_path));
    }
  } catch (const std::exception& e) {
    err << "losscheck audit: " << e.what() << '\n';
    return exit_codes::usage;
  }
  return report.exit_code();
}

}  // namespace losscheck::cli
