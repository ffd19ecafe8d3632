# The find-package test (as fmt's test/find-package-test): install this build into a fresh prefix, build
# examples/cpp_consumer against it with only find_package(losscheck REQUIRED), and run its tests -- the correct
# loss passes its audit (in-process and as an exec target) and the planted bug is found with its diagnosis.
# -DBUILD_DIR=<losscheck build> -DSOURCE_DIR=<losscheck source> -DWORK_DIR=<scratch> [-DGENERATOR=Ninja]
foreach(v BUILD_DIR SOURCE_DIR WORK_DIR)
  if(NOT ${v})
    message(FATAL_ERROR "find_package_test: ${v} is not set")
  endif()
endforeach()
set(prefix ${WORK_DIR}/prefix)
set(consumer ${WORK_DIR}/consumer)
file(REMOVE_RECURSE ${prefix} ${consumer})

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "find_package_test: ${what} failed (${rc}):\n${out}\n${err}")
  endif()
  message(STATUS "find_package_test: ${what}: ok")
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

run("install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
foreach(f bin/losscheck include/losscheck/audit.h include/losscheck/gtest.h include/losscheck/protocol.h
          include/losscheck/properties.h include/losscheck/loss_list.h lib/cmake/losscheck/losscheckConfig.cmake
          lib/cmake/losscheck/losscheckConfigVersion.cmake lib/cmake/losscheck/losscheckAudit.cmake
          lib/pkgconfig/losscheck.pc share/losscheck/fixtures/mse_loss.json)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "find_package_test: the install has no ${f}")
  endif()
endforeach()
# the installed command line finds the installed fixtures without --fixtures
run("installed CLI" ${prefix}/bin/losscheck audit --target impl --loss mse_loss --dtype float64 --property fixtures)
if(NOT last_output MATCHES "fixtures: [0-9]+ files in ${prefix}/share/losscheck/fixtures")
  message(FATAL_ERROR "find_package_test: the installed CLI did not read the installed fixtures:\n${last_output}")
endif()
if(NOT GENERATOR)
  set(GENERATOR Ninja)
endif()
run("configure the consumer" ${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/cpp_consumer -B ${consumer} -G ${GENERATOR}
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=RelWithDebInfo)
run("build the consumer" ${CMAKE_COMMAND} --build ${consumer})
run("the consumer's tests" ${CMAKE_CTEST_COMMAND} --test-dir ${consumer} --output-on-failure)
if(NOT last_output MATCHES "100% tests passed, 0 tests failed out of 5")
  message(FATAL_ERROR "find_package_test: expected the consumer's 5 tests to pass:\n${last_output}")
endif()
