// The adapter over RapidCheck's internals (rapidcheck_runner.h). Written against RapidCheck commit 08b5058 as packaged
// by Debian 12 (librapidcheck-dev 0~1033-08b5058-3): rc::detail::checkProperty, toProperty, TestMetadata,
// TestParams, TestListener, configuration(), Configuration, configToMinimalString and the four result types of
// rc/detail/Results.h. Another RapidCheck may change any of them: this file is the one to adapt.

#include "rapidcheck_runner.h"

#include <fmt/format.h>
#include <rapidcheck.h>

#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string_view>

namespace losscheck::properties::rapidcheck {
namespace {

class quiet_listener final : public rc::detail::TestListener {
 public:
  void onTestCaseFinished(const rc::detail::CaseDescription&) override {}
  void onShrinkTried(const rc::detail::CaseDescription&, bool) override {}
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}
};

}  // namespace

environment from_environment() {
  environment e;
  const auto& config = rc::detail::configuration();  // parses RC_PARAMS
  const char* params = std::getenv("RC_PARAMS");
  if (params && std::string_view(params).find("seed=") != std::string_view::npos) e.seed = config.testParams.seed;
  e.max_success = config.testParams.maxSuccess;
  e.shrink = !config.testParams.disableShrinking;
  return e;
}

check_result check(const std::string& id, const std::string& description, const std::function<void()>& body,
                   std::uint64_t seed, int max_success, bool shrink) {
  rc::detail::TestMetadata metadata;
  metadata.id = id;
  metadata.description = description;
  rc::detail::TestParams params = rc::detail::configuration().testParams;
  params.seed = seed;
  params.maxSuccess = max_success;
  params.disableShrinking = !shrink;
  quiet_listener listener;
  const auto result = rc::detail::checkProperty(rc::detail::toProperty([&] { body(); }), metadata, params, listener,
                                                rc::detail::configuration().reproduce);
  check_result out;
  if (result.is<rc::detail::SuccessResult>()) {
    out.status = check_status::success;
    out.successes = result.get<rc::detail::SuccessResult>().numSuccess;
  } else if (result.is<rc::detail::FailureResult>()) {
    const auto& f = result.get<rc::detail::FailureResult>();
    out.status = check_status::failure;
    out.successes = f.numSuccess;
    out.description = f.description;
    for (const auto& [type, value] : f.counterExample) out.counterexample.push_back(value);
    rc::detail::Configuration replay;
    replay.testParams.seed = seed;
    replay.reproduce[metadata.id] = f.reproduce;
    out.replay_params = rc::detail::configToMinimalString(replay);
  } else if (result.is<rc::detail::GaveUpResult>()) {
    const auto& g = result.get<rc::detail::GaveUpResult>();
    out.status = check_status::gave_up;
    out.successes = g.numSuccess;
    out.description = g.description;
  } else {
    out.status = check_status::error;
    out.description = result.get<rc::detail::Error>().description;
  }
  return out;
}

void announce_seed(std::uint64_t seed) {
  if (!std::getenv("RC_PARAMS")) ::setenv("RC_PARAMS", fmt::format("seed={}", seed).c_str(), 0);
}

void configure_quietly(std::uint64_t seed) {
  announce_seed(seed);
  // RapidCheck prints its configuration to std::cerr when configuration() is first called: call it now, silenced
  std::ostringstream sink;
  std::streambuf* const saved = std::cerr.rdbuf(sink.rdbuf());
  try {
    (void)rc::detail::configuration();
  } catch (...) {
    std::cerr.rdbuf(saved);
    throw;
  }
  std::cerr.rdbuf(saved);
}

}  // namespace losscheck::properties::rapidcheck
