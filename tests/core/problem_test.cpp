// Tests of the shared validation (core/src/problem.cpp): names, option types, legacy reduction flags and shape
// rules, following torch.nn._reduction and LossNLL.cpp / Loss.cpp of PyTorch 1.13.1.

#include <gtest/gtest.h>

#include "losscheck/error.h"
#include "losscheck/problem.h"
#include "test_util.h"

namespace losscheck {
namespace {

using testing::case_from;

reduction reduction_of(const std::string& options) {
  auto c = case_from(R"({"loss":"mse_loss","options":)" + options +
                     R"(,"inputs":{"input":{"shape":[1],"data":[1]},"target":{"shape":[1],"data":[0]}}})");
  return std::get<mse_loss_problem>(resolve_problem(c)).red;
}

TEST(problem, legacy_flags_map_to_reduction_like_legacy_get_string) {
  // size_average \ reduce:   None   True   False
  //   None                  mean   mean   none
  //   True                  mean   mean   none
  //   False                 sum    sum    none
  EXPECT_EQ(reduction_of(R"({})"), reduction::mean);
  EXPECT_EQ(reduction_of(R"({"size_average":null,"reduce":null,"reduction":"sum"})"), reduction::sum);
  EXPECT_EQ(reduction_of(R"({"size_average":null,"reduce":true,"reduction":"none"})"), reduction::mean);
  EXPECT_EQ(reduction_of(R"({"size_average":null,"reduce":false})"), reduction::none);
  EXPECT_EQ(reduction_of(R"({"size_average":true,"reduction":"sum"})"), reduction::mean);
  EXPECT_EQ(reduction_of(R"({"size_average":true,"reduce":true})"), reduction::mean);
  EXPECT_EQ(reduction_of(R"({"size_average":true,"reduce":false})"), reduction::none);
  EXPECT_EQ(reduction_of(R"({"size_average":false})"), reduction::sum);
  EXPECT_EQ(reduction_of(R"({"size_average":false,"reduce":true})"), reduction::sum);
  EXPECT_EQ(reduction_of(R"({"size_average":false,"reduce":false})"), reduction::none);
  EXPECT_EQ(reduction_of(R"({"reduction":"elementwise_mean"})"), reduction::mean);
  // A legacy flag overrides even an invalid reduction string, as in torch.
  EXPECT_EQ(reduction_of(R"({"reduce":false,"reduction":"bogus"})"), reduction::none);
}

void expect_rejected(const std::string& text, const std::string& fragment) {
  try {
    (void)resolve_problem(case_from(text));
    FAIL() << "accepted: " << text;
  } catch (const loss_error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(problem, names_and_types_are_checked_with_the_valid_choices_listed) {
  expect_rejected(R"({"loss":"l3_loss","inputs":{}})", "valid losses: mse_loss, binary_cross_entropy");
  expect_rejected(R"({"loss":"mse_loss","options":{"margin":1},"inputs":{}})",
                  "mse_loss: unknown option 'margin' (valid options: reduction, size_average, reduce)");
  expect_rejected(R"({"loss":"mse_loss","inputs":{"input":{"shape":[1],"data":[1]}}})",
                  "mse_loss: missing required input 'target'");
  expect_rejected(R"({"loss":"mse_loss","inputs":{"input":{"shape":[1],"data":[1]},"target":{"shape":[1],"data":[1]},"x":{"shape":[1],"data":[1]}}})",
                  "unknown input 'x'");
  expect_rejected(R"({"loss":"mse_loss","options":{"reduction":"batchmean"},"inputs":{"input":{"shape":[1],"data":[1]},"target":{"shape":[1],"data":[1]}}})",
                  "batchmean is not a valid value for reduction");
  expect_rejected(R"({"loss":"kl_div","options":{"log_target":1},"inputs":{"input":{"shape":[1],"data":[1]},"target":{"shape":[1],"data":[1]}}})",
                  "option 'log_target' must be true or false, got the number 1");
  expect_rejected(R"({"loss":"nll_loss","options":{"ignore_index":1.5},"inputs":{"input":{"shape":[1,2],"data":[1,2]},"target":{"shape":[1],"dtype":"int64","data":[0]}}})",
                  "option 'ignore_index' must be an integer");
}

std::string zeros_csv(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += i ? ",0" : "0";
  return s;
}

TEST(problem, class_shapes_follow_nll_loss_nd) {
  auto p = std::get<cross_entropy_problem>(resolve_problem(case_from(
      R"({"loss":"cross_entropy","inputs":{"input":{"shape":[2,3,4,5],"data":[)" + zeros_csv(120) +
      R"(]},"target":{"shape":[2,4,5],"dtype":"int64","data":[)" + zeros_csv(40) + "]}}}")));
  EXPECT_EQ(p.layout.batch, 2);
  EXPECT_EQ(p.layout.classes, 3);
  EXPECT_EQ(p.layout.inner, 20);
  EXPECT_EQ(p.layout.none_shape, (shape_t{2, 4, 5}));
  EXPECT_FALSE(p.probability_target);

  expect_rejected(R"({"loss":"nll_loss","inputs":{"input":{"shape":[2,3],"data":[1,2,3,4,5,6]},"target":{"shape":[3],"dtype":"int64","data":[0,0,0]}}})",
                  "expected target of shape [2] for input of shape [2, 3], got [3]");
  expect_rejected(R"({"loss":"nll_loss","inputs":{"input":{"shape":[3],"data":[1,2,3]},"target":{"shape":[3],"dtype":"int64","data":[0,0,0]}}})",
                  "takes a 0-D target");
  expect_rejected(R"({"loss":"nll_loss","inputs":{"input":{"shape":[1,2],"data":[1,2]},"target":{"shape":[1],"dtype":"int64","data":[0]},"weight":{"shape":[3],"data":[1,1,1]}}})",
                  "weight tensor should be defined either for all 2 classes");
  expect_rejected(R"({"loss":"cross_entropy","options":{"ignore_index":0},"inputs":{"input":{"shape":[1,2],"data":[1,2]},"target":{"shape":[1,2],"data":[0.5,0.5]}}})",
                  "ignore_index is not supported for floating point target");
  expect_rejected(R"({"loss":"cross_entropy","options":{"label_smoothing":1.5},"inputs":{"input":{"shape":[1,2],"data":[1,2]},"target":{"shape":[1],"dtype":"int64","data":[0]}}})",
                  "label_smoothing must be between 0.0 and 1.0");
}

TEST(problem, weights_broadcast_to_the_target_but_never_enlarge_it) {
  const std::string io = R"("input":{"shape":[2,3],"data":[0.5,0.5,0.5,0.5,0.5,0.5]},"target":{"shape":[2,3],"data":[0,1,0,1,0,1]})";
  EXPECT_NO_THROW((void)resolve_problem(case_from(R"({"loss":"binary_cross_entropy","inputs":{)" + io +
                                                  R"(,"weight":{"shape":[2,1],"data":[1,2]}}})")));
  expect_rejected(R"({"loss":"binary_cross_entropy","inputs":{)" + io + R"(,"weight":{"shape":[2,2,3],"data":[1,1,1,1,1,1,1,1,1,1,1,1]}}})",
                  "must broadcast to the target's shape [2, 3]");
  expect_rejected(R"({"loss":"binary_cross_entropy_with_logits","inputs":{)" + io + R"(,"pos_weight":{"shape":[2],"data":[1,2]}}})",
                  "pos_weight of shape [2] must broadcast");
}

TEST(problem, grad_output_must_have_the_output_shape) {
  expect_rejected(R"({"loss":"mse_loss","options":{"reduction":"none"},"inputs":{"input":{"shape":[2],"data":[1,2]},"target":{"shape":[2],"data":[1,1]}},"grad_output":{"shape":[],"data":[1]}})",
                  "grad_output has shape [] but the output has shape [2]");
}

TEST(problem, cosine_inputs_broadcast_like_torch) {
  auto p = std::get<cosine_embedding_loss_problem>(resolve_problem(case_from(
      R"({"loss":"cosine_embedding_loss","options":{"reduction":"none"},"inputs":{"input1":{"shape":[3,2],"data":[1,2,3,4,5,6]},"input2":{"shape":[1,2],"data":[1,1]},"target":{"shape":[1],"dtype":"int64","data":[1]}}})")));
  EXPECT_EQ(p.pair_shape, (shape_t{3, 2}));
  EXPECT_EQ(p.none_shape, (shape_t{3}));
  expect_rejected(R"({"loss":"cosine_embedding_loss","inputs":{"input1":{"shape":[2],"data":[1,2]},"input2":{"shape":[2],"data":[1,1]},"target":{"shape":[1],"data":[1]}}})",
                  "1D target tensor expects 2D input tensors");
}

}  // namespace
}  // namespace losscheck
