// The fixture catalog (cli/fixtures_catalog.cpp and cli/fixtures_catalog/<loss>.cpp), loss by loss, without
// LibTorch: the table indexed by the record's index reaches the loss's own cases, which are well formed,
// deterministic, in both dtypes, and include inputs losscheck's rules reject. No expected values: the committed
// fixtures' bytes are checked where LibTorch is built (fixtures_regenerate_identical).

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "fixtures.h"
#include "losscheck/error.h"
#include "losscheck/json.h"
#include "losscheck/loss_record.h"
#include "losscheck/problem.h"

namespace losscheck::cli {
namespace {

class fixtures_catalog : public ::testing::TestWithParam<std::string> {};

TEST_P(fixtures_catalog, cases_are_the_losss_own_and_well_formed) {
  const std::string& loss = GetParam();
  const auto cases = fixture_catalog(loss);
  ASSERT_FALSE(cases.empty()) << loss << ": no fixture cases";
  std::set<dtype> types;
  std::size_t rejected = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    EXPECT_EQ(c.loss, loss) << "case " << i;
    EXPECT_EQ(c.id, fmt::format("\"{}/{}\"", loss, i));
    types.insert(c.type);
    EXPECT_NO_THROW(check_names(c)) << c.id << ": names the record does not know";
    try {
      const auto shape = output_shape(resolve_problem(c));
      if (c.grad_output) {
        EXPECT_EQ(c.grad_output->shape, shape) << c.id << ": grad_output shape";
      }
    } catch (const loss_error&) {
      ++rejected;
      EXPECT_FALSE(c.grad_output.has_value()) << c.id << ": a rejected case with a grad_output";
    }
  }
  EXPECT_EQ(types, (std::set<dtype>{dtype::float32, dtype::float64})) << loss;
  EXPECT_GT(rejected, 0u) << loss << ": no case that losscheck's shape and option rules reject";
  EXPECT_LT(rejected, cases.size()) << loss << ": every case rejected";
}

TEST_P(fixtures_catalog, is_deterministic) {
  const auto a = fixture_catalog(GetParam());
  const auto b = fixture_catalog(GetParam());
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(to_json(a[i]), to_json(b[i])) << a[i].id;
}

std::vector<std::string> all_losses() {
  std::vector<std::string> out;
  for (const auto& r : loss_catalog()) out.emplace_back(r.name);
  return out;
}

INSTANTIATE_TEST_SUITE_P(loss, fixtures_catalog, ::testing::ValuesIn(all_losses()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

TEST(fixtures_catalog_unknown, names_the_loss_and_the_valid_ones) {
  try {
    fixture_catalog("l1_los");
    FAIL() << "no exception for an unknown loss";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), fmt::format("unknown loss 'l1_los' (valid losses: {})", loss_names()));
  }
}

}  // namespace
}  // namespace losscheck::cli
