#include "losscheck/protocol.h"

#include <fmt/format.h>

#include <istream>
#include <nlohmann/json.hpp>
#include <ostream>

#include "losscheck/error.h"
#include "losscheck/json.h"

namespace losscheck::protocol {

namespace {

loss_result answer(const evaluator& eval, const std::string& line) {
  nlohmann::json j;
  try {
    j = parse_json(line);
  } catch (const std::exception& e) {
    return loss_result::failure("null", fmt::format("not a JSON case: {}", e.what()));
  }
  const std::string id = id_from_json(j);
  if (j.is_object()) {  // a loss nobody knows is outside what the adapter does, like one its library lacks
    auto loss = j.find("loss");
    if (loss != j.end() && loss->is_string() && !find_loss(loss->get<std::string>())) {
      loss_result r;
      r.id = id;
      r.unsupported = fmt::format("unknown loss '{}' (known: {})", loss->get<std::string>(), loss_names());
      return r;
    }
  }
  loss_case c;
  problem p;
  try {
    c = case_from_json(j);
  } catch (const std::exception& e) {  // not a case at all: a malformed request
    return loss_result::failure(id, e.what());
  }
  try {
    p = resolve_problem(c);
    check_grad_output(c, output_shape(p));
  } catch (const std::exception& e) {
    // A case losscheck's own shape rules reject is not handed to the library (dlib aborts on a failed assertion), and
    // answering it with losscheck's error would credit the library with losscheck's validation: unsupported.
    loss_result r;
    r.id = id;
    r.unsupported = fmt::format("not passed to the library: losscheck rejects the case ({}); the library's own "
                                "validation of such input is not audited", e.what());
    return r;
  }
  try {
    loss_result r = eval(c, p);
    r.id = id;
    return r;
  } catch (const unsupported& u) {
    loss_result r;
    r.id = id;
    r.unsupported = u.what();
    return r;
  } catch (const std::exception& e) {  // loss_error, format_error, and whatever the library throws
    return loss_result::failure(id, e.what());
  }
}

}  // namespace

int serve(const evaluator& eval, std::istream& in, std::ostream& out) {
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    out << to_json(answer(eval, line)) << '\n';
    out.flush();
  }
  return 0;
}

double scalar_grad_output(const loss_case& c) {
  if (!c.grad_output) return 1.0;
  if (c.grad_output->values.size() != 1)
    throw loss_error(fmt::format("{}: grad_output of a reduced loss must hold one value, got shape {}", c.loss,
                                 format_shape(c.grad_output->shape)));
  return c.grad_output->values[0];
}

std::vector<double> broadcast_values(const tensor& t, const shape_t& shape) {
  const std::int64_t n = checked_numel(shape);
  std::vector<double> v(static_cast<std::size_t>(n));
  broadcast_walker w(t.shape, shape);
  for (std::int64_t i = 0; i < n; ++i, w.next()) v[static_cast<std::size_t>(i)] = t.values[static_cast<std::size_t>(w.offset())];
  return v;
}

void require_reduction(reduction got, reduction wanted, const std::string& why) {
  if (got != wanted) throw unsupported(fmt::format("reduction '{}': {}", to_string(got), why));
}

}  // namespace losscheck::protocol
