// exec_target's total time limit (set_deadline) and its non-blocking writes, on programs that never answer.
// No wall-clock threshold: each per-case timeout here is 600 s, so a wait that is not cut short hangs the test (ctest
// TIMEOUT) instead of passing.

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "exec_target.h"
#include "losscheck/json.h"

namespace losscheck::cli {
namespace {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

loss_case small_case() {
  return case_from_json(parse_json(
      R"({"id":"c","loss":"mse_loss","dtype":"float64","inputs":{"input":{"shape":[2],"data":[1,2]},"target":{"shape":[2],"data":[0,0]}}})"));
}

exec_target::options patient() {
  exec_target::options o;
  o.timeout = milliseconds(600000);
  o.startup_grace = milliseconds(0);
  return o;
}

TEST(exec_target, past_deadline_asks_nothing) {
  exec_target t("sleep 1000", patient());
  t.set_deadline(clock::now() - milliseconds(1));
  const loss_result r = t.evaluate(small_case());
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(*r.error, "total time limit reached (exec target not asked)");
  EXPECT_EQ(r.id, "\"c\"");
  EXPECT_TRUE(t.last_was_incident());
  EXPECT_EQ(t.starts(), 0) << "the program was started although the time limit had passed";
}

TEST(exec_target, deadline_cuts_the_wait_for_an_answer_short) {
  exec_target t("sleep 1000", patient());
  t.set_deadline(clock::now() + milliseconds(300));
  const loss_result r = t.evaluate(small_case());
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(*r.error, "total time limit reached while the exec target worked on case 1");
  EXPECT_TRUE(t.last_was_incident());
  EXPECT_EQ(t.starts(), 1);
  // and from then on nothing is asked
  const loss_result again = t.evaluate(small_case());
  ASSERT_TRUE(again.error.has_value());
  EXPECT_EQ(*again.error, "total time limit reached (exec target not asked)");
  EXPECT_EQ(t.starts(), 1);
}

TEST(exec_target, a_case_bigger_than_the_pipe_to_a_program_that_never_reads_does_not_block) {
  // 200,000 elements per input: several MB of JSON, far beyond a pipe's 64 KiB
  std::string data = "[";
  for (int i = 0; i < 200000; ++i) data += i ? ",0.5" : "0.5";
  data += "]";
  const loss_case big = case_from_json(parse_json(R"({"id":1,"loss":"mse_loss","dtype":"float64","inputs":{"input":{"shape":[200000],"data":)" +
                                                  data + R"(},"target":{"shape":[200000],"data":)" + data + "}}}"));
  exec_target::options o = patient();
  o.timeout = milliseconds(300);
  exec_target t("sleep 1000", o);
  const loss_result r = t.evaluate(big);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_NE(r.error->find("exec target did not read its input: "), std::string::npos) << *r.error;
  EXPECT_NE(r.error->find("bytes of case 1 still unread after 0.3 s"), std::string::npos) << *r.error;
}

}  // namespace
}  // namespace losscheck::cli
