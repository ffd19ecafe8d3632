// libFuzzer target: one line an exec target answers with, read as the audit reads it (parse_json ->
// result_from_json, float tensors defaulting to the case dtype), then written and read back. Only format_error may
// reject the input; anything else escapes and is a finding.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "losscheck/error.h"
#include "losscheck/json.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  nlohmann::json j;
  try {
    j = losscheck::parse_json(text);
  } catch (const losscheck::format_error&) {
    return 0;
  }
  (void)losscheck::id_from_json(j);
  for (const auto type : {losscheck::dtype::float32, losscheck::dtype::float64}) {
    losscheck::loss_result r;
    try {
      r = losscheck::result_from_json(j, type);
    } catch (const losscheck::format_error&) {
      continue;
    }
    const auto written = losscheck::to_json(r);
    const auto back = losscheck::result_from_json(losscheck::parse_json(written), type);
    if (losscheck::to_json(back) != written) __builtin_trap();  // writing is a fixed point after one read
  }
  return 0;
}
