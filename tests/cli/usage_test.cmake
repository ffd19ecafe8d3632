# The command line's usage errors: each is exit 2 with one message on stderr that names what was wrong (and the close
# name when it looks like a typo), before anything runs; --version and --help are 0 (docs/audit.md "exit codes").
# -DLOSSCHECK= -DWORK_DIR=
function(expect_usage_error args_text stderr_regex)
  separate_arguments(args UNIX_COMMAND "${args_text}")
  execute_process(COMMAND ${LOSSCHECK} ${args} INPUT_FILE /dev/null OUTPUT_VARIABLE out ERROR_VARIABLE err
                  RESULT_VARIABLE rc TIMEOUT 120)
  if(NOT rc EQUAL 2)
    message(FATAL_ERROR "losscheck ${args_text}: exit ${rc}, want 2\nstdout:\n${out}\nstderr:\n${err}")
  endif()
  if(NOT err MATCHES "${stderr_regex}")
    message(FATAL_ERROR "losscheck ${args_text}: stderr does not say '${stderr_regex}':\n${err}")
  endif()
  if(out MATCHES "verdict:|cases,")
    message(FATAL_ERROR "losscheck ${args_text}: ran anyway:\n${out}")
  endif()
endfunction()

# parse errors (CLI11's own codes 105, 106, 109 ... are mapped to 2)
expect_usage_error("audit --bogus" "--bogus")
expect_usage_error("audit --cases 0" "--cases")
expect_usage_error("audit --cases many" "--cases")
expect_usage_error("frobnicate" "unknown command .frobnicate.")
expect_usage_error("audti --cases 1" "unknown command .audti.; did you mean .audit.")
# unknown names, with "did you mean"
expect_usage_error("audit --loss mse_los --cases 1" "unknown loss 'mse_los'; did you mean 'mse_loss'\\?")
expect_usage_error("audit --loss mse_loss --property sum_reduction_is_sum_of_nne --cases 1"
                   "unknown property 'sum_reduction_is_sum_of_nne'; did you mean 'sum_reduction_is_sum_of_none'\\?")
expect_usage_error("audit --dtype flaot32 --cases 1" "unknown dtype 'flaot32'; did you mean 'float32'\\?")
expect_usage_error("audit --target refrence --cases 1" "unknown target 'refrence'; did you mean 'reference'\\?")
expect_usage_error("fixtures verify --loss nll_los /dev/null" "unknown loss 'nll_los'; did you mean 'nll_loss'\\?")
expect_usage_error("list --loss kl_dvi" "unknown loss 'kl_dvi'; did you mean 'kl_div'\\?")
# an exec command that cannot run: one message, exit 2, no row per property
expect_usage_error("audit --target exec:/nonexistent/losscheck-target --loss mse_loss --cases 2"
                   "cannot run: the shell found no such command")
expect_usage_error("fixtures verify --target exec:/nonexistent/losscheck-target /dev/null"
                   "cannot run: the shell found no such command")
# an output path that cannot be written: said before the audit runs, not after
expect_usage_error("audit --loss mse_loss --cases 2 --json ${WORK_DIR}/no-such-dir/r.json"
                   "--json .*no-such-dir/r.json: cannot write: the directory .*no-such-dir does not exist")
expect_usage_error("audit --loss mse_loss --cases 2 --html ${WORK_DIR}" "--html .*: is a directory")

# LibTorch's plugin missing or not a plugin (libtorch/include/losscheck/libtorch_plugin.h): exit 2 and where it looked
set(ENV{LOSSCHECK_LIBTORCH_PLUGIN} /nonexistent/losscheck-libtorch.so)
expect_usage_error("run --target libtorch"
                   "target 'libtorch': LibTorch is not available: .*/nonexistent/losscheck-libtorch.so: not there")
expect_usage_error("audit --target libtorch --loss mse_loss --cases 2" "/nonexistent/losscheck-libtorch.so: not there")
expect_usage_error("fixtures generate --out ${WORK_DIR}/generated --loss mse_loss"
                   "losscheck fixtures generate: LibTorch is not available: .*not there")
if(EXISTS ${WORK_DIR}/generated)
  message(FATAL_ERROR "fixtures generate without LibTorch created ${WORK_DIR}/generated")
endif()
file(GLOB libm /lib/*/libm.so.6 /usr/lib/*/libm.so.6)
if(libm)
  list(GET libm 0 libm)
  set(ENV{LOSSCHECK_LIBTORCH_PLUGIN} ${libm})
  expect_usage_error("run --target libtorch" "libm.so.6: not a losscheck plugin \\(no symbol losscheck_libtorch_plugin\\)")
endif()
unset(ENV{LOSSCHECK_LIBTORCH_PLUGIN})

execute_process(COMMAND ${LOSSCHECK} --version OUTPUT_VARIABLE out RESULT_VARIABLE rc TIMEOUT 60)
if(NOT rc EQUAL 0 OR NOT out MATCHES "^losscheck [0-9]+\\.[0-9]+\\.[0-9]+")
  message(FATAL_ERROR "losscheck --version: exit ${rc}: ${out}")
endif()
execute_process(COMMAND ${LOSSCHECK} --help OUTPUT_VARIABLE out RESULT_VARIABLE rc TIMEOUT 60)
if(NOT rc EQUAL 0 OR NOT out MATCHES "Exit codes: 0 pass, 1 a check failed, 2 usage error")
  message(FATAL_ERROR "losscheck --help: exit ${rc}, no exit codes: ${out}")
endif()
execute_process(COMMAND ${LOSSCHECK} list --properties --loss mse_loss OUTPUT_VARIABLE out RESULT_VARIABLE rc TIMEOUT 60)
if(NOT rc EQUAL 0 OR NOT out MATCHES "mse_loss_agrees_with_the_reference" OR NOT out MATCHES "fixtures")
  message(FATAL_ERROR "losscheck list --properties: exit ${rc}: ${out}")
endif()
message(STATUS "usage errors: exit 2 with the reason (and the close name); --version, --help, list --properties: 0")
