// The LibTorch plugin's entry (losscheck-libtorch.so, libtorch/include/losscheck/libtorch_plugin.h): the one exported
// symbol, a table of the LibTorch target's functions. Built as a module linked with LibTorch and its own copy of
// losscheck_core; loaded by the command line only when a command needs LibTorch.

#include <ATen/Parallel.h>

#include "losscheck/libtorch.h"
#include "losscheck/libtorch_plugin.h"

namespace losscheck::libtorch {
namespace {

int use_one_thread() {
  at::set_num_threads(1);
  at::set_num_interop_threads(1);
  return at::get_num_threads();
}

const plugin_api api{LOSSCHECK_LIBTORCH_PLUGIN_ABI, &version, &evaluate, &make_target, &use_one_thread};

}  // namespace
}  // namespace losscheck::libtorch

extern "C" __attribute__((visibility("default"))) const losscheck::libtorch::plugin_api* losscheck_libtorch_plugin() {
  return &losscheck::libtorch::api;
}
