// Tests of the wire format (docs/format.md): reading and writing tensors, cases and results. Expected decimal
// strings are the shortest round-trip forms, checked by hand against the IEEE values they denote (e.g. float32
// 0.1f = 0x3DCCCCCD, whose shortest decimal is "0.1").

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "losscheck/error.h"
#include "losscheck/json.h"
#include "test_util.h"

namespace losscheck {
namespace {

TEST(json, floats_are_written_in_the_shortest_form_of_their_dtype) {
  EXPECT_EQ(format_float(static_cast<double>(0.1f), dtype::float32), "0.1");
  EXPECT_EQ(format_float(static_cast<double>(0.1f), dtype::float64), "0.10000000149011612");
  EXPECT_EQ(format_float(0.1, dtype::float64), "0.1");
  EXPECT_EQ(format_float(-0.0, dtype::float64), "-0.0");
  EXPECT_EQ(format_float(0.0, dtype::float32), "0.0");
  EXPECT_EQ(format_float(NAN, dtype::float32), "\"nan\"");
  EXPECT_EQ(format_float(-INFINITY, dtype::float64), "\"-inf\"");
  EXPECT_EQ(format_float(1e300, dtype::float64), "1e+300");
}

TEST(json, decimals_round_once_to_float32) {
  // 1.00000005960464477539062500000001 lies just above the midpoint 1 + 2^-24 between the float32 values 1 and
  // 1 + 2^-23. Rounded to float64 first it becomes exactly the midpoint, which then rounds (to even) down to 1: the
  // double-rounding error. Rounded once it must go up to 1 + 2^-23.
  auto t = tensor_from_json(parse_json(R"({"shape":[2],"data":[1.00000005960464477539062500000001, 0.1]})"),
                            dtype::float32, "t");
  EXPECT_EQ(t.values[0], 1.0 + std::ldexp(1.0, -23));
  EXPECT_EQ(t.values[1], static_cast<double>(0.1f));
  auto d = tensor_from_json(parse_json(R"({"shape":[1],"data":[1.00000005960464477539062500000001]})"),
                            dtype::float64, "t");
  EXPECT_EQ(d.values[0], 1.0 + std::ldexp(1.0, -24));  // float64 keeps the nearest double
}

TEST(json, non_finite_values_and_signed_zero_round_trip) {
  auto t = tensor_from_json(parse_json(R"({"shape":[4],"data":["nan","inf","-inf",-0.0]})"), dtype::float64, "t");
  EXPECT_TRUE(std::isnan(t.values[0]));
  EXPECT_EQ(t.values[1], INFINITY);
  EXPECT_EQ(t.values[2], -INFINITY);
  EXPECT_TRUE(std::signbit(t.values[3]));
  EXPECT_EQ(to_json(t), R"({"shape":[4],"dtype":"float64","data":["nan","inf","-inf",-0.0]})");
}

TEST(json, numbers_beyond_the_dtype_range_overflow_to_inf) {
  auto t = tensor_from_json(parse_json(R"({"shape":[2],"data":[1e39, -1e400]})"), dtype::float32, "t");
  EXPECT_EQ(t.values[0], INFINITY);
  EXPECT_EQ(t.values[1], -INFINITY);
}

TEST(json, a_case_reads_back_as_written) {
  const std::string text =
      R"({"id":{"n":[7]},"loss":"cross_entropy","dtype":"float32","options":{"ignore_index":-100,"label_smoothing":0.1,"reduction":"mean"},)"
      R"("inputs":{"input":{"shape":[2,2],"dtype":"float32","data":[0.5,-1.25,3.0,0.1]},)"
      R"("target":{"shape":[2],"dtype":"int64","data":[1,0]}},"grad_output":{"shape":[],"dtype":"float32","data":[1.0]}})";
  auto c = case_from_json(parse_json(text));
  EXPECT_EQ(c.id, R"({"n":[7]})");
  EXPECT_EQ(c.loss, "cross_entropy");
  EXPECT_EQ(std::get<double>(c.options.at("label_smoothing")), 0.1);
  EXPECT_EQ(c.inputs.at("target").ints, (std::vector<std::int64_t>{1, 0}));
  auto again = case_from_json(parse_json(to_json(c)));
  EXPECT_EQ(to_json(again), to_json(c));
}

TEST(json, results_round_trip) {
  loss_result r;
  r.id = "\"a\"";
  r.output = tensor::floats(dtype::float32, {}, {static_cast<double>(2.25f)});
  r.grads["input"] = tensor::floats(dtype::float32, {2}, {static_cast<double>(0.1f), -0.0});
  const auto text = to_json(r);
  EXPECT_EQ(text,
            R"({"id":"a","output":{"shape":[],"dtype":"float32","data":[2.25]},"grads":{"input":{"shape":[2],"dtype":"float32","data":[0.1,-0.0]}}})");
  auto back = result_from_json(parse_json(text), dtype::float32);
  EXPECT_EQ(to_json(back), text);
  EXPECT_EQ(to_json(loss_result::failure("3", "mse_loss: bad")), R"({"id":3,"error":"mse_loss: bad"})");
}

struct bad_document {
  const char* text;
  const char* fragment;
};

class json_rejects : public ::testing::TestWithParam<bad_document> {};

TEST_P(json_rejects, with_a_message_that_says_what_and_where) {
  const auto& p = GetParam();
  try {
    (void)case_from_json(parse_json(p.text));
    FAIL() << "accepted: " << p.text;
  } catch (const format_error& e) {
    EXPECT_NE(std::string(e.what()).find(p.fragment), std::string::npos) << e.what();
  } catch (const loss_error& e) {
    EXPECT_NE(std::string(e.what()).find(p.fragment), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    catalog, json_rejects,
    ::testing::Values(
        bad_document{R"({"loss":"mse_loss","inputs":{)", "invalid JSON"},
        bad_document{R"([1,2])", "must be a JSON object"},
        bad_document{R"({"inputs":{}})", "missing \"loss\""},
        bad_document{R"({"loss":"mse_loss"})", "missing \"inputs\""},
        bad_document{R"({"loss":"mse_loss","inputs":{},"bogus":1})", "unknown key \"bogus\""},
        bad_document{R"({"loss":"mse_loss","dtype":"float8","inputs":{}})", "\"dtype\" must be"},
        bad_document{R"({"loss":"mse_loss","inputs":{"input":{"shape":[2],"data":[1]}}})", "needs 2 values but data has 1"},
        bad_document{R"({"loss":"mse_loss","inputs":{"input":{"shape":[-1],"data":[]}}})", "negative"},
        bad_document{R"({"loss":"mse_loss","inputs":{"input":{"shape":[1000000000000],"data":[]}}})", "needs 1000000000000 values"},
        bad_document{R"({"loss":"mse_loss","inputs":{"input":{"shape":[4294967296,4294967296],"data":[]}}})", "int64"},
        bad_document{R"({"loss":"nll_loss","inputs":{"target":{"shape":[1],"dtype":"int64","data":[1.5]}}})", "must be an integer"},
        bad_document{R"({"loss":"nll_loss","inputs":{"target":{"shape":[1],"dtype":"int64","data":["nan"]}}})", "must be an integer"},
        bad_document{R"({"loss":"mse_loss","inputs":{"input":{"shape":[1],"data":["NaN"]}}})", "only \"nan\""},
        bad_document{R"({"loss":"mse_loss","inputs":{"input":{"shape":[1],"dtype":"float64","data":[1]}}})", "differs from the case dtype"},
        bad_document{R"({"loss":"mse_loss","options":{"reduction":[1]},"inputs":{}})", "an option must be"},
        bad_document{R"({"loss":"mse_loss","inputs":{"input":{"shape":[1],"data":[1],"strides":[1]}}})", "unknown key \"strides\""}));

// The document parse_json builds (a SAX handler of its own over nlohmann's lexer): what a plain nlohmann parse would
// give, except for the raw-number rule above and the depth limit.
TEST(json, a_repeated_key_keeps_its_last_value) {
  EXPECT_EQ(parse_json(R"({"a":1,"b":[2],"a":{"c":[3,{"a":4}]}})"),
            nlohmann::json::parse(R"({"a":{"c":[3,{"a":4}]},"b":[2]})"));
  const auto c = case_from_json(parse_json(R"({"loss":"nll_loss","loss":"mse_loss","inputs":{}})"));
  EXPECT_EQ(c.loss, "mse_loss");
}

TEST(json, numbers_keep_their_kind_and_strings_cannot_pose_as_raw_numbers) {
  const auto j = parse_json(R"([18446744073709551615,-1,7,1.5,true,null,"\u0001abc",{}])");
  ASSERT_EQ(j.size(), 8u);
  EXPECT_TRUE(j[0].is_number_unsigned());
  EXPECT_EQ(j[0].get<std::uint64_t>(), 18446744073709551615u);
  EXPECT_TRUE(j[1].is_number_integer() && !j[1].is_number_unsigned());
  EXPECT_TRUE(j[2].is_number_unsigned());  // nlohmann reads a non-negative integer as unsigned
  EXPECT_TRUE(j[3].is_number_float());
  EXPECT_TRUE(j[4].is_boolean());
  EXPECT_TRUE(j[5].is_null());
  EXPECT_EQ(j[6], "?abc");  // the marker byte is reserved for decimals kept as text
  EXPECT_TRUE(j[7].is_object());
}

TEST(json, syntax_errors_name_the_byte_line_and_column) {
  // positions count bytes from 1: the end of "[1,2" is byte 5, the '}' of {"a":1,} byte 8
  auto message_of = [](const std::string& text) {
    try {
      (void)parse_json(text);
    } catch (const format_error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(message_of("[1,2"),
            "invalid JSON at byte 5: parse error at line 1, column 5: syntax error while parsing array - unexpected end "
            "of input; expected ']'");
  EXPECT_EQ(message_of(R"({"a":1,})"),
            "invalid JSON at byte 8: parse error at line 1, column 8: syntax error while parsing object key - "
            "unexpected '}'; expected string literal");
  EXPECT_EQ(message_of("\n\n  [nan]"),
            "invalid JSON at byte 7: parse error at line 3, column 5: syntax error while parsing value - invalid "
            "literal; last read: '<U+000A><U+000A>  [na'");
}

TEST(json, nesting_up_to_the_limit_is_read_and_one_level_more_is_refused_where_it_opens) {
  const int limit = max_json_depth;
  const auto arrays = [](int depth) {
    return std::string(static_cast<std::size_t>(depth), '[') + std::string(static_cast<std::size_t>(depth), ']');
  };
  const auto objects = [](int depth) {
    std::string s;
    for (int i = 0; i < depth; ++i) s += R"({"a":)";
    s += "1";
    return s + std::string(static_cast<std::size_t>(depth), '}');
  };
  EXPECT_NO_THROW((void)parse_json(arrays(limit)));
  EXPECT_NO_THROW((void)parse_json(objects(limit)));
  try {
    (void)parse_json(arrays(limit + 1));
    FAIL() << "accepted";
  } catch (const format_error& e) {
    EXPECT_STREQ(e.what(), "invalid JSON at byte 129: nested deeper than 128 levels");
  }
  try {
    (void)parse_json(objects(limit + 1));
    FAIL() << "accepted";
  } catch (const format_error& e) {  // 128 openings of 5 bytes each, then the 129th at byte 641
    EXPECT_STREQ(e.what(), "invalid JSON at byte 641: nested deeper than 128 levels");
  }
}

TEST(json, deep_nesting_is_refused_without_recursion) {
  std::string deep(100000, '[');
  EXPECT_THROW((void)parse_json(deep), format_error);
}

}  // namespace
}  // namespace losscheck
