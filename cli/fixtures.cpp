// Fixture files: writing them (one case per line, for readable diffs), reading and validating them, and
// `losscheck fixtures verify`. No LibTorch here; see fixtures_generate.cpp for the generator.

#include "fixtures.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "atomic_file.h"
#include "losscheck/audit/verdict.h"
#include "losscheck/check.h"
#include "losscheck/error.h"
#include "losscheck/json.h"
#include "losscheck/loss_record.h"
#include "losscheck/problem.h"
#include "losscheck/shell.h"
#include "losscheck/suggest.h"

namespace losscheck::cli {

std::string fixture_line(const loss_case& c, const loss_result& expected) {
  std::string line = to_json(c);
  line.pop_back();  // the case's closing brace
  loss_result e = expected;
  e.id = "null";
  std::string r = to_json(e);  // {"id":null,...}
  constexpr std::string_view prefix = "{\"id\":null,";
  r.replace(0, prefix.size(), "{");
  return line + ",\"expected\":" + r + "}";
}

void write_fixture_file(const std::string& path, const std::string& generator_json,
                        const std::vector<fixture_case>& cases) {
  std::string text = fmt::format("{{\"format\":\"{}\",\"version\":{},\n\"generator\":{},\n\"cases\":[\n", fixture_format,
                                 fixture_version, generator_json);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    text += fixture_line(cases[i].c, cases[i].expected);
    text += i + 1 < cases.size() ? ",\n" : "\n";
  }
  text += "]}\n";
  write_file_atomically(path, text);
}

namespace {

[[noreturn]] void bad(const std::string& path, const std::string& message) {
  throw format_error(fmt::format("{}: {}", path, message));
}

/// "invalid JSON at byte 123: ..." gains the line number of byte 123.
std::string with_line(const std::string& text, const std::string& message) {
  constexpr std::string_view marker = "at byte ";
  auto p = message.find(marker);
  if (p == std::string::npos) return message;
  const auto byte = std::strtoull(message.c_str() + p + marker.size(), nullptr, 10);
  const auto end = std::min<std::size_t>(static_cast<std::size_t>(byte), text.size());
  const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(end), '\n');
  return fmt::format("line {}: {}", line, message);
}

/// Checks that `expected` fits case `c`: output shaped as the case's output, gradients only of inputs and shaped
/// like them.
void check_expected_shapes(const loss_case& c, const loss_result& e) {
  if (!e.output) return;
  try {
    const auto want = output_shape(resolve_problem(c));
    if (e.output->shape != want)
      throw format_error(fmt::format("expected.output has shape {} but the case's output has shape {}",
                                     format_shape(e.output->shape), format_shape(want)));
  } catch (const loss_error&) {
    // losscheck's own shape rules reject the case: nothing to compare the shape with (the target will say more)
  }
  for (const auto& [name, g] : e.grads) {
    const auto* in = c.input(name);
    if (!in) throw format_error(fmt::format("expected.grads.{}: the case has no input '{}'", name, name));
    if (g.shape != in->shape)
      throw format_error(fmt::format("expected.grads.{} has shape {} but inputs.{} has shape {}", name,
                                     format_shape(g.shape), name, format_shape(in->shape)));
  }
}

}  // namespace

std::vector<fixture_case> read_fixture_file(const std::string& path) {
  if (std::error_code ec; std::filesystem::is_directory(path, ec)) bad(path, "cannot read: is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) bad(path, fmt::format("cannot read: {}", std::strerror(errno)));
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) bad(path, fmt::format("cannot read: {}", std::strerror(errno)));
  return read_fixture_text(ss.str(), path);
}

std::vector<fixture_case> read_fixture_text(const std::string& text, const std::string& path) {
  nlohmann::json j;
  try {
    j = parse_json(text);
  } catch (const format_error& e) {
    bad(path, with_line(text, e.what()));
  }
  if (!j.is_object()) bad(path, fmt::format("a fixture file must be a JSON object, got {}", j.type_name()));
  auto f = j.find("format");
  if (f == j.end()) bad(path, fmt::format("missing \"format\" (expected \"{}\")", fixture_format));
  if (!f->is_string() || f->get<std::string>() != fixture_format)
    bad(path, fmt::format("\"format\" is {}, expected \"{}\"", f->dump(), fixture_format));
  auto v = j.find("version");
  if (v == j.end()) bad(path, "missing \"version\"");
  if (!v->is_number_integer() || v->get<std::int64_t>() != fixture_version)
    bad(path, fmt::format("unsupported \"version\" {} (this losscheck reads version {})", v->dump(), fixture_version));
  auto gen = j.find("generator");
  if (gen == j.end() || !gen->is_object()) bad(path, "missing \"generator\" object");
  auto cs = j.find("cases");
  if (cs == j.end()) bad(path, "missing \"cases\"");
  if (!cs->is_array()) bad(path, fmt::format("\"cases\" must be an array, got {}", cs->type_name()));
  std::vector<fixture_case> out;
  std::map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < cs->size(); ++i) {
    const auto& cj = (*cs)[i];
    const std::string id = id_from_json(cj);
    auto where = [&] { return fmt::format("{}: case {} (id {})", path, i, id); };
    try {
      fixture_case fc;
      fc.c = case_from_json(cj, {"expected"});
      auto e = cj.find("expected");
      if (e == cj.end()) throw format_error("missing \"expected\"");
      if (!e->is_object()) throw format_error(fmt::format("\"expected\" must be an object, got {}", e->type_name()));
      if (e->contains("id")) throw format_error("expected: unknown key \"id\" (the case holds the id)");
      if (e->contains("unsupported")) throw format_error("expected: must be a result or an error, not \"unsupported\"");
      if (e->contains("error") && e->size() != 1)
        throw format_error("expected: an error result holds only \"error\"");
      try {
        fc.expected = result_from_json(*e, fc.c.type);
      } catch (const format_error& ex) {
        throw format_error(fmt::format("expected.{}", ex.what()));
      }
      fc.expected.id = fc.c.id;
      check_expected_shapes(fc.c, fc.expected);
      if (auto [it, fresh] = seen.emplace(id, i); !fresh)
        throw format_error(fmt::format("duplicate id (also case {})", it->second));
      out.push_back(std::move(fc));
    } catch (const format_error& ex) {
      throw format_error(fmt::format("{}: {}", where(), ex.what()));
    } catch (const loss_error& ex) {
      throw format_error(fmt::format("{}: {}", where(), ex.what()));
    }
  }
  return out;
}

namespace {

struct group_stats {
  std::size_t cases = 0, passed = 0, failed = 0, errors = 0, elements = 0, unsupported = 0;
  double max_ulps = 0, sum_sq = 0;
  // the worst failing case
  double worst_score = -1;
  std::string worst_file, worst_message, worst_case_json, worst_expected_json;
  std::string worst_id;
  std::size_t worst_index = 0;
  const loss_case* worst_case = nullptr;
};

std::string fmt_ulps(double v) { return check::format_ulps(v); }

/// The id as typed on a command line: the bare string of a string id, else its JSON text.
std::string id_argument(const std::string& id_json) {
  if (id_json.size() >= 2 && id_json.front() == '"') return id_json.substr(1, id_json.size() - 2);
  return id_json;
}

bool id_selected(const std::vector<std::string>& ids, const std::string& id_json) {
  if (ids.empty()) return true;
  for (const auto& s : ids)
    if (s == id_json || s == id_argument(id_json)) return true;
  return false;
}

}  // namespace

int verify_fixtures(target& t, const verify_options& o, std::ostream& out, std::ostream& err) {
  std::vector<std::string> loss_list;
  for (const auto& spec : loss_catalog()) loss_list.emplace_back(spec.name);
  for (const auto& l : o.losses)
    if (!find_loss(l)) {
      err << fmt::format("losscheck fixtures verify: unknown loss '{}'{} (losses: {})\n", l, did_you_mean(l, loss_list),
                         loss_names());
      return exit_codes::usage;
    }
  for (const auto& d : o.dtypes)
    if (!parse_dtype(d)) {
      err << fmt::format("losscheck fixtures verify: unknown dtype '{}'{} (dtypes: float32, float64)\n", d,
                         did_you_mean(d, {"float32", "float64"}));
      return exit_codes::usage;
    }
  auto selected = [](const std::vector<std::string>& only, std::string_view v) {
    return only.empty() || std::find(only.begin(), only.end(), v) != only.end();
  };
  bool malformed = false;
  std::map<std::pair<std::string, std::string>, group_stats> groups;  // (loss, dtype)
  std::size_t total = 0, failed = 0, unsupported = 0;
  std::vector<std::vector<fixture_case>> files;  // kept: the worst cases are diagnosed at the end
  files.reserve(o.files.size());
  for (const auto& path : o.files) {
    auto& cases = files.emplace_back();
    try {
      cases = read_fixture_file(path);
    } catch (const format_error& e) {
      err << "losscheck fixtures verify: " << e.what() << '\n';
      malformed = true;
      continue;
    }
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const auto& fc = cases[i];
      if (!id_selected(o.ids, fc.c.id) || !selected(o.losses, fc.c.loss) || !selected(o.dtypes, to_string(fc.c.type)))
        continue;
      loss_result got;
      try {
        got = t.evaluate(fc.c);
      } catch (const std::exception& e) {
        got = loss_result::failure(fc.c.id, e.what());
      }
      auto& g = groups[{fc.c.loss, std::string(to_string(fc.c.type))}];
      if (got.unsupported) {  // outside what the target implements: skipped, as the audit skips it
        ++g.unsupported;
        ++unsupported;
        continue;
      }
      const auto cmp = check::compare(fc.c, fc.expected, got);
      ++g.cases;
      ++total;
      if (fc.expected.error) ++g.errors;
      g.elements += cmp.elements;
      g.sum_sq += cmp.sum_sq_ulps;
      g.max_ulps = std::max(g.max_ulps, cmp.max_ulps);
      if (cmp.passed) {
        ++g.passed;
        continue;
      }
      ++g.failed;
      ++failed;
      const double score = cmp.worst && cmp.worst->bound > 0 ? cmp.worst->ulps / cmp.worst->bound
                                                               : std::numeric_limits<double>::infinity();
      if (o.verbose)
        out << fmt::format("FAIL {} case {} (id {}): {}\n", path, i, fc.c.id, cmp.message);
      if (score > g.worst_score || g.worst_file.empty()) {
        g.worst_score = score;
        g.worst_file = path;
        g.worst_index = i;
        g.worst_id = fc.c.id;
        g.worst_case = &fc.c;
        g.worst_message = cmp.message;
        if (cmp.worst && !(cmp.worst->ulps <= cmp.worst->bound)) {
          const std::string rel = check::relative_error_text(cmp.worst->got, cmp.worst->expected);
          g.worst_message = fmt::format("{}: got {}, expected {}, {} ULPs of the scale {:.3g} > bound {}{}",
                                        cmp.worst->where, format_float(cmp.worst->got, fc.c.type),
                                        format_float(cmp.worst->expected, fc.c.type), fmt_ulps(cmp.worst->ulps),
                                        cmp.worst->scale, cmp.worst->bound, rel.empty() ? "" : ", " + rel);
        }
        g.worst_case_json = to_json(fc.c);
        g.worst_expected_json = to_json(fc.expected);
      }
    }
  }
  out << fmt::format("losscheck fixtures verify: target {}, {} file{}\n", t.name(), o.files.size(),
                     o.files.size() == 1 ? "" : "s");
  out << "errors in ULPs of the dtype at each element's scale (docs/tolerances.md)\n\n";
  out << fmt::format("{:<34} {:<8} {:>6} {:>7} {:>7} {:>7} {:>11} {:>10} {:>10}\n", "loss", "dtype", "cases", "errors",
                     "passed", "failed", "unsupported", "max ULPs", "RMS ULPs");
  for (const auto& [key, g] : groups) {
    const double rms = g.elements ? std::sqrt(g.sum_sq / static_cast<double>(g.elements)) : 0.0;
    out << fmt::format("{:<34} {:<8} {:>6} {:>7} {:>7} {:>7} {:>11} {:>10} {:>10}\n", key.first, key.second, g.cases,
                       g.errors, g.passed, g.failed, g.unsupported, fmt_ulps(g.max_ulps), fmt_ulps(rms));
  }
  out << fmt::format("\n{} cases, {} passed, {} failed{}{}\n", total, total - failed, failed,
                     unsupported ? fmt::format(" ({} more unsupported by the target: skipped)", unsupported) : "",
                     malformed ? " (and malformed files: see above)" : "");
  for (const auto& [key, g] : groups) {
    if (!g.failed) continue;
    out << fmt::format("\nFAIL {} {}: {} of {} cases\n", key.first, key.second, g.failed, g.cases);
    out << fmt::format("  worst: {} case {} (id {}): {}\n", g.worst_file, g.worst_index, g.worst_id, g.worst_message);
    out << fmt::format("  case:     {}\n", g.worst_case_json);
    out << fmt::format("  expected: {}\n", g.worst_expected_json);
    if (o.diagnose && g.worst_case) {
      std::vector<std::string> found;
      try {
        found = o.diagnose(*g.worst_case, t);
      } catch (const std::exception& e) {
        found = {fmt::format("diagnosis failed: {}", e.what())};
      }
      for (const auto& f : found) out << "  diagnosis: " << f << "\n";
    }
    out << fmt::format("  replay:   losscheck fixtures verify --target {} --id {} {}\n", shell_quote(t.name()),
                       shell_quote(id_argument(g.worst_id)), shell_quote(g.worst_file));
  }
  if (malformed) return exit_codes::usage;
  if (failed) return exit_codes::fail;
  if (total == 0) {
    out << "nothing checked: " << (unsupported ? "every selected case was unsupported by the target" : "no case selected")
        << "\n";
    return exit_codes::nothing_checked;
  }
  return exit_codes::pass;
}

}  // namespace losscheck::cli
