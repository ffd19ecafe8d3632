#pragma once
/// @file libtorch_plugin.h
/// LibTorch as a plugin: the command line loads `losscheck-libtorch.so` (the LibTorch target, linked with LibTorch)
/// only when a command asks for LibTorch (`--target libtorch`, `fixtures generate`). Loading LibTorch costs ~0.9 s of
/// static initialization (its operator registry), which every other command no longer pays (docs/performance.md
/// "Start-up"). The plugin carries its own copy of losscheck_core; cases and results cross as the same C++ types, so
/// loader and plugin must come from one build: the ABI string below is compared first.

#include <filesystem>
#include <memory>

#include "losscheck/case.h"
#include "losscheck/target.h"

namespace losscheck::libtorch {

/// What the plugin exports: its one C symbol, `losscheck_libtorch_plugin`, returns a pointer to this.
struct plugin_api {
  const char* abi;                            ///< losscheck's version and compiler; must equal the loader's
  const char* (*libtorch_version)();          ///< "1.13.1" etc.
  loss_result (*evaluate)(const loss_case&);  ///< libtorch::evaluate
  std::unique_ptr<target> (*make_target)();   ///< the "libtorch" target
  int (*use_one_thread)();                    ///< at::set_num_threads(1) and one interop thread; the threads ATen uses
};

/// The plugin's file name.
inline constexpr const char* plugin_file_name = "losscheck-libtorch.so";

/// Loads the plugin once per process and returns its functions. Looks, in order, at: $LOSSCHECK_LIBTORCH_PLUGIN (a
/// path, then the only place looked at), `hint` if given, the running program's directory (the build tree), and the
/// installed place relative to it (`<bindir>/../<libdir>/losscheck/`). Throws std::runtime_error naming every place
/// looked at and why each failed (not there, dlopen's message, another build's plugin).
const plugin_api& load_plugin(const std::filesystem::path& hint = {});

/// The ABI string both sides compile in.
#define LOSSCHECK_LIBTORCH_PLUGIN_ABI "losscheck " LOSSCHECK_VERSION " plugin 1, " __VERSION__

}  // namespace losscheck::libtorch
