#include <fmt/format.h>

#include <algorithm>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "commands.h"
#include "exec_target.h"
#include "losscheck/error.h"
#include "losscheck/impl.h"
#include "losscheck/json.h"
#include "losscheck/problem.h"
#include "losscheck/reference.h"
#include "losscheck/libtorch_plugin.h"

#include "losscheck/suggest.h"

namespace losscheck::cli {

std::unique_ptr<target> make_target(const std::string& name, unsigned precision_bits,
                                    std::chrono::milliseconds exec_timeout) {
  if (name.starts_with("exec:")) {
    const std::string command = name.substr(5);
    if (command.find_first_not_of(" \t") == std::string::npos)
      throw std::invalid_argument("target 'exec:' needs a command after the colon (exec:COMMAND)");
    exec_target::options o;
    o.timeout = exec_timeout;
    return std::make_unique<exec_target>(command, o);
  }
  if (name == "impl") return impl::make_target();
  if (name == "reference") return reference::make_target(precision_bits);
  // half cases as a float32 kernel that rounds once answers them (docs/tolerances.md "Half precision")
  if (name == "reference:float32") return reference::make_target(precision_bits, /*via_float32=*/true);
  // LibTorch's plugin is loaded here, the first time a command asks for it (its message says why it is missing)
  if (name == "libtorch") {
    try {
      return libtorch::load_plugin().make_target();
    } catch (const std::runtime_error& e) {
      throw std::invalid_argument(fmt::format("target 'libtorch': {}", e.what()));
    }
  }
  constexpr const char* valid = "impl, reference, reference:float32, libtorch, exec:COMMAND";
  throw std::invalid_argument(fmt::format("unknown target '{}'{} (valid targets: {})", name,
                                          did_you_mean(name, {"impl", "reference", "libtorch"}), valid));
}

std::string start_failure(target& t) {
  auto* exec = dynamic_cast<exec_target*>(&t);
  return exec ? exec->start_failure() : std::string();
}

int run_protocol(target& t, std::istream& in, std::ostream& out, std::ostream& err) {
  std::string line;
  long line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j;
    try {
      j = parse_json(line);
    } catch (const format_error& e) {
      err << fmt::format("losscheck run: line {}: {}\n", line_number, e.what());
      return 2;
    }
    loss_result r;
    try {
      r = t.evaluate(case_from_json(j));
    } catch (const std::exception& e) {
      r = loss_result::failure(id_from_json(j), e.what());
    }
    out << to_json(r) << '\n' << std::flush;
  }
  return 0;
}

int list_losses(const std::vector<std::string>& only, std::ostream& out, std::ostream& err) {
  std::vector<std::string> names;
  for (const auto& spec : loss_catalog()) names.emplace_back(spec.name);
  for (const auto& l : only)
    if (!find_loss(l)) {
      err << fmt::format("losscheck list: unknown loss '{}'{} (losses: {})\n", l, did_you_mean(l, names), loss_names());
      return 2;
    }
  for (const auto& spec : loss_catalog()) {
    if (!only.empty() && std::find(only.begin(), only.end(), spec.name) == only.end()) continue;
    out << fmt::format("{}\n  {}\n  inputs:\n", spec.name, spec.doc);
    for (const auto& i : spec.inputs)
      out << fmt::format("    {:<12} {:<9} {}\n", i.name, i.required ? "required" : "optional", i.doc);
    out << "  options:\n";
    for (const auto& o : spec.options) out << fmt::format("    {:<16} = {:<8} {}\n", o.name, o.default_value, o.doc);
    std::vector<std::string> grads;
    for (const auto& i : spec.inputs) {
      if (i.grad == grad_rule::always) grads.emplace_back(i.name);
      if (i.grad == grad_rule::with_probability_target) grads.push_back(fmt::format("{} (probabilities only)", i.name));
      if (i.grad == grad_rule::when_floating) grads.push_back(fmt::format("{} (float only)", i.name));
    }
    out << fmt::format("  gradients: {}\n\n", fmt::join(grads, ", "));
  }
  return 0;
}

}  // namespace losscheck::cli
