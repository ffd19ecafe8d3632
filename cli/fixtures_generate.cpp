// `losscheck fixtures generate`: evaluates the fixture catalog with LibTorch and writes one fixture file per loss.
// The one file of the command line that includes LibTorch (for the thread count); built only when Torch is found.

#include <ATen/Parallel.h>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "fixtures.h"
#include "losscheck/libtorch.h"
#include "losscheck/audit/verdict.h"
#include "losscheck/problem.h"
#include "losscheck/suggest.h"

#ifndef LOSSCHECK_VERSION
#define LOSSCHECK_VERSION "unknown"
#endif

namespace losscheck::cli {

int generate_fixtures(const std::string& out_dir, const std::vector<std::string>& losses, std::ostream& out,
                      std::ostream& err) {
  // Determinism: the portable kernels (no AVX2/AVX512 dispatch, whose reductions associate differently) and one
  // thread, set before the first ATen operation of the process.
  ::setenv("ATEN_CPU_CAPABILITY", "default", 1);
  at::set_num_threads(1);
  at::set_num_interop_threads(1);
  const char* capability = std::getenv("ATEN_CPU_CAPABILITY");
  std::vector<std::string> selected = losses;
  if (selected.empty())
    for (const auto& spec : loss_catalog()) selected.emplace_back(spec.name);
  for (const auto& l : selected)
    if (!find_loss(l)) {
      std::vector<std::string> names;
      for (const auto& spec : loss_catalog()) names.emplace_back(spec.name);
      err << fmt::format("losscheck fixtures generate: unknown loss '{}'{} (valid losses: {})\n", l,
                         did_you_mean(l, names), loss_names());
      return exit_codes::usage;
    }
  std::filesystem::create_directories(out_dir);
  nlohmann::ordered_json gen;
  gen["tool"] = "losscheck fixtures generate";
  gen["losscheck"] = LOSSCHECK_VERSION;
  gen["libtorch"] = libtorch::version();
  gen["cpu_capability"] = capability ? capability : "";
  gen["threads"] = at::get_num_threads();
  gen["seed"] = fixture_seed;
  gen["dtype_policy"] =
      "inputs drawn on grids exactly representable in float32; each case evaluated by LibTorch in its own dtype "
      "(float32 or float64), results written in that dtype";
  gen["gradients"] = "autograd with the case's grad_output (random for 'none' reductions), every gradient torch defines";
  const std::string gen_json = gen.dump();
  for (const auto& loss : selected) {
    std::vector<fixture_case> cases;
    std::size_t errors = 0;
    for (auto& c : fixture_catalog(loss)) {
      loss_result r = libtorch::evaluate(c);
      errors += r.error ? 1 : 0;
      fixture_case fc;
      fc.c = std::move(c);
      fc.expected = std::move(r);
      cases.push_back(std::move(fc));
    }
    const auto path = (std::filesystem::path(out_dir) / (loss + ".json")).string();
    write_fixture_file(path, gen_json, cases);
    out << fmt::format("{}: {} cases ({} expected errors)\n", path, cases.size(), errors);
  }
  return 0;
}

}  // namespace losscheck::cli
