// Failures grouped by root cause, and the baseline of accepted findings (report.h, docs/audit.md "Findings" and
// "Baseline").

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <stdexcept>

#include "losscheck/audit/report.h"

namespace losscheck {

namespace {

using json = nlohmann::json;

/// The finding that stands for a row: the first of its diagnosis's most serious class, or none.
const audit_finding* primary_finding(const audit_row& r) {
  for (const auto& f : r.diagnosis)
    if (f.kind == r.diagnosis_class) return &f;
  return r.diagnosis.empty() ? nullptr : &r.diagnosis.front();
}

/// "output, gradient of input: 2 × the reference's" → "2 × the reference's": the components a property happened to
/// compare are not part of the mistake (one property checks the output only, another the gradients too).
std::string without_components(const std::string& text) {
  static const std::regex components(R"(^(output|gradient of [A-Za-z0-9_]+)(, (output|gradient of [A-Za-z0-9_]+))*: )");
  return std::regex_replace(text, components, "", std::regex_constants::format_first_only);
}

/// The numbers that describe the case rather than the mistake replaced by '#': those in brackets or parentheses
/// (indices, "(divides by 3, not 12)"), after "= " ("N = 4") and before " (" ("12 (the number of input elements)").
/// A factor stays: "2 × the reference's" and "3 × the reference's" are different mistakes.
std::string without_numbers(const std::string& text) {
  static const std::regex number(R"([-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)");
  std::string out;
  std::size_t done = 0;
  int depth = 0;  // of () and [] before the number
  for (auto it = std::sregex_iterator(text.begin(), text.end(), number); it != std::sregex_iterator(); ++it) {
    const auto at = static_cast<std::size_t>(it->position()), len = static_cast<std::size_t>(it->length());
    for (std::size_t k = done; k < at; ++k)
      depth += text[k] == '(' || text[k] == '[' ? 1 : text[k] == ')' || text[k] == ']' ? -1 : 0;
    const bool after_equals = at >= 2 && text.compare(at - 2, 2, "= ") == 0;
    const bool before_explanation = text.compare(at + len, 2, " (") == 0;
    out += text.substr(done, at - done);
    out += depth > 0 || after_equals || before_explanation ? std::string("#") : it->str();
    done = at + len;
  }
  return out + text.substr(done);
}

/// The key of one finding: its text without the components, and without the numbers that describe the case (an
/// unexplained difference keeps its components: an output and a gradient are different stories).
std::string key_of(const audit_finding& f) {
  return without_numbers(f.kind == "unexplained" ? f.text : without_components(f.text));
}

std::string str_field(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string finding_key(const audit_row& r) {
  const audit_finding* f = primary_finding(r);
  if (!f) return without_numbers(r.message);
  // an unexplained difference keeps what differs (an output and a gradient are different stories); a named mistake
  // is the same root cause whichever outputs and gradients show it
  return key_of(*f);
}

namespace {

/// Every named mistake a row's diagnosis gives (each finding's key and the explanations that fit equally;
/// unexplained differences name none), and its own key.
std::set<std::string> named_keys(const audit_row& r) {
  std::set<std::string> out{finding_key(r)};
  for (const auto& f : r.diagnosis)
    if (f.kind == "convention" || f.kind == "bug" || f.kind == "precision") {
      out.insert(key_of(f));
      for (const auto& e : f.equally) out.insert(without_numbers(e));
    }
  return out;
}

/// Whether a finding is about the target (not the diagnosis's own trouble: "diagnosis failed: …").
bool is_explanation(const audit_finding& f) {
  return f.kind == "bug" || f.kind == "convention" || f.kind == "precision" || f.kind == "unexplained";
}

int seriousness(const std::string& kind) {
  return kind == "bug" ? 4 : kind == "unexplained" ? 3 : kind == "precision" ? 2 : kind == "convention" ? 1 : 0;
}

}  // namespace

std::vector<finding_group> audit_report::findings() const {
  // the failing rows of each loss, joined when their diagnoses name a mistake in common (one property may see a
  // gradient that is 1/2 × the reference's where another also sees it disagree with its own forward: one cause)
  std::vector<std::size_t> failing;
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (rows[i].verdict == check_verdict::fail) failing.push_back(i);
  std::vector<std::size_t> parent(failing.size());
  for (std::size_t a = 0; a < parent.size(); ++a) parent[a] = a;
  const auto root = [&](std::size_t a) {
    while (parent[a] != a) a = parent[a] = parent[parent[a]];
    return a;
  };
  std::vector<std::set<std::string>> keys;
  for (auto i : failing) keys.push_back(named_keys(rows[i]));
  for (std::size_t a = 0; a < failing.size(); ++a)
    for (std::size_t b = 0; b < a; ++b) {
      if (rows[failing[a]].loss != rows[failing[b]].loss) continue;
      const bool shared = std::any_of(keys[a].begin(), keys[a].end(), [&](const std::string& k) { return keys[b].count(k) > 0; });
      if (shared) parent[root(a)] = root(b);
    }
  std::vector<finding_group> out;
  std::map<std::size_t, std::size_t> group_of_root;
  std::vector<std::size_t> example_size;
  for (std::size_t a = 0; a < failing.size(); ++a) {
    const std::size_t i = failing[a];
    const audit_row& r = rows[i];
    auto [it, fresh] = group_of_root.emplace(root(a), out.size());
    if (fresh) {
      finding_group g;
      g.loss = r.loss;
      g.accepted = true;
      out.push_back(std::move(g));
      example_size.push_back(std::numeric_limits<std::size_t>::max());
    }
    finding_group& g = out[it->second];
    g.rows.push_back(i);
    g.accepted = g.accepted && r.accepted;
    // the smallest counterexample (a failure without one is the last choice)
    const std::size_t size = r.counterexample.is_null() ? std::numeric_limits<std::size_t>::max() - 1
                                                         : r.counterexample.dump().size();
    if (size < example_size[it->second]) {
      example_size[it->second] = size;
      g.example = i;
    }
  }
  for (auto& g : out) {
    // the headline: the most serious row diagnosis of the group (the first such row), its key the group's
    std::size_t head = g.rows.front();
    for (auto i : g.rows)
      if (seriousness(rows[i].diagnosis_class) > seriousness(rows[head].diagnosis_class)) head = i;
    g.kind = rows[head].diagnosis_class;
    const audit_finding* f = primary_finding(rows[head]);
    g.text = f ? f->text : rows[head].message;
    g.key = finding_key(rows[head]);
  }
  return out;
}

void audit_report::apply_baseline(const baseline& b, const std::string& file) {
  baseline_file = file;
  // (a property whose every failing case the baseline accepted, case by case, is accepted already)
  for (auto& r : rows) r.accepted = r.verdict == check_verdict::fail && (r.accepted || b.accepts(r));
}

baseline audit_report::to_baseline() const {
  baseline b;
  auto add = [&](baseline_entry e) {
    if (std::find_if(b.accepted.begin(), b.accepted.end(), [&](const baseline_entry& x) {
          return x.loss == e.loss && x.check == e.check && x.key == e.key;
        }) == b.accepted.end())
      b.accepted.push_back(std::move(e));
  };
  for (const auto& g : findings())
    for (auto i : g.rows) {
      const audit_row& r = rows[i];
      add({r.loss, r.check, g.key, fmt::format("{}: {}", g.kind.empty() ? std::string("no diagnosis") : g.kind, g.text)});
      // every finding of the row: a baseline accepts a failure when it accepts each of its findings
      // and the explanations that fit its cases as well ("2 × the reference's" beside "divides by the batch size
      // (2)"), so that the same behaviour is accepted on cases where only one of them fits
      for (const auto& f : r.diagnosis) {
        if (!is_explanation(f)) continue;
        add({r.loss, r.check, key_of(f), fmt::format("{}: {}", f.kind, f.text)});
        for (const auto& e : f.equally)
          add({r.loss, r.check, without_numbers(e), fmt::format("{}: {} (fits as well as: {})", f.kind, e, f.text)});
      }
    }
  return b;
}

bool baseline::accepts(const audit_row& r) const {
  if (r.verdict != check_verdict::fail) return false;
  const auto accepted_key = [&](const std::string& key) {
    return std::any_of(accepted.begin(), accepted.end(), [&](const baseline_entry& e) {
      return e.loss == r.loss && (e.check == r.check || e.check == "*") && e.key == key;
    });
  };
  // each finding must be accepted, under its own key or an explanation that fits as well; a row without any
  // finding of its own is accepted by its key (the message)
  bool any = false;
  for (const auto& f : r.diagnosis) {
    if (!is_explanation(f)) continue;
    any = true;
    if (accepted_key(key_of(f))) continue;
    if (std::none_of(f.equally.begin(), f.equally.end(), [&](const std::string& e) { return accepted_key(without_numbers(e)); }))
      return false;
  }
  return any || accepted_key(finding_key(r));
}

json baseline::to_json() const {
  auto entries = json::array();
  for (const auto& e : accepted)
    entries.push_back({{"loss", e.loss}, {"check", e.check}, {"key", e.key}, {"note", e.note}});
  return {{"format", "losscheck-baseline"}, {"version", 1}, {"accepted", std::move(entries)}};
}

baseline baseline::from_json(const json& j, const std::string& name) {
  const auto bad = [&](const std::string& why) {
    throw std::invalid_argument(fmt::format("{}: not a losscheck baseline: {}", name, why));
  };
  if (!j.is_object()) bad("not a JSON object");
  if (str_field(j, "format") != "losscheck-baseline") bad("\"format\" must be \"losscheck-baseline\"");
  if (!j.contains("version") || j["version"] != 1) bad("\"version\" must be 1");
  if (!j.contains("accepted") || !j["accepted"].is_array()) bad("\"accepted\" is missing or not an array");
  baseline b;
  std::size_t k = 0;
  for (const auto& e : j["accepted"]) {
    if (!e.is_object()) bad(fmt::format("accepted[{}] is not an object", k));
    baseline_entry x{str_field(e, "loss"), str_field(e, "check"), str_field(e, "key"), str_field(e, "note")};
    for (const auto& [field, value] : {std::pair{"loss", &x.loss}, {"check", &x.check}, {"key", &x.key}})
      if (value->empty()) bad(fmt::format("accepted[{}].{} is missing or not a non-empty string", k, field));
    b.accepted.push_back(std::move(x));
    ++k;
  }
  return b;
}

}  // namespace losscheck
