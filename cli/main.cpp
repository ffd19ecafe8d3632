// losscheck: proves loss functions right. See README.md and docs/format.md.

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

#ifdef LOSSCHECK_HAVE_PROPERTIES
#include "audit.h"
#include "diagnosis.h"
#include "report.h"
#endif

#include "commands.h"
#include "fixtures.h"
#ifdef LOSSCHECK_HAVE_ONNX
#include "fixtures_onnx.h"
#endif
#include "losscheck/audit/verdict.h"
#include "losscheck/reference.h"
#include "losscheck/suggest.h"  // the exit codes (header only: built with or without the audit library)

namespace {

/// The committed fixtures: share/losscheck/fixtures beside an installed command line (<prefix>/bin/losscheck), else
/// the source tree's fixtures/ this one was built from, else none.
std::string default_fixtures_dir() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto installed = exe.parent_path().parent_path() / "share" / "losscheck" / "fixtures";
    if (std::filesystem::is_directory(installed, ec)) return installed.string();
  }
#ifdef LOSSCHECK_FIXTURES_DIR
  if (std::filesystem::is_directory(LOSSCHECK_FIXTURES_DIR, ec)) return LOSSCHECK_FIXTURES_DIR;
#endif
  return "";
}

/// --precision BITS: at least min_precision_bits (a float64 input must convert exactly), at most 100000.
const CLI::Validator precision_bits(
    [](std::string& text) -> std::string {
      unsigned long bits = 0;
      std::size_t end = 0;
      try {
        bits = std::stoul(text, &end);
      } catch (const std::exception&) {
        end = 0;
      }
      if (end == 0 || end != text.size()) return fmt::format("'{}' is not a number of bits", text);
      if (bits < losscheck::cli::min_precision_bits)
        return fmt::format("{} bits is too few: the reference needs at least {} bits, so that every float64 input "
                           "converts to it exactly",
                           bits, losscheck::cli::min_precision_bits);
      if (bits > 100000) return fmt::format("{} bits is more than the 100000 losscheck allows", bits);
      return "";
    },
    fmt::format("BITS >= {}", losscheck::cli::min_precision_bits));

/// The exit code of a command line that did not parse: --help and --version are 0, a subcommand that ran from its
/// callback (report) leaves with its own code, anything else is a usage error (2), as docs/audit.md says.
int parse_error_exit(const CLI::App& app, const CLI::ParseError& e) {
  const int code = app.exit(e);
  if (dynamic_cast<const CLI::CallForHelp*>(&e) || dynamic_cast<const CLI::CallForAllHelp*>(&e) ||
      dynamic_cast<const CLI::CallForVersion*>(&e) || dynamic_cast<const CLI::RuntimeError*>(&e) ||
      dynamic_cast<const CLI::Success*>(&e))
    return code;
  return losscheck::exit_codes::usage;
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  CLI::App app{"losscheck: cross-checks loss functions against a high-precision reference"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("losscheck ") + LOSSCHECK_VERSION);
  app.footer("Exit codes: 0 pass, 1 a check failed, 2 usage error (bad arguments, unreadable or malformed input, an "
             "exec target that cannot run, a report that cannot be written), 3 incomplete (time limit), 4 nothing "
             "checked (every check skipped), 128+N stopped by signal N (docs/audit.md).\n");
  unsigned precision = 256;

  std::string run_target = "impl";
  auto* run = app.add_subcommand("run", "Evaluate cases read as JSON lines on stdin; one result per line on stdout");
  double exec_timeout_s = 10;
  run->add_option("--target", run_target, "impl | reference | libtorch | exec:COMMAND")->capture_default_str();
  run->add_option("--timeout", exec_timeout_s, "exec targets: seconds per case")->capture_default_str()->check(CLI::PositiveNumber);
  run->add_option("--precision", precision, "reference precision in bits")->capture_default_str()->check(precision_bits);

  auto* list = app.add_subcommand("list", "List the losses with their inputs, options and defaults");
  bool list_properties = false;
  std::vector<std::string> list_losses;
  list->add_flag("--properties", list_properties, "list the properties (the audit's checks) of each loss instead");
  list->add_option("--loss", list_losses, "only these losses")->delimiter(',');

  auto* show = app.add_subcommand("showcase", "Evaluate a built-in set of cases with impl and reference, side by side");
  show->add_option("--precision", precision, "reference precision in bits")->capture_default_str()->check(precision_bits);

  auto* fixtures = app.add_subcommand("fixtures", "Golden fixture files (docs/format.md): generate with LibTorch, verify");
  fixtures->require_subcommand(1);
  std::string fixtures_out;
  std::vector<std::string> fixtures_losses;
  auto* generate = fixtures->add_subcommand("generate", "Evaluate the fixture catalog with LibTorch; write DIR/<loss>.json");
  generate->add_option("--out", fixtures_out, "output directory")->required();
  generate->add_option("--loss", fixtures_losses, "losses to generate (default: all)")->delimiter(',');
  losscheck::cli::verify_options verify_opts;
  auto* verify = fixtures->add_subcommand("verify", "Evaluate fixture cases with a target and compare with the expected results");
  verify->add_option("--target", verify_opts.target_name, "impl | reference | libtorch | exec:COMMAND")->capture_default_str();
  verify->add_option("--precision", precision, "reference precision in bits")->capture_default_str()->check(precision_bits);
  verify->add_option("--id", verify_opts.ids, "only the cases with these ids")->delimiter(',')->allow_extra_args(false);
  verify->add_option("--loss", verify_opts.losses, "only the cases of these losses")->delimiter(',')->allow_extra_args(false);
  verify->add_option("--dtype", verify_opts.dtypes, "only the cases of these dtypes (float32, float64, bfloat16, float16)")->delimiter(',')->allow_extra_args(false);
  verify->add_option("--timeout", exec_timeout_s, "exec targets: seconds per case")->capture_default_str()->check(CLI::PositiveNumber);
  verify->add_flag("--verbose,-v", verify_opts.verbose, "print every failing case");
  verify->add_option("--json", verify_opts.json_path, "write the JSON report (docs/format.md) to FILE");
  verify->add_option("files", verify_opts.files, "fixture files")->required();
  losscheck::cli::diff_options diff_opts;
  auto* diff = fixtures->add_subcommand("diff", "Compare two fixture files' witnesses case by case; the reference referees");
  diff->add_option("files", diff_opts.first, "A B (two files), or A's files with --against")->required();
  diff->add_option("--against", diff_opts.second, "B's fixture files (then every positional file is A's)");
  diff->add_option("--id", diff_opts.ids, "only the cases with these ids")->delimiter(',')->allow_extra_args(false);
  diff->add_option("--loss", diff_opts.losses, "only the cases of these losses")->delimiter(',')->allow_extra_args(false);
  diff->add_option("--dtype", diff_opts.dtypes, "only the cases of these dtypes (float32, float64, bfloat16, float16)")->delimiter(',')->allow_extra_args(false);
  diff->add_option("--precision", precision, "reference precision in bits")->capture_default_str()->check(precision_bits);
  diff->add_flag("--verbose,-v", diff_opts.verbose, "list every disagreement");
  diff->add_option("--json", diff_opts.json_path, "write the JSON report to FILE");
  auto* import = fixtures->add_subcommand("import", "Write golden data from elsewhere as a fixture file (docs/format.md)");
  import->require_subcommand(1);
  auto* import_onnx = import->add_subcommand("onnx", "ONNX backend node tests of SoftmaxCrossEntropyLoss and "
                                                     "NegativeLogLikelihoodLoss (forward-only cases)");
#ifdef LOSSCHECK_HAVE_ONNX
  losscheck::cli::onnx_import_options onnx_opts;
  import_onnx->add_option("dirs", onnx_opts.dirs, "node-test directories (model.onnx, test_data_set_*/), or directories of them")
      ->required();
  import_onnx->add_option("--out", onnx_opts.out_path, "the fixture file to write")->required();
  import_onnx->add_option("--witness", onnx_opts.witness_name, "the witness's name in the file")->capture_default_str();
  import_onnx->add_option("--witness-version", onnx_opts.witness_version, "its version (e.g. libonnx-testdata's)");
#else
  import_onnx->allow_extras();
#endif

#ifdef LOSSCHECK_HAVE_PROPERTIES
  losscheck::cli::audit_command_options audit_opts;
  auto& ao = audit_opts.audit;
  ao.fixtures_dir = default_fixtures_dir();
  auto* audit = app.add_subcommand("audit", "Run every property and every committed fixture that applies against a target");
  audit->add_option("--target", audit_opts.target_name, "impl | reference | libtorch | exec:COMMAND")->capture_default_str();
  audit->add_option("--loss", ao.losses, "losses to audit (default: all)")->delimiter(',');
  audit->add_option("--dtype", ao.dtypes, "float32, float64, bfloat16, float16 (default: float32,float64)")->delimiter(',');
  audit->add_option("--property", ao.properties, "only these properties ('fixtures' for the fixtures)")->delimiter(',');
  audit->add_option("--cases", ao.cases, "cases per property")->capture_default_str()->check(CLI::Range(1, 100000000));
  audit->add_option("--seed", ao.seed, "RapidCheck seed")->capture_default_str();
  audit->add_option("--timeout", ao.timeout_seconds, "exec targets: seconds per case")->capture_default_str()->check(CLI::PositiveNumber);
  audit->add_option("--precision", ao.precision, "reference precision in bits")->capture_default_str()->check(precision_bits);
  audit->add_option("--fixtures", ao.fixtures_dir, "directory of fixture files (*.json)")->capture_default_str();
  audit->add_flag("--no-fixtures", audit_opts.no_fixtures, "run the properties only");
  audit->add_option("--json", audit_opts.json_path, "write the JSON report (docs/audit.md) to FILE");
  audit->add_option("--junit", audit_opts.junit_path, "write a JUnit XML report to FILE");
  audit->add_option("--html", audit_opts.html_path, "write a self-contained HTML report to FILE");
  audit->add_option("--counterexamples", audit_opts.counterexamples_path,
                    "write the failures' counterexamples as a fixture file (default: next to --json)");
  std::string shard;
  audit->add_option("--shard", shard, "I/N: run the I-th of N slices of the plan (merge: losscheck report merge)");
  audit->add_option("--time-limit", ao.time_limit_seconds, "stop after SECONDS; the reports say incomplete")
      ->check(CLI::PositiveNumber);
  audit->add_option("--exclude-class", ao.exclude_classes,
                    "edge classes the target deliberately does not support (empty, nonfinite, subnormal, 0-D, …): "
                    "their cases are not asked and count as unsupported")
      ->delimiter(',');
  audit->add_flag("--verbose,-v", audit_opts.verbose, "list every row and each failing check's whole report");
  audit->add_option("--baseline", audit_opts.baseline_path,
                    "accepted findings (a file --write-baseline wrote): they are reported apart and do not fail the audit");
  audit->add_option("--write-baseline", audit_opts.write_baseline_path,
                    "write this run's failures as accepted findings to FILE (edit its notes, commit it, pass --baseline)");
#endif

#ifdef LOSSCHECK_HAVE_PROPERTIES
  // `losscheck report merge|html` (cli/report.h): reports rendered from audit JSON. Runs from its callback; its exit
  // code leaves through CLI::RuntimeError, which CLI11_PARSE returns without printing.
  losscheck::cli::report_options report_opts;
  auto* report = app.add_subcommand("report", "Merge the JSON reports of sharded audits; render a JSON report as HTML");
  report->require_subcommand(1);
  auto* report_merge = report->add_subcommand("merge", "Merge the JSON reports of `losscheck audit --shard I/N` runs");
  report_merge->add_option("files", report_opts.inputs, "the JSON reports of the N shards")->required();
  report_merge->add_option("--json", report_opts.json_path, "write the merged JSON report to FILE");
  report_merge->add_option("--junit", report_opts.junit_path, "write a JUnit XML report to FILE");
  report_merge->add_option("--html", report_opts.html_path, "write an HTML report to FILE");
  auto* report_html = report->add_subcommand("html", "Render a JSON audit report as one self-contained HTML file");
  report_html->add_option("input", report_opts.inputs, "the JSON report")->required()->expected(1);
  report_html->add_option("--out", report_opts.html_path, "the HTML file to write")->required();
  for (auto* sub : {report_merge, report_html})
    sub->callback([&report_opts, sub] {
      report_opts.action = sub->get_name();
      throw CLI::RuntimeError(losscheck::cli::report_command(report_opts, std::cout, std::cerr));
    });
#endif

  if (argc > 1 && argv[1][0] != '-') {  // an unknown command is named, with the close one (CLI11 says only "required")
    std::vector<std::string> commands;
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) commands.push_back(sub->get_name());
    if (std::find(commands.begin(), commands.end(), argv[1]) == commands.end()) {
      std::cerr << fmt::format("losscheck: unknown command '{}'{} (commands: {})\n", argv[1],
                               losscheck::did_you_mean(argv[1], commands), fmt::join(commands, ", "));
      return losscheck::exit_codes::usage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return parse_error_exit(app, e);
  }
  try {
    if (*run) {
      auto t = losscheck::cli::make_target(run_target, precision, std::chrono::milliseconds(static_cast<long long>(exec_timeout_s * 1000)));
      return losscheck::cli::run_protocol(*t, std::cin, std::cout, std::cerr);
    }
#ifdef LOSSCHECK_HAVE_PROPERTIES
    if (*audit) {
      audit_opts.progress = ::isatty(2) == 1;
      audit_opts.catch_signals = true;
      if (!shard.empty()) {
        int i = 0, n = 0;
        char slash = 0, extra = 0;
        if (std::sscanf(shard.c_str(), "%d%c%d%c", &i, &slash, &n, &extra) != 3 || slash != '/') {
          std::cerr << "losscheck audit: --shard " << shard << ": want I/N, e.g. 2/4\n";
          return losscheck::exit_codes::usage;
        }
        ao.shard = {i, n};
      }
      return losscheck::cli::audit_command(audit_opts, std::cout, std::cerr);
    }
#endif
    if (*list) {
      if (list_properties) {
#ifdef LOSSCHECK_HAVE_PROPERTIES
        return losscheck::cli::list_properties(list_losses, std::cout, std::cerr);
#else
        std::cerr << "losscheck list --properties: this losscheck was built without the property suite\n";
        return losscheck::exit_codes::usage;
#endif
      }
      return losscheck::cli::list_losses(list_losses, std::cout, std::cerr);
    }
    if (*show) return losscheck::cli::showcase(std::cout, precision);
    if (*generate) {
      return losscheck::cli::generate_fixtures(fixtures_out, fixtures_losses, std::cout, std::cerr);
    }
    if (*diff) {
      if (diff_opts.second.empty()) {
        if (diff_opts.first.size() != 2) {
          std::cerr << "losscheck fixtures diff: give two files, A B, or A's files and --against B's files\n";
          return losscheck::exit_codes::usage;
        }
        diff_opts.second = {diff_opts.first.back()};
        diff_opts.first.pop_back();
      }
      const auto reference = losscheck::reference::make_target(precision);
      diff_opts.reference = [&reference](const losscheck::loss_case& c) { return reference->evaluate(c); };
      return losscheck::cli::diff_fixtures(diff_opts, std::cout, std::cerr);
    }
    if (*import_onnx) {
#ifdef LOSSCHECK_HAVE_ONNX
      return losscheck::cli::import_onnx_command(onnx_opts, std::cout, std::cerr);
#else
      std::cerr << "losscheck fixtures import onnx: this losscheck was built without ONNX (libonnx-dev, libprotobuf-dev)\n";
      return losscheck::exit_codes::usage;
#endif
    }
    if (*verify) {
      auto t = losscheck::cli::make_target(verify_opts.target_name, precision,
                                           std::chrono::milliseconds(static_cast<long long>(exec_timeout_s * 1000)));
      if (const std::string why = losscheck::cli::start_failure(*t); !why.empty()) {
        std::cerr << "losscheck fixtures verify: " << why << '\n';
        return losscheck::exit_codes::usage;
      }
#ifdef LOSSCHECK_HAVE_PROPERTIES
      const auto reference = losscheck::reference::make_target(precision);
      verify_opts.diagnose = [&reference](const losscheck::loss_case& c, losscheck::target& subject) {
        std::vector<std::string> out;
        for (const auto& f : losscheck::properties::diagnose(c, subject, *reference))
          out.push_back(fmt::format("[{}] {}{}", f.kind, f.text,
                                    f.kind == "precision" && !f.detail.empty() ? " -- " + f.detail : ""));
        return out;
      };
      verify_opts.reference = [&reference](const losscheck::loss_case& c) { return reference->evaluate(c); };
#endif
      return losscheck::cli::verify_fixtures(*t, verify_opts, std::cout, std::cerr);
    }
  } catch (const std::exception& e) {
    std::cerr << "losscheck: " << e.what() << '\n';
    return losscheck::exit_codes::usage;
  }
  return losscheck::exit_codes::pass;
}
