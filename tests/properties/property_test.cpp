// The property suite (properties/) run against the correct implementations: impl in float32, impl in float64 and the
// reference itself (both dtypes). Expected values come from the properties: agreement with the 256-bit reference
// under docs/tolerances.md, and identities of the mathematics whose bounds are derived next to each property.
//
// Seed: fixed (properties::default_seed) unless RC_PARAMS sets one; LOSSCHECK_DEEP=1 runs 100× more cases.
// Every failure prints the seed, the shrunk counterexample as a JSON case and replay commands.

#include <gtest/gtest.h>

#include <iostream>
#include <memory>

#include "losscheck/impl.h"
#include "losscheck/reference.h"
#include "losscheck/properties.h"

namespace {

using namespace losscheck;
using namespace losscheck::properties;

struct subject {
  std::string name;
  std::function<std::unique_ptr<target>()> make;
  std::vector<dtype> dtypes;
};

class property_test : public ::testing::Test {
 public:
  property_test(const property* p, subject s) : p_(p), s_(std::move(s)) {}
  void TestBody() override {
    auto tested = s_.make();
    auto reference = reference::make_target();
    const context ctx{*tested, *reference, s_.dtypes};
    run_options options = options_from_environment();
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    options.replay_command = std::string("./build/tests/property_test --gtest_filter=") + info->test_suite_name() + "." +
                             info->name();
    const auto outcome = run_property(*p_, ctx, options);
    std::cout << "[" << s_.name << "] " << p_->name << ": " << outcome.report << "\n"
              << "  coverage over " << outcome.cases << " cases:\n"
              << format_coverage(outcome.coverage, outcome.cases);
    EXPECT_TRUE(outcome.passed()) << "property " << to_string(outcome.status)
                                  << " (the report, with the counterexample and replay of a failure, is above)";
  }

 private:
  const property* p_;
  subject s_;
};

const bool registered = [] {
  const std::vector<subject> subjects = {
      {"impl_float32", [] { return impl::make_target(); }, {dtype::float32}},
      {"impl_float64", [] { return impl::make_target(); }, {dtype::float64}},
      {"impl_both", [] { return impl::make_target(); }, {dtype::float32, dtype::float64}},
      {"reference", [] { return reference::make_target(); }, {dtype::float32, dtype::float64}},
  };
  for (const auto& p : registry()) {
    for (const auto& s : subjects) {
      // the dtype-consistency property needs both dtypes; the others run per dtype
      const bool dtype_prop = p.name == "float32_result_lies_within_the_float32_bound_of_float64";
      // the half rows (every property in bfloat16 and float16, the half/float32 consistency property among them) run
      // as whole audits: ctest audit_impl_half, audit_reference_half (tests/CMakeLists.txt)
      if (p.half_only) continue;
      if (dtype_prop ? s.dtypes.size() < 2 : s.name == "impl_both") continue;
      ::testing::RegisterTest(("properties_" + p.loss + "_" + s.name).c_str(), p.name.c_str(), nullptr, nullptr,
                              __FILE__, __LINE__, [pp = &p, s]() -> ::testing::Test* { return new property_test(pp, s); });
    }
  }
  std::cout << "property suite: seed " << options_from_environment().seed << " (RC_PARAMS overrides), "
            << options_from_environment().max_success << " cases per property\n";
  return true;
}();

}  // namespace
