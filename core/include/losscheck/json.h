#pragma once
/// @file json.h
/// The one JSON form of cases, results and tensors (docs/format.md).

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "losscheck/case.h"

namespace losscheck {

/// Parses JSON text. Unlike a plain parse, it keeps what is needed to round decimal numbers correctly to float32
/// (see docs/format.md) and refuses nesting deeper than `max_json_depth`. Throws format_error naming the position.
nlohmann::json parse_json(std::string_view text);
inline constexpr int max_json_depth = 128;

/// Reads a case. `extra_keys` are top-level keys that are allowed besides the case's own (e.g. "expected" in
/// fixture files). Throws format_error (bad structure or types) or loss_error.
loss_case case_from_json(const nlohmann::json& j, const std::vector<std::string>& extra_keys = {});
/// The "id" member of a case or result as JSON text ("null" when absent or not an object).
std::string id_from_json(const nlohmann::json& j);
/// Reads a tensor; float tensors take `float_type` unless they state it (which must then agree). `where` names the
/// tensor in messages ("inputs.target").
tensor tensor_from_json(const nlohmann::json& j, dtype float_type, std::string_view where);
/// Reads a result (as written by a target); float tensors default to `float_type`.
loss_result result_from_json(const nlohmann::json& j, dtype float_type);

/// One line of JSON (no newline), floats in the shortest form that reads back to the same value of their dtype.
std::string to_json(const tensor& t);
std::string to_json(const loss_case& c);
std::string to_json(const loss_result& r);
/// The shortest decimal that reads back as `v` in `type` ("nan"/"inf"/"-inf" quoted).
std::string format_float(double v, dtype type);

}  // namespace losscheck
