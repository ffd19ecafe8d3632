#include "losscheck/json.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>

#include "losscheck/dtype_traits.h"
#include "losscheck/error.h"

namespace losscheck {

using nlohmann::json;

namespace {

// A decimal whose float32 rounding through float64 would differ from its correct float32 rounding (the double
// lands exactly between two floats) is kept as its text behind this marker, so tensor_from_json can round it once.
constexpr char raw_number_marker = '\x01';

float parse_float32(const std::string& text) { return std::strtof(text.c_str(), nullptr); }
double parse_float64(const std::string& text) { return std::strtod(text.c_str(), nullptr); }

/// The lexer's view: numbers as long double, so that decimals beyond the float64 range (1e400) still lex (up to
/// about 1e4932) and reach number_float with their text, where they are converted once, correctly, by strtod.
using wide_json = nlohmann::basic_json<std::map, std::vector, std::string, bool, std::int64_t, std::uint64_t, long double>;

/// SAX handler on nlohmann's public interface (json_sax, written against nlohmann_json 3.11): builds the `json`
/// document from the lexer's wide numbers as nlohmann's own DOM parser does (a repeated key keeps its last value),
/// plus the raw-number rule and a depth limit.
class dom_builder final : public nlohmann::json_sax<wide_json> {
 public:
  explicit dom_builder(json& root) : root_(root) {}

  bool null() override { return add(nullptr); }
  bool boolean(bool v) override { return add(v); }
  bool number_integer(number_integer_t v) override { return add(v); }
  bool number_unsigned(number_unsigned_t v) override { return add(v); }
  bool number_float(number_float_t, const string_t& raw) override {
    const double v = parse_float64(raw);  // correctly rounded (beyond the range: +-inf)
    const auto as_float = static_cast<float>(v);
    if (std::isfinite(v) && as_float != parse_float32(raw)) {
      std::string marked(1, raw_number_marker);
      marked += raw;
      return add(std::move(marked));
    }
    return add(v);
  }
  bool string(string_t& s) override {
    if (!s.empty() && s.front() == raw_number_marker) s.front() = '?';  // the marker is ours alone
    return add(std::move(s));
  }
  bool binary(binary_t& b) override { return add(json::binary_t(std::move(b))); }
  bool start_object(std::size_t) override { return open(json::object()); }
  bool key(string_t& k) override {
    member_ = &(*open_.back())[k];  // null until its value arrives; a repeated key is overwritten
    return true;
  }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(json::array()); }
  bool end_array() override { return close(); }
  bool parse_error(std::size_t position, const std::string&, const wide_json::exception& ex) override {
    throw format_error(fmt::format("invalid JSON at byte {}: {}", position, strip_prefix(ex.what())));
  }

 private:
  /// Places `v` where the document expects the next value: the root, the end of the open array, or the member whose
  /// key was just read. Returns where it went.
  json* place(json&& v) {
    if (open_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    json& parent = *open_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(v));
      return &parent.back();
    }
    *member_ = std::move(v);
    return member_;
  }
  bool add(json v) {
    place(std::move(v));
    return true;
  }
  bool open(json&& container) {
    if (static_cast<int>(open_.size()) >= max_json_depth)
      throw format_error(fmt::format("JSON nested deeper than {} levels", max_json_depth));
    open_.push_back(place(std::move(container)));
    return true;
  }
  bool close() {
    open_.pop_back();
    return true;
  }
  static std::string strip_prefix(std::string what) {
    // "[json.exception.parse_error.101] parse error at line 1, column 3: ..." -> "parse error at line 1, ..."
    if (auto p = what.find("] "); p != std::string::npos) what.erase(0, p + 2);
    return what;
  }

  json& root_;
  std::vector<json*> open_;  ///< the arrays and objects being filled, innermost last
  json* member_ = nullptr;   ///< the object member whose key was read last
};

bool is_raw_number(const json& j) {
  return j.is_string() && !j.get_ref<const std::string&>().empty() &&
         j.get_ref<const std::string&>().front() == raw_number_marker;
}

/// Replaces raw-number markers by ordinary numbers (for echoing ids).
void restore_numbers(json& j) {
  if (is_raw_number(j)) {
    j = parse_float64(j.get_ref<const std::string&>().substr(1));
  } else if (j.is_structured()) {
    for (auto& v : j) restore_numbers(v);
  }
}

std::string type_name(const json& j) {
  if (is_raw_number(j)) return "number";
  return j.type_name();
}

[[noreturn]] void fail(std::string_view where, std::string_view message) {
  throw format_error(fmt::format("{}: {}", where, message));
}

/// A number read for a half dtype: it must name a value of the dtype, either exactly or as the shortest decimal
/// that rounds to it ("0.1" for float16's 0.0999755859375), so nobody's data is silently moved by 2^-8 relative.
double half_value(double d, dtype type, std::string_view where, std::size_t index) {
  const double h = round_to(type, d);
  if (h == d || std::isnan(d)) return h;
  if (!std::isfinite(h))
    fail(where, fmt::format("data[{}] = {} is beyond {}'s range (largest finite {}); write \"inf\" for infinity", index,
                            d, to_string(type), dtype_traits(type).max_finite));
  const std::string shortest = format_float(h, type);
  if (parse_float64(shortest) == d) return h;
  fail(where, fmt::format("data[{}] = {} is not a {} value: the nearest is {} (written {}); give {}'s values, not "
                          "values to round",
                          index, d, to_string(type), fmt::format("{:.17g}", h), shortest, to_string(type)));
}

double float_value(const json& v, dtype type, std::string_view where, std::size_t index) {
  if (is_half(type) && (v.is_number() || is_raw_number(v))) {
    double d;
    if (v.is_number_float()) d = v.get<double>();
    else if (v.is_number_unsigned()) d = static_cast<double>(v.get<std::uint64_t>());
    else if (v.is_number_integer()) d = static_cast<double>(v.get<std::int64_t>());
    else d = parse_float64(v.get_ref<const std::string&>().substr(1));
    return half_value(d, type, where, index);
  }
  auto narrow = [&](double d) { return type == dtype::float32 ? static_cast<double>(static_cast<float>(d)) : d; };
  if (v.is_number_float()) return narrow(v.get<double>());
  if (v.is_number_integer()) {
    if (v.is_number_unsigned()) {
      const auto u = v.get<std::uint64_t>();
      return type == dtype::float32 ? static_cast<double>(static_cast<float>(u)) : static_cast<double>(u);
    }
    const auto i = v.get<std::int64_t>();
    return type == dtype::float32 ? static_cast<double>(static_cast<float>(i)) : static_cast<double>(i);
  }
  if (is_raw_number(v)) {
    const auto text = v.get_ref<const std::string&>().substr(1);
    return type == dtype::float32 ? static_cast<double>(parse_float32(text)) : parse_float64(text);
  }
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
    if (s == "inf") return std::numeric_limits<double>::infinity();
    if (s == "-inf") return -std::numeric_limits<double>::infinity();
    fail(where, fmt::format("data[{}] is the string \"{}\"; only \"nan\", \"inf\" and \"-inf\" are allowed", index, s));
  }
  fail(where, fmt::format("data[{}] must be a number, got {}", index, type_name(v)));
}

std::int64_t int_value(const json& v, std::string_view where, std::size_t index) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      fail(where, fmt::format("data[{}] = {} is out of the int64 range", index, u));
    return static_cast<std::int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number_float() || is_raw_number(v))
    fail(where, fmt::format("data[{}] of an int64 tensor must be an integer, got {}", index,
                            is_raw_number(v) ? v.get_ref<const std::string&>().substr(1) : v.dump()));
  fail(where, fmt::format("data[{}] of an int64 tensor must be an integer, got {}", index,
                          v.is_string() ? "the string " + v.dump() : type_name(v)));
}

option_value option_from_json(const json& v, std::string_view where) {
  if (v.is_null()) return std::monostate{};
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      fail(where, fmt::format("{} is out of the int64 range", u));
    return static_cast<std::int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number_float()) return v.get<double>();
  if (is_raw_number(v)) return parse_float64(v.get_ref<const std::string&>().substr(1));
  if (v.is_string()) return v.get<std::string>();
  fail(where, fmt::format("an option must be null, a boolean, a number or a string, got {}", type_name(v)));
}

void check_keys(const json& j, std::string_view where, std::initializer_list<std::string_view> allowed,
                const std::vector<std::string>& extra = {}) {
  for (const auto& [k, v] : j.items()) {
    (void)v;
    bool ok = std::find(allowed.begin(), allowed.end(), k) != allowed.end() ||
              std::find(extra.begin(), extra.end(), k) != extra.end();
    if (!ok) {
      std::vector<std::string> names(allowed.begin(), allowed.end());
      names.insert(names.end(), extra.begin(), extra.end());
      fail(where, fmt::format("unknown key \"{}\" (valid keys: {})", k, fmt::join(names, ", ")));
    }
  }
}

}  // namespace

namespace {
/// The 1-based byte at which `text` first opens more than `max_json_depth` arrays/objects (0 if it never does).
std::size_t too_deep_at(std::string_view text) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (ch == '\\') escaped = true;
      else if (ch == '"') in_string = false;
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '[' || ch == '{') {
      if (++depth > max_json_depth) return i + 1;
    } else if (ch == ']' || ch == '}') {
      --depth;
    }
  }
  return 0;
}
}  // namespace

json parse_json(std::string_view text) {
  json root;
  dom_builder builder(root);
  try {
    wide_json::sax_parse(text.begin(), text.end(), &builder);
  } catch (const json::exception& e) {
    throw format_error(fmt::format("invalid JSON: {}", e.what()));
  } catch (const format_error& e) {
    // the depth limit: say where (the builder sees no positions)
    if (const auto at = too_deep_at(text); at != 0)
      throw format_error(fmt::format("invalid JSON at byte {}: nested deeper than {} levels", at, max_json_depth));
    throw;
  }
  return root;
}

std::string id_from_json(const json& j) {
  if (!j.is_object()) return "null";
  auto it = j.find("id");
  if (it == j.end()) return "null";
  json id = *it;
  restore_numbers(id);
  return id.dump();
}

tensor tensor_from_json(const json& j, dtype float_type, std::string_view where) {
  if (!j.is_object()) fail(where, fmt::format("a tensor must be an object with shape and data, got {}", type_name(j)));
  check_keys(j, where, {"shape", "dtype", "data"});
  auto shape_it = j.find("shape");
  auto data_it = j.find("data");
  if (shape_it == j.end()) fail(where, "missing \"shape\"");
  if (data_it == j.end()) fail(where, "missing \"data\"");
  if (!shape_it->is_array()) fail(where, fmt::format("\"shape\" must be an array, got {}", type_name(*shape_it)));
  if (!data_it->is_array()) fail(where, fmt::format("\"data\" must be an array, got {}", type_name(*data_it)));
  tensor t;
  t.type = float_type;
  if (auto d = j.find("dtype"); d != j.end()) {
    if (!d->is_string()) fail(where, fmt::format("\"dtype\" must be a string, got {}", type_name(*d)));
    auto parsed = parse_dtype(d->get<std::string>());
    if (!parsed)
      fail(where, fmt::format("unknown dtype \"{}\" (valid: float32, float64, bfloat16, float16, int64)", d->get<std::string>()));
    if (*parsed != dtype::int64 && *parsed != float_type)
      fail(where, fmt::format("dtype {} differs from the case dtype {} (one float dtype per case)",
                              to_string(*parsed), to_string(float_type)));
    t.type = *parsed;
  }
  for (std::size_t i = 0; i < shape_it->size(); ++i) {
    const auto& d = (*shape_it)[i];
    if (!d.is_number_integer()) fail(where, fmt::format("shape[{}] must be an integer, got {}", i, type_name(d)));
    if (d.is_number_unsigned() && d.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      fail(where, fmt::format("shape[{}] is out of the int64 range", i));
    const auto v = d.get<std::int64_t>();
    if (v < 0) fail(where, fmt::format("shape[{}] is negative ({})", i, v));
    t.shape.push_back(v);
  }
  std::int64_t n = 0;
  try {
    n = checked_numel(t.shape);
  } catch (const loss_error& e) {
    fail(where, e.what());
  }
  if (static_cast<std::uint64_t>(n) != data_it->size())
    fail(where, fmt::format("shape {} needs {} values but data has {}", format_shape(t.shape), n, data_it->size()));
  const auto& data = *data_it;
  if (t.type == dtype::int64) {
    t.ints.reserve(data.size());
    for (std::size_t i = 0; i < data.size(); ++i) t.ints.push_back(int_value(data[i], where, i));
  } else {
    t.values.reserve(data.size());
    for (std::size_t i = 0; i < data.size(); ++i) t.values.push_back(float_value(data[i], t.type, where, i));
  }
  return t;
}

namespace {
void read_case_body(const json& j, loss_case& c);
}  // namespace

loss_case case_from_json(const json& j, const std::vector<std::string>& extra_keys) {
  if (!j.is_object()) fail("case", fmt::format("a case must be a JSON object, got {}", type_name(j)));
  check_keys(j, "case", {"id", "loss", "dtype", "options", "inputs", "grad_output"}, extra_keys);
  loss_case c;
  c.id = id_from_json(j);
  auto loss = j.find("loss");
  if (loss == j.end()) fail("case", "missing \"loss\"");
  if (!loss->is_string()) fail("case", fmt::format("\"loss\" must be a string, got {}", type_name(*loss)));
  c.loss = loss->get<std::string>();
  try {
    read_case_body(j, c);
  } catch (const format_error& e) {
    throw format_error(fmt::format("{}: {}", c.loss, e.what()));
  }
  return c;
}

namespace {
void read_case_body(const json& j, loss_case& c) {
  if (auto d = j.find("dtype"); d != j.end()) {
    const auto parsed = d->is_string() ? parse_dtype(d->get<std::string>()) : std::nullopt;
    if (!parsed || *parsed == dtype::int64)
      fail("case", fmt::format("\"dtype\" must be \"float32\", \"float64\", \"bfloat16\" or \"float16\", got {}", d->dump()));
    c.type = *parsed;
  }
  if (auto o = j.find("options"); o != j.end() && !o->is_null()) {
    if (!o->is_object()) fail("case", fmt::format("\"options\" must be an object, got {}", type_name(*o)));
    for (const auto& [k, v] : o->items()) c.options[k] = option_from_json(v, fmt::format("options.{}", k));
  }
  auto in = j.find("inputs");
  if (in == j.end()) fail("case", "missing \"inputs\"");
  if (!in->is_object()) fail("case", fmt::format("\"inputs\" must be an object, got {}", type_name(*in)));
  for (const auto& [k, v] : in->items()) {
    if (v.is_null()) continue;  // an optional input given as null is absent
    c.inputs[k] = tensor_from_json(v, c.type, fmt::format("inputs.{}", k));
  }
  if (auto g = j.find("grad_output"); g != j.end() && !g->is_null()) c.grad_output = tensor_from_json(*g, c.type, "grad_output");
}
}  // namespace

loss_result result_from_json(const json& j, dtype float_type) {
  if (!j.is_object()) fail("result", fmt::format("a result must be a JSON object, got {}", type_name(j)));
  check_keys(j, "result", {"id", "output", "grads", "error", "unsupported", "unsupported_grads"});
  loss_result r;
  r.id = id_from_json(j);
  if (auto e = j.find("error"); e != j.end()) {
    if (!e->is_string()) fail("result", fmt::format("\"error\" must be a string, got {}", type_name(*e)));
    r.error = e->get<std::string>();
    return r;
  }
  if (auto u = j.find("unsupported"); u != j.end()) {
    if (!u->is_string()) fail("result", fmt::format("\"unsupported\" must be a string, got {}", type_name(*u)));
    r.unsupported = u->get<std::string>();
    return r;
  }
  auto out = j.find("output");
  if (out == j.end()) fail("result", "missing \"output\" (or \"error\" / \"unsupported\")");
  r.output = tensor_from_json(*out, float_type, "output");
  if (auto g = j.find("grads"); g != j.end() && !g->is_null()) {
    if (!g->is_object()) fail("result", fmt::format("\"grads\" must be an object, got {}", type_name(*g)));
    for (const auto& [k, v] : g->items()) r.grads[k] = tensor_from_json(v, float_type, fmt::format("grads.{}", k));
  }
  if (auto u = j.find("unsupported_grads"); u != j.end() && !u->is_null()) {
    if (!u->is_object())
      fail("result", fmt::format("\"unsupported_grads\" must be an object (input name -> reason), got {}", type_name(*u)));
    for (const auto& [k, v] : u->items()) {
      if (!v.is_string()) fail("result", fmt::format("unsupported_grads.{} must be a string (the reason), got {}", k, type_name(v)));
      if (r.grads.count(k)) fail("result", fmt::format("gradient of {} both reported and listed in unsupported_grads", k));
      r.unsupported_grads[k] = v.get<std::string>();
    }
  }
  return r;
}

std::string format_float(double v, dtype type) {
  if (std::isnan(v)) return "\"nan\"";
  if (std::isinf(v)) return v > 0 ? "\"inf\"" : "\"-inf\"";
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";
  char buf[64];
  if (is_half(type)) {
    // the shortest decimal that rounds back to v in the half dtype, written as the shortest form of its double
    for (int digits = 1; digits <= 17; ++digits) {
      const double candidate = parse_float64(fmt::format("{:.{}e}", v, digits - 1));
      if (round_to(type, candidate) == v) {
        const auto res = std::to_chars(buf, buf + sizeof buf, candidate);
        return std::string(buf, res.ptr);
      }
    }
  }
  std::to_chars_result res = type == dtype::float32 ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(v))
                                                    : std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

std::string to_json(const tensor& t) {
  std::string out = fmt::format("{{\"shape\":[{}],\"dtype\":\"{}\",\"data\":[", fmt::join(t.shape, ","), to_string(t.type));
  if (t.type == dtype::int64) {
    out += fmt::format("{}", fmt::join(t.ints, ","));
  } else {
    for (std::size_t i = 0; i < t.values.size(); ++i) {
      if (i) out += ',';
      out += format_float(t.values[i], t.type);
    }
  }
  out += "]}";
  return out;
}

namespace {
std::string option_to_json(const option_value& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) return "null";
        else if constexpr (std::is_same_v<T, bool>) return x ? "true" : "false";
        else if constexpr (std::is_same_v<T, std::int64_t>) return std::to_string(x);
        else if constexpr (std::is_same_v<T, double>) return format_float(x, dtype::float64);
        else return json(x).dump();
      },
      v);
}
}  // namespace

std::string to_json(const loss_case& c) {
  std::string out = fmt::format("{{\"id\":{},\"loss\":{},\"dtype\":\"{}\",\"options\":{{", c.id, json(c.loss).dump(),
                                to_string(c.type));
  bool first = true;
  for (const auto& [k, v] : c.options) {
    out += fmt::format("{}{}:{}", first ? "" : ",", json(k).dump(), option_to_json(v));
    first = false;
  }
  out += "},\"inputs\":{";
  first = true;
  for (const auto& [k, t] : c.inputs) {
    out += fmt::format("{}{}:{}", first ? "" : ",", json(k).dump(), to_json(t));
    first = false;
  }
  out += "}";
  if (c.grad_output) out += ",\"grad_output\":" + to_json(*c.grad_output);
  out += "}";
  return out;
}

std::string to_json(const loss_result& r) {
  std::string out = fmt::format("{{\"id\":{}", r.id);
  if (r.error) return out + ",\"error\":" + json(*r.error).dump(-1, ' ', false, json::error_handler_t::replace) + "}";
  if (r.unsupported)
    return out + ",\"unsupported\":" + json(*r.unsupported).dump(-1, ' ', false, json::error_handler_t::replace) + "}";
  if (r.output) out += ",\"output\":" + to_json(*r.output);
  out += ",\"grads\":{";
  bool first = true;
  for (const auto& [k, t] : r.grads) {
    out += fmt::format("{}{}:{}", first ? "" : ",", json(k).dump(), to_json(t));
    first = false;
  }
  out += "}";
  if (!r.unsupported_grads.empty()) {
    out += ",\"unsupported_grads\":{";
    first = true;
    for (const auto& [k, why] : r.unsupported_grads) {
      out += fmt::format("{}{}:{}", first ? "" : ",", json(k).dump(), json(why).dump(-1, ' ', false, json::error_handler_t::replace));
      first = false;
    }
    out += "}";
  }
  out += "}";
  return out;
}

}  // namespace losscheck
