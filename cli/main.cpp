// losscheck: proves loss functions right. See README.md and docs/format.md.

#include <CLI/CLI.hpp>
#include <iostream>

#include "commands.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  CLI::App app{"losscheck: cross-checks loss functions against a high-precision reference"};
  app.require_subcommand(1);
  unsigned precision = 256;

  std::string run_target = "impl";
  auto* run = app.add_subcommand("run", "Evaluate cases read as JSON lines on stdin; one result per line on stdout");
  run->add_option("--target", run_target, "impl | reference | libtorch")->capture_default_str();
  run->add_option("--precision", precision, "reference precision in bits")->capture_default_str()->check(CLI::Range(24u, 100000u));

  auto* list = app.add_subcommand("list", "List the losses with their inputs, options and defaults");

  auto* show = app.add_subcommand("showcase", "Evaluate a built-in set of cases with impl and reference, side by side");
  show->add_option("--precision", precision, "reference precision in bits")->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  try {
    if (*run) {
      auto t = losscheck::cli::make_builtin_target(run_target, precision);
      return losscheck::cli::run_protocol(*t, std::cin, std::cout, std::cerr);
    }
    if (*list) {
      losscheck::cli::list_losses(std::cout);
      return 0;
    }
    if (*show) return losscheck::cli::showcase(std::cout, precision);
  } catch (const std::exception& e) {
    std::cerr << "losscheck: " << e.what() << '\n';
    return 2;
  }
  return 0;
}
