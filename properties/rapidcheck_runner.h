#pragma once
/// @file rapidcheck_runner.h
/// The one place losscheck runs a RapidCheck property outside `RC_GTEST_PROP`: with a given seed, number of cases and
/// shrinking, quietly (no per-case output), with RapidCheck's RC_PARAMS honoured for what it says (seed, cases,
/// noshrink, reproduce). RapidCheck has no public API for this, so rapidcheck_runner.cpp uses its internals
/// (`rc::detail`); no other file of losscheck does. This header includes nothing of RapidCheck.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace losscheck::properties::rapidcheck {

/// RC_PARAMS as RapidCheck parses it.
struct environment {
  std::optional<std::uint64_t> seed;  ///< RC_PARAMS names a seed
  int max_success = 100;              ///< cases per property
  bool shrink = true;                 ///< false under `noshrink`
};
environment from_environment();

/// How a check ended (RapidCheck's four results).
enum class check_status {
  success,  ///< every generated case passed
  failure,  ///< a case failed (shrunk when shrinking is on)
  gave_up,  ///< too many generated cases were discarded (RC_DISCARD, RC_PRE) before enough passed
  error,    ///< RapidCheck could not run the property (its configuration, or an internal error)
};

struct check_result {
  check_status status = check_status::success;
  int successes = 0;                      ///< cases that passed (before the failure, or before giving up)
  std::string description;                ///< failure: the property's message; gave up / error: RapidCheck's reason
  std::vector<std::string> counterexample;  ///< failure: the shown values of the (shrunk) failing case
  std::string replay_params;              ///< failure: the RC_PARAMS value that replays exactly this failure
};

/// Runs `body` as a RapidCheck property. `id` keys RC_PARAMS' `reproduce` (a replay line's RC_PARAMS replays the
/// failure of the property with this id).
check_result check(const std::string& id, const std::string& description, const std::function<void()>& body,
                   std::uint64_t seed, int max_success, bool shrink);

/// RapidCheck prints its configuration on first use; when RC_PARAMS is not set, sets it to `seed=SEED` first so that
/// the seed printed is `seed` rather than a random one. Call before the first check.
void announce_seed(std::uint64_t seed);

/// As announce_seed, without RapidCheck's "Using configuration: seed=…" line (the audit prints its seed itself).
void configure_quietly(std::uint64_t seed);

}  // namespace losscheck::properties::rapidcheck
