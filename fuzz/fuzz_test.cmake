# A short fuzz run under ctest: FUZZER for SECONDS from the committed SEEDS (read only; new inputs go to WORK_DIR).
# Fails on any finding (libFuzzer exits non-zero and writes crash-*/leak-*/timeout-* into WORK_DIR).
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR}/corpus)
execute_process(COMMAND ${FUZZER} -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=2048 -dict=${DICT}
                        -artifact_prefix=${WORK_DIR}/ -print_final_stats=1 ${WORK_DIR}/corpus ${SEEDS}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER}: exit ${rc}; artifacts in ${WORK_DIR}\n${err}")
endif()
string(REGEX MATCH "stat::number_of_executed_units: *[0-9]+" execs "${err}")
string(REGEX MATCH "#[0-9]+[^\n]*DONE[^\n]*" done "${err}")
message(STATUS "${FUZZER}: no finding in ${SECONDS} s; ${execs}; ${done}")
