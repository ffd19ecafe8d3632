// The plan of an audit (plan.h).

#include "losscheck/audit/plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "losscheck/suggest.h"

namespace losscheck {

namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

}  // namespace

bool selects(const std::vector<std::string>& properties, const std::string& name) {
  return properties.empty() || contains(properties, name);
}

bool audit_plan::in_shard(std::size_t order) const {
  return static_cast<int>(order % static_cast<std::size_t>(shard.count)) == shard.index - 1;
}

std::vector<const plan_row*> audit_plan::shard_rows() const {
  std::vector<const plan_row*> out;
  for (const auto& r : rows)
    if (in_shard(r.order)) out.push_back(&r);
  return out;
}

std::size_t audit_plan::fixture_row(const std::string& loss, const std::string& dtype) const {
  for (std::size_t k = property_rows; k < rows.size(); ++k)
    if (rows[k].loss == loss && rows[k].dtype == dtype) return k;
  return rows.size();
}

audit_plan make_plan(const plan_request& q) {
  audit_plan plan;
  for (const auto& l : q.losses)
    if (!contains(q.known_losses, l))
      throw std::invalid_argument(fmt::format("unknown loss '{}'{} (losses: {})", l, did_you_mean(l, q.known_losses),
                                              fmt::join(q.known_losses, ", ")));
  for (const auto& l : q.known_losses)
    if (q.losses.empty() || contains(q.losses, l)) plan.losses.push_back(l);
  plan.all_losses = plan.losses.size() == q.known_losses.size();

  static const std::vector<std::string> all_dtypes{"float32", "float64", "bfloat16", "float16"};
  for (const auto& d : q.dtypes)
    if (!contains(all_dtypes, d))
      throw std::invalid_argument(fmt::format("unknown dtype '{}'{} (dtypes: {})", d, did_you_mean(d, all_dtypes),
                                              fmt::join(all_dtypes, ", ")));
  // by default the two full-precision dtypes; the half dtypes when asked for
  for (const auto& d : all_dtypes)
    if (q.dtypes.empty() ? (d == "float32" || d == "float64") : contains(q.dtypes, d)) plan.dtypes.push_back(d);

  for (const auto& name : q.properties) {
    const bool known = name == "fixtures" || std::any_of(q.known_properties.begin(), q.known_properties.end(),
                                                          [&](const plan_property& p) { return p.name == name; });
    if (!known) {
      std::vector<std::string> names{"fixtures"};
      for (const auto& p : q.known_properties) names.push_back(p.name);
      throw std::invalid_argument(fmt::format("unknown property '{}'{} (`losscheck list --properties` lists them)", name,
                                              did_you_mean(name, names)));
    }
  }

  if (q.shard.count < 1 || q.shard.index < 1 || q.shard.index > q.shard.count)
    throw std::invalid_argument(
        fmt::format("--shard {}/{}: want I/N with 1 <= I <= N", q.shard.index, q.shard.count));
  plan.shard = q.shard;

  for (const auto& loss : plan.losses) {
    for (const auto& p : q.known_properties) {
      if (p.loss != loss || !selects(q.properties, p.name)) continue;
      if (p.spans_dtypes) {
        if (contains(plan.dtypes, "float32") && contains(plan.dtypes, "float64"))
          plan.rows.push_back({plan.rows.size(), loss, p.name, "property", "float32+float64"});
        continue;
      }
      for (const auto& d : plan.dtypes)
        if (!p.half_only || d == "bfloat16" || d == "float16")
          plan.rows.push_back({plan.rows.size(), loss, p.name, "property", d});
    }
  }
  plan.property_rows = plan.rows.size();
  if (!q.fixture_files.empty() && selects(q.properties, "fixtures"))
    for (const auto& loss : plan.losses)
      for (const auto& d : plan.dtypes) plan.rows.push_back({plan.rows.size(), loss, "fixtures", "fixtures", d});
  return plan;
}

}  // namespace losscheck
