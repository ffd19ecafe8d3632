#pragma once
// Internal to audit/: what the renderers of a report share.

#include <string>
#include <vector>

#include "losscheck/audit/report.h"

namespace losscheck::detail {

/// max ULPs as the reports print them: two decimals, "inf", or "-" for none.
std::string ulps_text(const std::optional<double>& v);

/// The losses of the report's settings, then any other loss a row names.
std::vector<std::string> losses_of(const audit_report& a);

/// The lines of a failure report that replay it ("replay: …", "replay this property: …").
std::vector<std::string> replay_lines(const std::string& report);

/// "losscheck fixtures verify --target T --id ID FILE" for a counterexample written as a fixture; "" without one.
std::string fixture_replay(const audit_report& a, const audit_row& r);

/// One command that replays a failing row: its counterexample fixture's, else the first replay line of its report
/// (without the "replay…:" label); "" when there is neither.
std::string one_replay(const audit_report& a, const audit_row& r);

}  // namespace losscheck::detail
