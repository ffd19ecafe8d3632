// `losscheck fixtures diff A B`: two fixture files' witnesses side by side. Cases are matched by id (and must be the
// same case); their expected results are compared under the tolerance model (docs/tolerances.md: two correct
// evaluations differ by at most the bound), and where they disagree the reference says which witness it sides with.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "atomic_file.h"
#include "fixtures.h"
#include "losscheck/audit/verdict.h"
#include "losscheck/check.h"
#include "losscheck/error.h"
#include "losscheck/json.h"
#include "losscheck/shell.h"

namespace losscheck::cli {

namespace {

struct diff_group {
  std::size_t common = 0, agree = 0, disagree = 0, outputs_only = 0;
  std::size_t sides_first = 0, sides_second = 0, sides_both = 0, sides_neither = 0;
  double max_ulps = 0;
};

struct disagreement {
  std::string loss, dtype, id, message, referee;
};

/// The files of one side as one: their cases, one witness text (the files' own, or each file's when they differ).
fixture_file read_side(const std::vector<std::string>& paths) {
  fixture_file side;
  std::vector<std::string> witnesses;
  std::map<std::string, std::string> seen;  // id -> file
  for (const auto& p : paths) {
    fixture_file f = read_fixture(p);
    if (std::find(witnesses.begin(), witnesses.end(), f.witness_text()) == witnesses.end())
      witnesses.push_back(f.witness_text());
    for (auto& c : f.cases) {
      if (auto [it, fresh] = seen.emplace(c.c.id, p); !fresh)
        throw format_error(fmt::format("{}: id {} is also in {} (ids must be unique on each side)", p, c.c.id, it->second));
      side.cases.push_back(std::move(c));
    }
  }
  side.path = fmt::format("{}", fmt::join(paths, " "));
  fixture_witness w;
  w.name = fmt::format("{}", fmt::join(witnesses, "; "));
  side.witness = w;
  return side;
}

}  // namespace

int diff_fixtures(const diff_options& o, std::ostream& out, std::ostream& err) {
  if (const std::string why = unknown_filter(o.losses, o.dtypes); !why.empty()) {
    err << "losscheck fixtures diff: " << why << '\n';
    return exit_codes::usage;
  }
  fixture_file a, b;
  try {
    a = read_side(o.first);
    b = read_side(o.second);
  } catch (const format_error& e) {
    err << "losscheck fixtures diff: " << e.what() << '\n';
    return exit_codes::usage;
  }
  std::map<std::string, const fixture_case*> second_by_id;
  for (const auto& fc : b.cases) second_by_id[fc.c.id] = &fc;
  const std::string first_name = "A (" + a.witness_text() + ")", second_name = "B (" + b.witness_text() + ")";

  std::map<std::pair<std::string, std::string>, diff_group> groups;
  std::vector<disagreement> found;
  std::vector<std::string> different_cases;
  std::size_t only_first = 0, matched = 0;
  for (const auto& fa : a.cases) {
    if (!id_selected(o.ids, fa.c.id) || !in_filter(o.losses, fa.c.loss) || !in_filter(o.dtypes, to_string(fa.c.type)))
      continue;
    auto it = second_by_id.find(fa.c.id);
    if (it == second_by_id.end()) {
      ++only_first;
      continue;
    }
    ++matched;
    const fixture_case& fb = *it->second;
    if (to_json(fa.c) != to_json(fb.c)) {  // the same id names two different cases: nothing to compare
      different_cases.push_back(fa.c.id);
      continue;
    }
    // what both witnesses recorded: gradients only where both did, less the ones either left out
    fixture_case both = fa;
    both.grads_recorded = fa.grads_recorded && fb.grads_recorded;
    for (const auto& [name, why] : fb.expected.unsupported_grads) both.expected.unsupported_grads[name] = why;
    auto& g = groups[{fa.c.loss, std::string(to_string(fa.c.type))}];
    ++g.common;
    if (!both.grads_recorded && !fa.expected.error && !fb.expected.error) ++g.outputs_only;
    const auto cmp = compare_recorded(both, fa.expected, fb.expected);
    if (!std::isnan(cmp.max_ulps)) g.max_ulps = std::max(g.max_ulps, cmp.max_ulps);
    if (cmp.passed) {
      ++g.agree;
      continue;
    }
    ++g.disagree;
    disagreement d{fa.c.loss, std::string(to_string(fa.c.type)), fa.c.id, cmp.message, ""};
    if (o.reference) {
      loss_result ref;
      try {
        ref = o.reference(fa.c);
      } catch (const std::exception& e) {
        ref = loss_result::failure(fa.c.id, e.what());
      }
      const referee_verdict v = referee(both, fa.expected, fb.expected, ref);
      if (v.first_agrees && v.second_agrees) ++g.sides_both;
      else if (v.first_agrees) ++g.sides_first;
      else if (v.second_agrees) ++g.sides_second;
      else ++g.sides_neither;
      d.referee = referee_text(both, fa.expected, first_name, fb.expected, second_name, ref);
    }
    found.push_back(std::move(d));
  }
  std::size_t only_second = 0;
  {
    std::map<std::string, bool> in_first;
    for (const auto& fa : a.cases) in_first[fa.c.id] = true;
    for (const auto& fb : b.cases)
      if (!in_first.count(fb.c.id) && id_selected(o.ids, fb.c.id) && in_filter(o.losses, fb.c.loss) &&
          in_filter(o.dtypes, to_string(fb.c.type)))
        ++only_second;
  }

  auto files = [](const std::vector<std::string>& p) {
    return p.size() == 1 ? p.front() : fmt::format("{} files ({}, ...)", p.size(), p.front());
  };
  out << fmt::format("losscheck fixtures diff\n  A: {} -- {}\n  B: {} -- {}\n", files(o.first), a.witness_text(),
                     files(o.second), b.witness_text());
  out << "each expected result of A against B's, in ULPs of the dtype at each element's scale; two correct "
         "witnesses differ by at most the bound (docs/tolerances.md)\n\n";
  out << fmt::format("{:<34} {:<8} {:>6} {:>6} {:>8} {:>8} {:>8} {:>6} {:>8} {:>8} {:>10}\n", "loss", "dtype", "common",
                     "agree", "disagree", "ref: A", "ref: B", "both", "neither", "no grads", "max ULPs");
  std::size_t common = 0, disagree = 0, outputs_only = 0;
  std::size_t side_totals[4] = {0, 0, 0, 0};
  for (const auto& [key, g] : groups) {
    out << fmt::format("{:<34} {:<8} {:>6} {:>6} {:>8} {:>8} {:>8} {:>6} {:>8} {:>8} {:>10}\n", key.first, key.second,
                       g.common, g.agree, g.disagree, g.sides_first, g.sides_second, g.sides_both, g.sides_neither,
                       g.outputs_only, check::format_ulps(g.max_ulps));
    common += g.common;
    disagree += g.disagree;
    outputs_only += g.outputs_only;
    side_totals[0] += g.sides_first, side_totals[1] += g.sides_second, side_totals[2] += g.sides_both,
        side_totals[3] += g.sides_neither;
  }
  out << fmt::format("\n{} cases in common: {} agree, {} disagree", common, common - disagree, disagree);
  if (disagree && o.reference)
    out << fmt::format(" (the reference sides with A in {}, with B in {}, with both in {}, with neither in {})",
                       side_totals[0], side_totals[1], side_totals[2], side_totals[3]);
  out << "\n";
  if (outputs_only)
    out << fmt::format("{} of them compared by output only (a witness recorded no gradients)\n", outputs_only);
  if (only_first || only_second)
    out << fmt::format("not compared: {} case{} only in A, {} only in B\n", only_first, only_first == 1 ? "" : "s",
                       only_second);
  if (!different_cases.empty())
    out << fmt::format("not compared: {} id{} naming different cases in A and B (inputs or options differ): {}{}\n",
                       different_cases.size(), different_cases.size() == 1 ? "" : "s",
                       fmt::join(different_cases.begin(),
                                 different_cases.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(5, different_cases.size())),
                                 ", "),
                       different_cases.size() > 5 ? ", ..." : "");
  const std::size_t shown = o.verbose ? found.size() : std::min<std::size_t>(found.size(), 10);
  for (std::size_t i = 0; i < shown; ++i) {
    const auto& d = found[i];
    out << fmt::format("\nDISAGREE {} {} (id {}): B against A: {}\n", d.loss, d.dtype, d.id, d.message);
    if (!d.referee.empty()) out << "  referee: " << d.referee << "\n";
    std::vector<std::string> quoted_a, quoted_b;
    for (const auto& p : o.first) quoted_a.push_back(shell_quote(p));
    for (const auto& p : o.second) quoted_b.push_back(shell_quote(p));
    out << fmt::format("  replay:  losscheck fixtures diff --id {} {}{} {}\n", shell_quote(id_argument(d.id)),
                       fmt::join(quoted_a, " "), o.second.size() == 1 && o.first.size() == 1 ? "" : " --against",
                       fmt::join(quoted_b, " "));
  }
  if (shown < found.size()) out << fmt::format("\n({} more disagreements: --verbose lists them)\n", found.size() - shown);

  if (!o.json_path.empty()) {
    nlohmann::json report{{"format", "losscheck-fixtures-diff"},
                          {"version", 1},
                          {"first", {{"files", o.first}, {"witness", a.witness_text()}}},
                          {"second", {{"files", o.second}, {"witness", b.witness_text()}}},
                          {"groups", nlohmann::json::array()},
                          {"disagreements", nlohmann::json::array()}};
    for (const auto& [key, g] : groups)
      report["groups"].push_back({{"loss", key.first},
                                  {"dtype", key.second},
                                  {"common", g.common},
                                  {"agree", g.agree},
                                  {"disagree", g.disagree},
                                  {"reference_sides_with", {{"first", g.sides_first}, {"second", g.sides_second},
                                                            {"both", g.sides_both}, {"neither", g.sides_neither}}},
                                  {"outputs_only", g.outputs_only},
                                  {"max_ulps", std::isfinite(g.max_ulps) ? nlohmann::json(g.max_ulps) : nlohmann::json("inf")}});
    for (const auto& d : found)
      report["disagreements"].push_back({{"loss", d.loss}, {"dtype", d.dtype}, {"id", nlohmann::json::parse(d.id)},
                                         {"message", d.message}, {"referee", d.referee}});
    report["summary"] = {{"common", common},          {"agree", common - disagree}, {"disagree", disagree},
                         {"only_first", only_first},  {"only_second", only_second},
                         {"different_cases", different_cases.size()}, {"outputs_only", outputs_only}};
    try {
      write_file_atomically(o.json_path, report.dump(1) + "\n");
    } catch (const std::exception& e) {
      err << "losscheck fixtures diff: " << e.what() << '\n';
      return exit_codes::usage;
    }
  }
  if (disagree) return exit_codes::fail;
  if (common == 0) {
    out << "nothing compared: no case of the same id and inputs in both files\n";
    return exit_codes::nothing_checked;
  }
  return exit_codes::pass;
}

}  // namespace losscheck::cli
