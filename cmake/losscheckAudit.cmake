# losscheck_add_audit(): one line in a project's CMakeLists.txt registers a ctest that audits its loss
# implementation and writes a JUnit report (docs/install.md "In your CMake project").
#
#   losscheck_add_audit(NAME <test name>
#                       TARGET <executable target> | COMMAND <program> [<arg>...]
#                       [LOSSES <loss>...] [DTYPES <dtype>...] [CASES <n>] [SEED <seed>]
#                       [BASELINE <file>] [ARGS <more losscheck audit options>...])
#
# The executable (or command) is an exec target: it speaks losscheck's line protocol (docs/format.md; in C++
# losscheck::protocol does it). The test runs `losscheck audit --target exec:...` and passes exactly when the audit
# does (exit 0); the JUnit XML goes to <build dir>/<NAME>.junit.xml. BASELINE names a committed file of accepted
# findings (losscheck audit --write-baseline), relative to the current source directory.
function(losscheck_add_audit)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "NAME;TARGET;CASES;SEED;BASELINE" "COMMAND;LOSSES;DTYPES;ARGS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "losscheck_add_audit: unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_NAME)
    message(FATAL_ERROR "losscheck_add_audit: NAME is required")
  endif()
  if((arg_TARGET AND arg_COMMAND) OR (NOT arg_TARGET AND NOT arg_COMMAND))
    message(FATAL_ERROR "losscheck_add_audit(${arg_NAME}): give exactly one of TARGET <executable> or COMMAND <program...>")
  endif()
  if(arg_TARGET)
    set(command "$<TARGET_FILE:${arg_TARGET}>")
  else()
    list(JOIN arg_COMMAND " " command)
  endif()
  set(args audit --target "exec:${command}" --junit "${CMAKE_CURRENT_BINARY_DIR}/${arg_NAME}.junit.xml")
  if(arg_LOSSES)
    list(JOIN arg_LOSSES "," losses)
    list(APPEND args --loss ${losses})
  endif()
  if(arg_DTYPES)
    list(JOIN arg_DTYPES "," dtypes)
    list(APPEND args --dtype ${dtypes})
  endif()
  if(arg_CASES)
    list(APPEND args --cases ${arg_CASES})
  endif()
  if(arg_SEED)
    list(APPEND args --seed ${arg_SEED})
  endif()
  if(arg_BASELINE)
    get_filename_component(baseline "${arg_BASELINE}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND args --baseline "${baseline}")
  endif()
  list(APPEND args ${arg_ARGS})
  add_test(NAME ${arg_NAME} COMMAND "$<TARGET_FILE:losscheck::cli>" ${args})
  set_tests_properties(${arg_NAME} PROPERTIES LABELS losscheck)
endfunction()
