// closest_name / did_you_mean (core/include/losscheck/suggest.h): typos of one or two edits find their name; names far
// from every known one find none. Expected values: the edit distances counted by hand.

#include <gtest/gtest.h>

#include "losscheck/suggest.h"

namespace {

using losscheck::closest_name;
using losscheck::did_you_mean;

const std::vector<std::string> losses{"mse_loss", "nll_loss", "kl_div", "cross_entropy", "l1_loss"};

TEST(suggest, a_typo_finds_its_name) {
  EXPECT_EQ(closest_name("mse_los", losses), "mse_loss");        // one deletion
  EXPECT_EQ(closest_name("kl_dvi", losses), "kl_div");           // one swap of neighbours
  EXPECT_EQ(closest_name("MSE_LOSS", losses), "mse_loss");       // case
  EXPECT_EQ(closest_name("cross_entorpy", losses), "cross_entropy");
  EXPECT_EQ(closest_name("cross", losses), "cross_entropy");     // the prefix of exactly one name
}

TEST(suggest, a_name_far_from_all_finds_none) {
  EXPECT_EQ(closest_name("float16", {"float32", "float64"}), "");  // two edits in seven letters: not a typo
  EXPECT_EQ(closest_name("hinge", losses), "");
  EXPECT_EQ(closest_name("", losses), "");
  EXPECT_EQ(did_you_mean("hinge", losses), "");
  EXPECT_EQ(did_you_mean("nll_los", losses), "; did you mean 'nll_loss'?");
}

}  // namespace
