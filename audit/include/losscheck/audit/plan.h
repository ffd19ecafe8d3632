#pragma once
/// @file plan.h
/// The plan of an audit: which rows run, in which order, and which of them a shard runs. A pure function of the
/// selection (losses × properties × dtypes × fixture files) and the shard: no target, no clock, no files.

#include <cstddef>
#include <string>
#include <vector>

namespace losscheck {

/// A property as the plan sees it (the registry, in its order).
struct plan_property {
  std::string loss;
  std::string name;
  /// Runs once with every selected dtype (when both are selected; otherwise not at all) instead of once per dtype:
  /// the float32/float64 consistency property, dtype "float32+float64".
  bool spans_dtypes = false;
  /// Runs in the half dtypes' rows only (the half/float32 consistency property).
  bool half_only = false;
};

/// A slice `index`/`count` of the plan: the rows whose `order` is index−1 modulo count.
struct shard {
  int index = 1;
  int count = 1;
  bool operator==(const shard&) const = default;
};

/// One row of the plan: a property (or the fixtures) of one loss in one dtype (or "float32+float64").
struct plan_row {
  std::size_t order = 0;  ///< index in the whole plan, the same in every shard
  std::string loss;
  std::string check;  ///< the property's name, or "fixtures"
  std::string kind;   ///< "property" or "fixtures"
  std::string dtype;  ///< "float32", "float64", "bfloat16", "float16" or "float32+float64"
  bool operator==(const plan_row&) const = default;
};

/// What to plan: everything known, and the selection (names as given on the command line).
struct plan_request {
  std::vector<std::string> known_losses;           ///< every loss, in catalog order
  std::vector<plan_property> known_properties;     ///< every property, in registry order
  std::vector<std::string> losses;                 ///< empty: every loss
  std::vector<std::string> dtypes;                 ///< "float32", "float64", "bfloat16", "float16"; empty: float32 and float64
  std::vector<std::string> properties;             ///< property names and "fixtures"; empty: all
  std::vector<std::string> fixture_files;          ///< the fixture files read (names); none: no fixture rows
  losscheck::shard shard;
};

/// The plan: the selection resolved and the ordered rows of the whole audit.
struct audit_plan {
  std::vector<std::string> losses;  ///< selected, in catalog order
  std::vector<std::string> dtypes;  ///< selected, in the order float32, float64, bfloat16, float16
  /// The property rows (per loss in catalog order, per property in registry order, per dtype), then — when there are
  /// fixture files — one fixture row per loss × dtype.
  std::vector<plan_row> rows;
  std::size_t property_rows = 0;  ///< rows[0, property_rows) are properties, the rest fixtures
  losscheck::shard shard;
  bool all_losses = false;  ///< every known loss is selected

  /// Whether this plan's shard runs the row of `order`.
  bool in_shard(std::size_t order) const;
  /// The rows this shard runs, in order.
  std::vector<const plan_row*> shard_rows() const;
  /// The order of the fixture row of (loss, dtype); rows.size() when there is none.
  std::size_t fixture_row(const std::string& loss, const std::string& dtype) const;
};

/// Whether `name` (a property, or "fixtures") is selected by `properties` (empty: everything is).
bool selects(const std::vector<std::string>& properties, const std::string& name);

/// Resolves the selection and orders the rows. Throws std::invalid_argument naming the first unknown loss, dtype or
/// property (and listing the valid ones), or a shard that is not 1 <= index <= count.
audit_plan make_plan(const plan_request& request);

}  // namespace losscheck
