// The plan (audit/include/losscheck/audit/plan.h) on a small made-up catalog: two losses, three properties (one that
// spans both dtypes), fixture files. The expected rows are written out by hand from the documented order: per loss
// in catalog order, per property in registry order, per dtype (float32 first); then one fixture row per loss × dtype.

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

#include "losscheck/audit/plan.h"

namespace {

using namespace losscheck;

plan_request small_request() {
  plan_request q;
  q.known_losses = {"a_loss", "b_loss"};
  q.known_properties = {{"a_loss", "p", false}, {"a_loss", "both", true}, {"b_loss", "p", false}};
  q.fixture_files = {"a_loss.json"};
  return q;
}

std::vector<std::string> texts(const audit_plan& plan) {
  std::vector<std::string> out;
  for (const auto& r : plan.rows) out.push_back(std::to_string(r.order) + " " + r.loss + " " + r.check + " " + r.kind + " " + r.dtype);
  return out;
}

TEST(plan, orders_properties_per_loss_then_the_fixture_rows) {
  const auto plan = make_plan(small_request());
  EXPECT_EQ(texts(plan), (std::vector<std::string>{
                             "0 a_loss p property float32",
                             "1 a_loss p property float64",
                             "2 a_loss both property float32+float64",
                             "3 b_loss p property float32",
                             "4 b_loss p property float64",
                             "5 a_loss fixtures fixtures float32",
                             "6 a_loss fixtures fixtures float64",
                             "7 b_loss fixtures fixtures float32",
                             "8 b_loss fixtures fixtures float64",
                         }));
  EXPECT_EQ(plan.property_rows, 5u);
  EXPECT_EQ(plan.losses, (std::vector<std::string>{"a_loss", "b_loss"}));
  EXPECT_EQ(plan.dtypes, (std::vector<std::string>{"float32", "float64"}));
  EXPECT_TRUE(plan.all_losses);
  EXPECT_EQ(plan.fixture_row("b_loss", "float32"), 7u);
  EXPECT_EQ(plan.fixture_row("c_loss", "float32"), plan.rows.size());
}

TEST(plan, a_dtype_spanning_property_needs_both_dtypes) {
  auto q = small_request();
  q.dtypes = {"float64"};
  EXPECT_EQ(texts(make_plan(q)), (std::vector<std::string>{
                                     "0 a_loss p property float64",
                                     "1 b_loss p property float64",
                                     "2 a_loss fixtures fixtures float64",
                                     "3 b_loss fixtures fixtures float64",
                                 }));
}

TEST(plan, selects_losses_in_catalog_order_and_properties_by_name) {
  auto q = small_request();
  q.losses = {"b_loss", "a_loss"};  // the catalog's order, not the selection's
  q.properties = {"p"};
  const auto plan = make_plan(q);
  EXPECT_EQ(texts(plan), (std::vector<std::string>{"0 a_loss p property float32", "1 a_loss p property float64",
                                                   "2 b_loss p property float32", "3 b_loss p property float64"}));
  q.losses = {"b_loss"};
  q.properties = {"fixtures"};
  const auto only_fixtures = make_plan(q);
  EXPECT_FALSE(only_fixtures.all_losses);
  EXPECT_EQ(texts(only_fixtures), (std::vector<std::string>{"0 b_loss fixtures fixtures float32",
                                                            "1 b_loss fixtures fixtures float64"}));
  q.fixture_files.clear();  // no fixture file: no fixture row, even when selected
  EXPECT_TRUE(make_plan(q).rows.empty());
}

TEST(plan, the_shards_partition_the_plan_modulo_n) {
  auto q = small_request();
  std::set<std::size_t> seen;
  for (int i = 1; i <= 4; ++i) {
    q.shard = {i, 4};
    const auto plan = make_plan(q);
    for (const plan_row* r : plan.shard_rows()) {
      EXPECT_EQ(static_cast<int>(r->order % 4), i - 1) << "row " << r->order << " in shard " << i;
      EXPECT_TRUE(seen.insert(r->order).second) << "row " << r->order << " in two shards";
    }
  }
  EXPECT_EQ(seen.size(), 9u);
  q.shard = {2, 3};
  std::vector<std::size_t> orders;
  for (const plan_row* r : make_plan(q).shard_rows()) orders.push_back(r->order);
  EXPECT_EQ(orders, (std::vector<std::size_t>{1, 4, 7}));
}

void expect_refused(const plan_request& q, const std::string& text) {
  try {
    make_plan(q);
    ADD_FAILURE() << "accepted; want an error containing: " << text;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

TEST(plan, half_dtypes_run_every_per_dtype_property_and_the_half_only_ones) {
  auto q = small_request();
  q.known_properties.push_back({"a_loss", "half", false, true});
  EXPECT_EQ(texts(make_plan(q)).size(), 9u);  // without half dtypes the half-only property has no row
  q.dtypes = {"float16", "float64", "bfloat16"};  // listed in any order, planned in the documented one
  const auto plan = make_plan(q);
  EXPECT_EQ(plan.dtypes, (std::vector<std::string>{"float64", "bfloat16", "float16"}));
  EXPECT_EQ(texts(plan), (std::vector<std::string>{
                             "0 a_loss p property float64",
                             "1 a_loss p property bfloat16",
                             "2 a_loss p property float16",
                             "3 a_loss half property bfloat16",
                             "4 a_loss half property float16",
                             "5 b_loss p property float64",
                             "6 b_loss p property bfloat16",
                             "7 b_loss p property float16",
                             "8 a_loss fixtures fixtures float64",
                             "9 a_loss fixtures fixtures bfloat16",
                             "10 a_loss fixtures fixtures float16",
                             "11 b_loss fixtures fixtures float64",
                             "12 b_loss fixtures fixtures bfloat16",
                             "13 b_loss fixtures fixtures float16",
                         }));
}

TEST(plan, refuses_unknown_names_and_bad_shards_naming_them) {
  auto q = small_request();
  q.losses = {"a_loss", "z_loss"};
  expect_refused(q, "unknown loss 'z_loss'; did you mean 'a_loss'? (losses: a_loss, b_loss)");
  q = small_request();
  q.dtypes = {"float8"};
  expect_refused(q, "unknown dtype 'float8' (dtypes: float32, float64, bfloat16, float16)");
  q = small_request();
  q.dtypes = {"bfloat18"};
  expect_refused(q, "unknown dtype 'bfloat18'; did you mean 'bfloat16'?");
  q = small_request();
  q.properties = {"p", "no_such_property"};
  expect_refused(q, "unknown property 'no_such_property'");
  q = small_request();
  q.shard = {3, 2};
  expect_refused(q, "--shard 3/2: want I/N with 1 <= I <= N");
  q.shard = {0, 2};
  expect_refused(q, "--shard 0/2");
}

TEST(plan, selects_means_all_when_empty) {
  EXPECT_TRUE(selects({}, "anything"));
  EXPECT_TRUE(selects({"p", "fixtures"}, "fixtures"));
  EXPECT_FALSE(selects({"p"}, "fixtures"));
}

}  // namespace
