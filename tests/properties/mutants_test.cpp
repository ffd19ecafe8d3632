// The suite tests itself: every mutant of properties/mutants.cpp (a mistake real libraries make) must be killed by
// at least one property within the default budget. A kill is a property that *failed* on the mutant: one that gave
// up (too many generated cases discarded) or could not run has shown nothing, and is listed apart, never counted.
// Prints the table mutant → properties that killed it (and those that gave up or erred).

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <iostream>

#include "losscheck/reference.h"
#include "mutants.h"
#include "losscheck/properties.h"

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
  int give_ups = 0, errors = 0;
  for (auto& m : catalog) {
    const context ctx{*m.make, *reference, {dtype::float32, dtype::float64}};
    std::vector<std::string> killers, gave_up, erred;
    for (const property* p : properties_using(m.loss)) {
      const auto outcome = run_property(*p, ctx, options);
      switch (outcome.status) {
        case run_status::failed: killers.push_back(p->name); break;
        case run_status::gave_up: gave_up.push_back(p->name); break;
        case run_status::error: erred.push_back(fmt::format("{} ({})", p->name, outcome.report)); break;
        case run_status::passed:
        case run_status::skipped: break;
      }
    }
    give_ups += static_cast<int>(gave_up.size());
    errors += static_cast<int>(erred.size());
    std::cout << fmt::format("{:<52} killed by {:>2}: {}\n", m.name, killers.size(), fmt::join(killers, ", "));
    if (!gave_up.empty())
      std::cout << fmt::format("{:<52} gave up    {:>2}: {} (not kills)\n", "", gave_up.size(), fmt::join(gave_up, ", "));
    if (!erred.empty())
      std::cout << fmt::format("{:<52} error      {:>2}: {} (not kills)\n", "", erred.size(), fmt::join(erred, "; "));
    if (killers.empty())
      survivors.push_back(fmt::format("{} ({}){}", m.name, m.doc,
                                      gave_up.empty() && erred.empty()
                                          ? ""
                                          : fmt::format(" -- {} properties gave up and {} erred on it: not kills",
                                                        gave_up.size(), erred.size())));
  }
  std::cout << fmt::format("give-ups: {}, errors: {} (neither counts as a kill)\n", give_ups, errors);
  EXPECT_TRUE(survivors.empty()) << "surviving mutants:\n  " << fmt::format("{}", fmt::join(survivors, "\n  "));
}

}  // namespace
