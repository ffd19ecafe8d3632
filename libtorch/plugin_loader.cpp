// Finding and loading the LibTorch plugin (libtorch/include/losscheck/libtorch_plugin.h). No LibTorch here: this file
// is part of every command line, the plugin only of those built with LibTorch.

#include <dlfcn.h>
#include <fmt/format.h>

#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "losscheck/libtorch_plugin.h"

#ifndef LOSSCHECK_LIBTORCH_PLUGIN_INSTALL_DIR
#define LOSSCHECK_LIBTORCH_PLUGIN_INSTALL_DIR "../lib/losscheck"
#endif

namespace losscheck::libtorch {
namespace {

std::filesystem::path program_directory() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : self.parent_path();
}

// dlopen + the entry symbol + the ABI check; nullptr and `why` when any of them fails
const plugin_api* try_load(const std::filesystem::path& file, std::string& why) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    why = "not there";
    return nullptr;
  }
  // RTLD_LOCAL: the plugin's copy of losscheck_core stays its own; it is never closed (its target objects live on)
  void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    why = ::dlerror();
    return nullptr;
  }
  using entry_function = const plugin_api* (*)();
  auto entry = reinterpret_cast<entry_function>(::dlsym(handle, "losscheck_libtorch_plugin"));
  if (!entry) {
    why = "not a losscheck plugin (no symbol losscheck_libtorch_plugin)";
    return nullptr;
  }
  const plugin_api* api = entry();
  if (std::string(api->abi) != LOSSCHECK_LIBTORCH_PLUGIN_ABI) {
    why = fmt::format("built for \"{}\", this program is \"{}\"", api->abi, LOSSCHECK_LIBTORCH_PLUGIN_ABI);
    return nullptr;
  }
  return api;
}

const plugin_api& load_once(const std::filesystem::path& hint) {
  std::vector<std::filesystem::path> places;
  if (const char* env = std::getenv("LOSSCHECK_LIBTORCH_PLUGIN"); env && *env) {
    places.emplace_back(env);
  } else {
    if (!hint.empty()) places.push_back(hint);
    if (const auto dir = program_directory(); !dir.empty()) {
      places.push_back(dir / plugin_file_name);
      places.push_back((dir / LOSSCHECK_LIBTORCH_PLUGIN_INSTALL_DIR / plugin_file_name).lexically_normal());
    }
  }
  std::string tried;
  for (const auto& place : places) {
    std::string why;
    if (const plugin_api* api = try_load(place, why)) return *api;
    tried += fmt::format("\n  {}: {}", place.string(), why);
  }
#ifdef LOSSCHECK_LIBTORCH_PLUGIN_BUILT
  constexpr const char* built = "";
#else
  constexpr const char* built = " (this losscheck was configured without LibTorch: it has no plugin)";
#endif
  throw std::runtime_error(fmt::format("LibTorch is not available: its plugin {} could not be loaded{}; looked at:{}"
                                       "\n(set LOSSCHECK_LIBTORCH_PLUGIN to its path)",
                                       plugin_file_name, built, tried));
}

}  // namespace

const plugin_api& load_plugin(const std::filesystem::path& hint) {
  // once per process: a failure is remembered too, and rethrown with the same message
  static std::once_flag once;
  static const plugin_api* api = nullptr;
  static std::string failure;
  std::call_once(once, [&] {
    try {
      api = &load_once(hint);
    } catch (const std::exception& e) {
      failure = e.what();
    }
  });
  if (!api) throw std::runtime_error(failure);
  return *api;
}

}  // namespace losscheck::libtorch
