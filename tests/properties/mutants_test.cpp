// The suite tests itself: every mutant of properties/mutants.cpp (a mistake real libraries make) must be killed by
// at least one property within the default budget. Prints the table mutant → properties that killed it.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <iostream>

#include "losscheck/reference.h"
#include "mutants.h"
#include "properties.h"

namespace {

using namespace losscheck;
using namespace losscheck::properties;

TEST(mutants, every_mutant_is_killed_by_the_suite) {
  auto reference = reference::make_target();
  auto catalog = mutant_catalog();
  run_options options = options_from_environment();
  options.shrink = false;  // the first failure is enough to kill
  std::cout << "mutant catalog: " << catalog.size() << " mutants, seed " << options.seed << ", " << options.max_success
            << " cases per property\n";
  ASSERT_GE(catalog.size(), 25u);
  std::vector<std::string> survivors;
  for (auto& m : catalog) {
    const context ctx{*m.make, *reference, {dtype::float32, dtype::float64}};
    std::vector<std::string> killers;
    std::string first_report;
    for (const property* p : properties_using(m.loss)) {
      const auto outcome = run_property(*p, ctx, options);
      if (!outcome.passed) {
        killers.push_back(p->name);
        if (first_report.empty()) first_report = outcome.report.substr(0, 600);
      }
    }
    std::cout << fmt::format("{:<52} killed by {:>2}: {}\n", m.name, killers.size(), fmt::join(killers, ", "));
    if (killers.empty()) survivors.push_back(m.name + " (" + m.doc + ")");
  }
  EXPECT_TRUE(survivors.empty()) << "surviving mutants:\n  " << fmt::format("{}", fmt::join(survivors, "\n  "));
}

}  // namespace
