// libFuzzer target: one line of `losscheck run` input, read and evaluated as the protocol does it.
// parse_json -> case_from_json -> resolve_problem -> impl::evaluate and reference::evaluate (64 bits), then the
// result is written and read back. Readers may reject the input only with format_error / loss_error; evaluate must
// never throw (invalid cases are error results). Anything else escapes and is a finding.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "losscheck/error.h"
#include "losscheck/impl.h"
#include "losscheck/json.h"
#include "losscheck/problem.h"
#include "losscheck/reference.h"

namespace {

/// Above this many elements over all tensors the case is read and resolved but not evaluated (speed).
constexpr std::int64_t max_evaluated_numel = 4096;

void round_trip(const losscheck::loss_result& r, losscheck::dtype type) {
  const auto text = losscheck::to_json(r);
  (void)losscheck::result_from_json(losscheck::parse_json(text), type);  // what we write, we read back
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  nlohmann::json j;
  losscheck::loss_case c;
  try {
    j = losscheck::parse_json(text);
    (void)losscheck::id_from_json(j);
    c = losscheck::case_from_json(j);
    (void)losscheck::resolve_problem(c);
  } catch (const losscheck::format_error&) {
    return 0;
  } catch (const losscheck::loss_error&) {
    // rejected by the shared validation; the targets must reject it too, without throwing (checked below)
  }
  std::int64_t numel = 0;
  for (const auto& [name, t] : c.inputs) numel += static_cast<std::int64_t>(t.values.size() + t.ints.size());
  if (c.grad_output) numel += static_cast<std::int64_t>(c.grad_output->values.size());
  if (numel > max_evaluated_numel) return 0;
  (void)losscheck::to_json(c);
  round_trip(losscheck::impl::evaluate(c), c.type);
  round_trip(losscheck::reference::evaluate(c, 64), c.type);
  return 0;
}
