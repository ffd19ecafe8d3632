// libFuzzer target: a whole fixture file, read and validated as `losscheck fixtures verify` reads it
// (cli::read_fixture_text). Only format_error may reject the input; anything else escapes and is a finding.
// Accepted files are written back with fixture_line and must read again.

#include <cstddef>
#include <cstdint>
#include <string>

#include "fixtures.h"
#include "losscheck/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<losscheck::cli::fixture_case> cases;
  try {
    cases = losscheck::cli::read_fixture_text(text, "fuzz.json");
  } catch (const losscheck::format_error&) {
    return 0;
  }
  std::string again = "{\"format\":\"losscheck-fixtures\",\"version\":1,\"generator\":{},\"cases\":[";
  for (std::size_t i = 0; i < cases.size(); ++i) {
    if (i) again += ',';
    again += losscheck::cli::fixture_line(cases[i]);
  }
  again += "]}";
  const auto back = losscheck::cli::read_fixture_text(again, "written.json");
  if (back.size() != cases.size()) __builtin_trap();
  return 0;
}
