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

std::string witness_tolerance::text() const {
  std::vector<std::string> parts;
  if (rtol) parts.push_back(fmt::format("rtol {:g}", *rtol));
  if (atol) parts.push_back(fmt::format("atol {:g}", *atol));
  std::string t = fmt::format("{}", fmt::join(parts, ", "));
  if (!note.empty()) t += t.empty() ? note : " (" + note + ")";
  return t;
}

std::optional<bool> witness_tolerance::accepts(double got, double expected) const {
  if (!rtol && !atol) return std::nullopt;
  if (std::isnan(got) || std::isnan(expected)) return std::isnan(got) && std::isnan(expected);
  if (!std::isfinite(got) || !std::isfinite(expected)) return got == expected;
  return std::fabs(got - expected) <= atol.value_or(0.0) + rtol.value_or(0.0) * std::fabs(expected);
}

std::string fixture_witness::text() const { return version.empty() ? name : name + " " + version; }

std::string fixture_file::witness_text() const {
  if (witness) return witness->text();
  // no "witness": what losscheck's own writers put in "generator"
  try {
    const auto g = nlohmann::json::parse(generator_json);
    for (const char* key : {"libtorch", "torch"})
      if (auto v = g.find(key); v != g.end() && v->is_string()) return fmt::format("{} {} (generator)", key, v->get<std::string>());
    if (auto t = g.find("tool"); t != g.end() && t->is_string()) return fmt::format("{} (generator)", t->get<std::string>());
  } catch (const std::exception&) {
  }
  return std::filesystem::path(path).filename().string();
}

namespace {

nlohmann::json tolerance_json(const witness_tolerance& t) {
  nlohmann::json j = nlohmann::json::object();
  if (t.rtol) j["rtol"] = *t.rtol;
  if (t.atol) j["atol"] = *t.atol;
  if (!t.note.empty()) j["note"] = t.note;
  return j;
}

}  // namespace

std::string expected_json(const fixture_case& fc) {
  loss_result e = fc.expected;
  e.id = "null";
  std::string r = to_json(e);  // {"id":null,...}
  constexpr std::string_view prefix = "{\"id\":null,";
  r.replace(0, prefix.size(), "{");
  if (!fc.grads_recorded && !e.error) {  // to_json writes "grads":{} for a result without gradients
    constexpr std::string_view none = ",\"grads\":{}";
    if (auto p = r.find(none); p != std::string::npos) r.erase(p, none.size());
  }
  if (fc.tolerance) {
    r.pop_back();
    r += ",\"witness_tolerance\":" + tolerance_json(*fc.tolerance).dump() + "}";
  }
  return r;
}

std::string fixture_line(const fixture_case& fc) {
  std::string line = to_json(fc.c);
  line.pop_back();  // the case's closing brace
  return line + ",\"expected\":" + expected_json(fc) + "}";
}

void write_fixture_file(const std::string& path, const std::string& generator_json,
                        const std::vector<fixture_case>& cases, const std::optional<fixture_witness>& witness) {
  std::string w;
  if (witness) {
    nlohmann::json j{{"name", witness->name}, {"version", witness->version}};
    if (witness->tolerance) j["tolerance"] = tolerance_json(*witness->tolerance);
    w = "\"witness\":" + j.dump() + ",\n";
  }
  std::string text = fmt::format("{{\"format\":\"{}\",\"version\":{},\n\"generator\":{},\n{}\"cases\":[\n",
                                 fixture_format, fixture_version, generator_json, w);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    text += fixture_line(cases[i]);
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

/// A witness tolerance object: {"rtol": number, "atol": number, "note": string}, each optional.
witness_tolerance tolerance_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object())
    throw format_error(fmt::format("{} must be an object {{\"rtol\", \"atol\", \"note\"}}, got {}", where, j.type_name()));
  witness_tolerance t;
  for (const auto& [k, v] : j.items()) {
    if (k == "rtol" || k == "atol") {
      if (!v.is_number() || !(v.get<double>() >= 0) || !std::isfinite(v.get<double>()))
        throw format_error(fmt::format("{}.{} must be a finite number >= 0, got {}", where, k, v.dump()));
      (k == "rtol" ? t.rtol : t.atol) = v.get<double>();
    } else if (k == "note") {
      if (!v.is_string()) throw format_error(fmt::format("{}.note must be a string, got {}", where, v.type_name()));
      t.note = v.get<std::string>();
    } else {
      throw format_error(fmt::format("{}: unknown key \"{}\" (rtol, atol, note)", where, k));
    }
  }
  return t;
}

}  // namespace

std::vector<fixture_case> read_fixture_file(const std::string& path) { return read_fixture(path).cases; }

std::vector<fixture_case> read_fixture_text(const std::string& text, const std::string& path) {
  return parse_fixture(text, path).cases;
}

fixture_file read_fixture(const std::string& path) {
  if (std::error_code ec; std::filesystem::is_directory(path, ec)) bad(path, "cannot read: is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) bad(path, fmt::format("cannot read: {}", std::strerror(errno)));
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) bad(path, fmt::format("cannot read: {}", std::strerror(errno)));
  return parse_fixture(ss.str(), path);
}

fixture_file parse_fixture(const std::string& text, const std::string& path) {
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
  fixture_file file;
  file.path = path;
  file.generator_json = gen->dump();
  if (auto w = j.find("witness"); w != j.end()) {
    if (!w->is_object()) bad(path, fmt::format("\"witness\" must be an object, got {}", w->type_name()));
    fixture_witness fw;
    for (const auto& [k, value] : w->items()) {
      if (k == "name" || k == "version") {
        if (!value.is_string()) bad(path, fmt::format("witness.{} must be a string, got {}", k, value.type_name()));
        (k == "name" ? fw.name : fw.version) = value.get<std::string>();
      } else if (k == "tolerance") {
        try {
          fw.tolerance = tolerance_from_json(value, "witness.tolerance");
        } catch (const format_error& e) {
          bad(path, e.what());
        }
      } else {
        bad(path, fmt::format("witness: unknown key \"{}\" (name, version, tolerance)", k));
      }
    }
    if (fw.name.empty()) bad(path, "witness.name is missing or empty");
    file.witness = std::move(fw);
  }
  auto& out = file.cases;
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
      nlohmann::json result = *e;
      if (auto t = result.find("witness_tolerance"); t != result.end()) {
        fc.tolerance = tolerance_from_json(*t, "expected.witness_tolerance");
        result.erase(t);
      }
      // no "grads" (or null): the witness recorded none; "grads": {} says the witness defines none
      if (auto g = result.find("grads"); !result.contains("error") && (g == result.end() || g->is_null()))
        fc.grads_recorded = false;
      try {
        fc.expected = result_from_json(result, fc.c.type);
      } catch (const format_error& ex) {
        throw format_error(fmt::format("expected.{}", ex.what()));
      }
      if (!fc.grads_recorded && !fc.expected.unsupported_grads.empty())
        throw format_error("expected: \"unsupported_grads\" names gradients not recorded, but no \"grads\" were "
                           "recorded at all (give \"grads\" with the recorded ones, or leave both out)");
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
  return file;
}

loss_result recorded_part(const fixture_case& fc, const loss_result& r) {
  if (fc.grads_recorded && fc.expected.unsupported_grads.empty()) return r;
  loss_result part = r;
  if (!fc.grads_recorded) {
    part.grads.clear();
    part.unsupported_grads.clear();
  } else {
    for (const auto& [name, why] : fc.expected.unsupported_grads) {
      part.grads.erase(name);
      part.unsupported_grads.erase(name);
    }
  }
  return part;
}

check::comparison compare_fixture(const fixture_case& fc, const loss_result& got) {
  return check::compare(fc.c, fc.expected, recorded_part(fc, got));
}

check::comparison compare_recorded(const fixture_case& fc, const loss_result& expected, const loss_result& got) {
  return check::compare(fc.c, recorded_part(fc, expected), recorded_part(fc, got));
}

namespace {

struct group_stats {
  std::size_t cases = 0, passed = 0, failed = 0, errors = 0, elements = 0, unsupported = 0;
  std::size_t outputs_only = 0;                     // cases whose witness recorded no gradients
  std::map<std::string, std::size_t> unrecorded;  // gradient -> cases whose witness recorded others but not it
  std::map<std::string, std::size_t> unsupported_reasons;  // the target's reason -> cases
  std::vector<std::string> worst_diagnosis;
  std::string worst_referee;
  double max_ulps = 0, sum_sq = 0;
  // the worst failing case
  double worst_score = -1;
  std::string worst_file, worst_message, worst_case_json, worst_expected_json;
  std::string worst_id, worst_witness;
  std::size_t worst_index = 0;
  const loss_case* worst_case = nullptr;
  const fixture_case* worst_fixture = nullptr;
  loss_result worst_got;
};

/// What the witness's own tolerance says of the worst element: "within" or "outside" it, shown, never used.
std::string witness_verdict(const std::optional<witness_tolerance>& t, const std::optional<check::element_error>& worst) {
  if (!t) return "";
  std::string s = fmt::format("the witness's own tolerance: {}", t->text());
  if (worst)
    if (auto ok = t->accepts(worst->got, worst->expected))
      s += fmt::format("; by it {} is {} (shown only: losscheck's bound is docs/tolerances.md's)", worst->where,
                       *ok ? "within" : "outside");
  return s;
}

std::string fmt_ulps(double v) { return check::format_ulps(v); }

}  // namespace

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

bool in_filter(const std::vector<std::string>& only, std::string_view v) {
  return only.empty() || std::find(only.begin(), only.end(), v) != only.end();
}

std::string unknown_filter(const std::vector<std::string>& losses, const std::vector<std::string>& dtypes) {
  std::vector<std::string> loss_list;
  for (const auto& spec : loss_catalog()) loss_list.emplace_back(spec.name);
  for (const auto& l : losses)
    if (!find_loss(l)) return fmt::format("unknown loss '{}'{} (losses: {})", l, did_you_mean(l, loss_list), loss_names());
  for (const auto& d : dtypes)
    if (!parse_dtype(d))
      return fmt::format("unknown dtype '{}'{} (dtypes: float32, float64, bfloat16, float16)", d,
                         did_you_mean(d, {"float32", "float64", "bfloat16", "float16"}));
  return "";
}

referee_verdict referee(const fixture_case& fc, const loss_result& first, const loss_result& second,
                        const loss_result& reference) {
  const auto a = compare_recorded(fc, reference, first), b = compare_recorded(fc, reference, second);
  auto worst = [&](const check::comparison& c) {
    return c.worst ? fmt::format("{} ULPs at {}", fmt_ulps(c.worst->ulps), c.worst->where) : std::string("0 ULPs");
  };
  return {a.passed, b.passed, a.passed ? worst(a) : a.message, b.passed ? worst(b) : b.message};
}

std::string referee_text(const fixture_case& fc, const loss_result& first, const std::string& first_name,
                         const loss_result& second, const std::string& second_name, const loss_result& reference) {
  const referee_verdict v = referee(fc, first, second, reference);
  if (v.first_agrees && v.second_agrees)
    return fmt::format("the reference agrees with both within the bound ({}: {}; {}: {})", first_name, v.first,
                       second_name, v.second);
  if (v.first_agrees)
    return fmt::format("the reference sides with {} ({}); {} is off: {}", first_name, v.first, second_name, v.second);
  if (v.second_agrees)
    return fmt::format("the reference sides with {} ({}); {} is off: {}", second_name, v.second, first_name, v.first);
  return fmt::format("the reference agrees with neither: {}: {}; {}: {}", first_name, v.first, second_name, v.second);
}

int verify_fixtures(target& t, const verify_options& o, std::ostream& out, std::ostream& err) {
  if (const std::string why = unknown_filter(o.losses, o.dtypes); !why.empty()) {
    err << "losscheck fixtures verify: " << why << '\n';
    return exit_codes::usage;
  }
  bool malformed = false;
  std::map<std::pair<std::string, std::string>, group_stats> groups;  // (loss, dtype)
  std::size_t total = 0, failed = 0, unsupported = 0;
  std::vector<fixture_file> files;  // kept: the worst cases are diagnosed at the end
  files.reserve(o.files.size());
  for (const auto& path : o.files) {
    auto& file = files.emplace_back();
    try {
      file = read_fixture(path);
    } catch (const format_error& e) {
      err << "losscheck fixtures verify: " << e.what() << '\n';
      malformed = true;
      continue;
    }
    const auto& cases = file.cases;
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const auto& fc = cases[i];
      if (!id_selected(o.ids, fc.c.id) || !in_filter(o.losses, fc.c.loss) || !in_filter(o.dtypes, to_string(fc.c.type)))
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
        ++g.unsupported_reasons[*got.unsupported];
        ++unsupported;
        continue;
      }
      const auto cmp = compare_fixture(fc, got);
      ++g.cases;
      ++total;
      if (fc.expected.error) ++g.errors;
      else if (!fc.grads_recorded) ++g.outputs_only;
      else
        for (const auto& [name, why] : fc.expected.unsupported_grads) ++g.unrecorded[name];
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
      const auto& tolerance = fc.tolerance ? fc.tolerance : file.witness ? file.witness->tolerance : std::nullopt;
      if (o.verbose) {
        const std::string w = witness_verdict(tolerance, cmp.worst);
        out << fmt::format("FAIL {} case {} (id {}): {}{}\n", path, i, fc.c.id, cmp.message, w.empty() ? "" : "; " + w);
      }
      if (score > g.worst_score || g.worst_file.empty()) {
        g.worst_score = score;
        g.worst_file = path;
        g.worst_index = i;
        g.worst_id = fc.c.id;
        g.worst_case = &fc.c;
        g.worst_fixture = &fc;
        g.worst_got = got;
        g.worst_message = cmp.message;
        g.worst_witness = witness_verdict(tolerance, cmp.worst);
        if (cmp.worst && !(cmp.worst->ulps <= cmp.worst->bound)) {
          const std::string rel = check::relative_error_text(cmp.worst->got, cmp.worst->expected);
          g.worst_message = fmt::format("{}: got {}, expected {}, {} ULPs of the scale {:.3g} > bound {}{}",
                                        cmp.worst->where, format_float(cmp.worst->got, fc.c.type),
                                        format_float(cmp.worst->expected, fc.c.type), fmt_ulps(cmp.worst->ulps),
                                        cmp.worst->scale, cmp.worst->bound, rel.empty() ? "" : ", " + rel);
        }
        g.worst_case_json = to_json(fc.c);
        g.worst_expected_json = expected_json(fc);
      }
    }
  }
  out << fmt::format("losscheck fixtures verify: target {}, {} file{}\n", t.name(), o.files.size(),
                     o.files.size() == 1 ? "" : "s");
  for (const auto& f : files)
    if (f.witness)
      out << fmt::format("witness of {}: {}{}\n", f.path, f.witness->text(),
                         f.witness->tolerance ? fmt::format(" (its own tolerance: {}; shown, not used)",
                                                            f.witness->tolerance->text())
                                              : "");
  out << "errors in ULPs of the dtype at each element's scale (docs/tolerances.md)\n\n";
  out << fmt::format("{:<34} {:<8} {:>6} {:>7} {:>7} {:>7} {:>11} {:>8} {:>10} {:>10}\n", "loss", "dtype", "cases",
                     "errors", "passed", "failed", "unsupported", "no grads", "max ULPs", "RMS ULPs");
  std::size_t outputs_only = 0;
  std::vector<std::string> partial;
  for (const auto& [key, g] : groups) {
    const double rms = g.elements ? std::sqrt(g.sum_sq / static_cast<double>(g.elements)) : 0.0;
    out << fmt::format("{:<34} {:<8} {:>6} {:>7} {:>7} {:>7} {:>11} {:>8} {:>10} {:>10}\n", key.first, key.second,
                       g.cases, g.errors, g.passed, g.failed, g.unsupported, g.outputs_only, fmt_ulps(g.max_ulps),
                       fmt_ulps(rms));
    outputs_only += g.outputs_only;
    for (const auto& [name, n] : g.unrecorded)
      partial.push_back(fmt::format("{} {} gradient of {}: {} case{}", key.first, key.second, name, n, n == 1 ? "" : "s"));
  }
  out << fmt::format("\n{} cases, {} passed, {} failed{}{}\n", total, total - failed, failed,
                     unsupported ? fmt::format(" ({} more unsupported by the target: skipped)", unsupported) : "",
                     malformed ? " (and malformed files: see above)" : "");
  if (outputs_only)
    out << fmt::format("{} case{} without recorded gradients (\"no grads\"): outputs compared, gradients not checked\n",
                       outputs_only, outputs_only == 1 ? "" : "s");
  if (!partial.empty())
    out << fmt::format("gradients the witness did not record (not checked): {}\n", fmt::join(partial, "; "));
  for (auto& [key, g] : groups) {
    if (!g.failed) continue;
    out << fmt::format("\nFAIL {} {}: {} of {} cases\n", key.first, key.second, g.failed, g.cases);
    out << fmt::format("  worst: {} case {} (id {}): {}\n", g.worst_file, g.worst_index, g.worst_id, g.worst_message);
    out << fmt::format("  case:     {}\n", g.worst_case_json);
    out << fmt::format("  expected: {}\n", g.worst_expected_json);
    if (!g.worst_witness.empty()) out << "  witness:  " << g.worst_witness << "\n";
    if (o.diagnose && g.worst_case) {
      std::vector<std::string> found;
      try {
        found = o.diagnose(*g.worst_case, t);
      } catch (const std::exception& e) {
        found = {fmt::format("diagnosis failed: {}", e.what())};
      }
      for (const auto& f : found) out << "  diagnosis: " << f << "\n";
      g.worst_diagnosis = found;
    }
    if (o.reference && g.worst_fixture) {
      loss_result ref;
      try {
        ref = o.reference(*g.worst_case);
      } catch (const std::exception& e) {
        ref = loss_result::failure(g.worst_case->id, e.what());
      }
      g.worst_referee = referee_text(*g.worst_fixture, g.worst_fixture->expected, "the witness", g.worst_got,
                                     fmt::format("target {}", t.name()), ref);
      out << "  referee:  " << g.worst_referee << "\n";
    }
    out << fmt::format("  replay:   losscheck fixtures verify --target {} --id {} {}\n", shell_quote(t.name()),
                       shell_quote(id_argument(g.worst_id)), shell_quote(g.worst_file));
  }
  if (!o.json_path.empty()) {
    nlohmann::json report{{"format", "losscheck-fixtures-verify"},
                          {"version", 1},
                          {"target", t.name()},
                          {"files", nlohmann::json::array()},
                          {"groups", nlohmann::json::array()}};
    auto ulps_json = [](double u) { return std::isfinite(u) ? nlohmann::json(u) : nlohmann::json("inf"); };
    for (const auto& f : files) {
      nlohmann::json fj{{"path", f.path}, {"cases", f.cases.size()}, {"witness", nullptr}};
      if (f.witness) {
        fj["witness"] = {{"name", f.witness->name}, {"version", f.witness->version}};
        if (f.witness->tolerance) fj["witness"]["tolerance"] = tolerance_json(*f.witness->tolerance);
      }
      report["files"].push_back(std::move(fj));
    }
    for (const auto& [key, g] : groups) {
      nlohmann::json gj{{"loss", key.first},       {"dtype", key.second},     {"cases", g.cases},
                        {"errors", g.errors},      {"passed", g.passed},      {"failed", g.failed},
                        {"unsupported", g.unsupported}, {"outputs_only", g.outputs_only},
                        {"unrecorded_grads", g.unrecorded}, {"unsupported_reasons", g.unsupported_reasons},
                        {"max_ulps", ulps_json(g.max_ulps)},
                        {"rms_ulps", ulps_json(g.elements ? std::sqrt(g.sum_sq / static_cast<double>(g.elements)) : 0.0)},
                        {"worst", nullptr}};
      if (g.failed)
        gj["worst"] = {{"file", g.worst_file}, {"index", g.worst_index}, {"id", nlohmann::json::parse(g.worst_id)},
                       {"message", g.worst_message}, {"witness", g.worst_witness},
                       {"diagnosis", g.worst_diagnosis}, {"referee", g.worst_referee}};
      report["groups"].push_back(std::move(gj));
    }
    report["summary"] = {{"cases", total},       {"passed", total - failed}, {"failed", failed},
                         {"unsupported", unsupported}, {"outputs_only", outputs_only}, {"malformed_files", malformed}};
    try {
      write_file_atomically(o.json_path, report.dump(1) + "\n");
    } catch (const std::exception& e) {
      err << "losscheck fixtures verify: " << e.what() << '\n';
      return exit_codes::usage;
    }
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
