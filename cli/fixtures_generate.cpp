// `losscheck fixtures generate`: evaluates the fixture catalog with LibTorch and writes one fixture file per loss.
// LibTorch comes from its plugin (libtorch/include/losscheck/libtorch_plugin.h), loaded here.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "fixtures.h"
#include "losscheck/libtorch_plugin.h"
#include "losscheck/audit/verdict.h"
#include "losscheck/check.h"
#include "losscheck/dtype_traits.h"
#include "losscheck/problem.h"
#include "losscheck/reference.h"
#include "losscheck/rounded_case.h"
#include "losscheck/suggest.h"

#ifndef LOSSCHECK_VERSION
#define LOSSCHECK_VERSION "unknown"
#endif

namespace losscheck::cli {

int generate_fixtures(const std::string& out_dir, const std::vector<std::string>& losses, std::ostream& out,
                      std::ostream& err) {
  // Determinism: the portable kernels (no AVX2/AVX512 dispatch, whose reductions associate differently) and one
  // thread, set before LibTorch is loaded.
  ::setenv("ATEN_CPU_CAPABILITY", "default", 1);
  const libtorch::plugin_api* torch = nullptr;
  try {
    torch = &libtorch::load_plugin();
  } catch (const std::exception& e) {
    err << "losscheck fixtures generate: " << e.what() << "\n";
    return exit_codes::usage;
  }
  const int threads = torch->use_one_thread();
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
  gen["libtorch"] = torch->libtorch_version();
  gen["cpu_capability"] = capability ? capability : "";
  gen["threads"] = threads;
  gen["seed"] = fixture_seed;
  gen["dtype_policy"] =
      "inputs drawn on grids exactly representable in float32; each case evaluated by LibTorch in its own dtype "
      "(float32 or float64), results written in that dtype";
  gen["gradients"] = "autograd with the case's grad_output (random for 'none' reductions), every gradient torch defines";
  gen["bfloat16_policy"] =
      "each float32 case again in bfloat16 (id <loss>/bfloat16/<n> for the float32 case <loss>/<n>), its values rounded "
      "to bfloat16; kept where LibTorch has the bfloat16 kernel and its answer lies within the half bound of the "
      "correctly rounded value (docs/tolerances.md \"Half precision\"); the others are listed in bfloat16_left_out "
      "with the reason (docs/audits/libtorch-bfloat16.md explains LibTorch's misses)";
  for (const auto& loss : selected) {
    std::vector<fixture_case> cases;
    std::size_t errors = 0;
    std::vector<loss_case> float32_cases;
    for (auto& c : fixture_catalog(loss)) {
      if (c.type == dtype::float32) float32_cases.push_back(c);
      loss_result r = torch->evaluate(c);
      errors += r.error ? 1 : 0;
      fixture_case fc;
      fc.c = std::move(c);
      fc.expected = std::move(r);
      cases.push_back(std::move(fc));
    }
    // the bfloat16 twins: LibTorch's answers where it has the kernel and is within the half bound
    nlohmann::ordered_json left_out = nlohmann::ordered_json::array();
    std::map<std::string, std::size_t> unsupported;
    std::size_t kept = 0;
    for (const auto& c32 : float32_cases) {
      loss_case c = with_dtype_rounded(c32, dtype::bfloat16);
      const std::string id32 = nlohmann::json::parse(c32.id).get<std::string>();  // "<loss>/<n>"
      const std::string n = id32.substr(id32.rfind('/') + 1);
      c.id = nlohmann::json(fmt::format("{}/bfloat16/{}", loss, n)).dump();
      loss_result r = torch->evaluate(c);
      if (r.unsupported) {
        ++unsupported[*r.unsupported];
        continue;
      }
      const loss_result want = reference::evaluate(c);
      std::string why;
      if (r.error.has_value() != want.error.has_value())
        why = r.error ? "LibTorch rejects it, the reference does not: " + *r.error
                      : "LibTorch accepts it, the reference rejects it: " + *want.error;
      else if (!r.error) {
        const auto cmp = check::compare(c, want, r);
        if (!cmp.passed) why = "beyond the half bound of the correctly rounded value: " + cmp.message;
      }
      if (!why.empty()) {
        left_out.push_back({{"id", nlohmann::json::parse(c.id)}, {"why", why}});
        continue;
      }
      ++kept;
      errors += r.error ? 1 : 0;
      fixture_case fc;
      fc.c = std::move(c);
      fc.expected = std::move(r);
      cases.push_back(std::move(fc));
    }
    nlohmann::ordered_json g = gen;
    g["bfloat16_kept"] = kept;
    nlohmann::ordered_json unsupported_json = nlohmann::ordered_json::object();
    for (const auto& [why, count] : unsupported) unsupported_json[why] = count;
    g["bfloat16_unsupported"] = unsupported_json;
    g["bfloat16_left_out"] = left_out;
    const auto path = (std::filesystem::path(out_dir) / (loss + ".json")).string();
    write_fixture_file(path, g.dump(), cases);
    std::size_t unsupported_total = 0;
    for (const auto& [why, count] : unsupported) unsupported_total += count;
    out << fmt::format("{}: {} cases ({} expected errors); bfloat16: {} kept, {} left out (beyond the half bound), {} "
                       "without a LibTorch kernel\n",
                       path, cases.size(), errors, kept, left_out.size(), unsupported_total);
  }
  return 0;
}

}  // namespace losscheck::cli
