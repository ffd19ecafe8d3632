# --precision below 53 bits is refused by every subcommand that takes it (run, showcase, fixtures verify, audit): exit 2
# (a usage error), the rule named on stderr, nothing run. 53 itself is accepted: every float64 input converts exactly.
# -DLOSSCHECK=
set(cases
    "run --target reference --precision 52"
    "showcase --precision 24"
    "fixtures verify --target reference --precision 24 /dev/null"
    "audit --loss mse_loss --cases 1 --precision 52")
foreach(c IN LISTS cases)
  separate_arguments(args UNIX_COMMAND "${c}")
  execute_process(COMMAND ${LOSSCHECK} ${args} INPUT_FILE /dev/null OUTPUT_VARIABLE out ERROR_VARIABLE err
                  RESULT_VARIABLE rc TIMEOUT 60)
  if(NOT rc EQUAL 2)
    message(FATAL_ERROR "losscheck ${c}: exit ${rc}, want 2\nstdout:\n${out}\nstderr:\n${err}")
  endif()
  if(NOT err MATCHES "--precision: (52|24) bits is too few: the reference needs at least 53 bits, so that every float64 input converts to it exactly")
    message(FATAL_ERROR "losscheck ${c}: stderr does not name the rule:\n${err}")
  endif()
  if(NOT out STREQUAL "")
    message(FATAL_ERROR "losscheck ${c}: ran anyway:\n${out}")
  endif()
endforeach()
set(case "{\"id\":1,\"loss\":\"mse_loss\",\"inputs\":{\"input\":{\"shape\":[2],\"data\":[0.1,2]},\"target\":{\"shape\":[2],\"data\":[0,1]}}}")
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/precision_case.jsonl "${case}\n")
execute_process(COMMAND ${LOSSCHECK} run --target reference --precision 53 INPUT_FILE ${CMAKE_CURRENT_BINARY_DIR}/precision_case.jsonl
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc TIMEOUT 60)
if(NOT rc EQUAL 0 OR NOT out MATCHES "^{\"id\":1,\"output\"")
  message(FATAL_ERROR "losscheck run --precision 53: exit ${rc}\nstdout:\n${out}\nstderr:\n${err}")
endif()
execute_process(COMMAND ${LOSSCHECK} run --precision many INPUT_FILE /dev/null OUTPUT_VARIABLE out ERROR_VARIABLE err
                RESULT_VARIABLE rc TIMEOUT 60)
if(NOT rc EQUAL 2 OR NOT err MATCHES "'many' is not a number of bits")
  message(FATAL_ERROR "losscheck run --precision many: exit ${rc}\nstderr:\n${err}")
endif()
message(STATUS "--precision below 53 refused by run, showcase, fixtures verify and audit; 53 accepted")
