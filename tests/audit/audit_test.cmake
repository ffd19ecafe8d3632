# One `losscheck audit` run: its exit code, a regex its output must match, and well-formed JSON and JUnit reports
# whose verdict agrees with the exit code.
# -DLOSSCHECK= -DPYTHON= -DWORK_DIR= -DNAME= -DEXPECT_RC= -DEXPECT_OUT=<regex> -DARGS=<audit arguments joined by '|'>
string(REPLACE "|" ";" ARGS "${ARGS}")
set(json ${WORK_DIR}/${NAME}.json)
set(junit ${WORK_DIR}/${NAME}.xml)
file(REMOVE ${json} ${junit})
string(TIMESTAMP t0 "%s")
execute_process(COMMAND ${LOSSCHECK} audit ${ARGS} --json ${json} --junit ${junit}
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc TIMEOUT 240)
string(TIMESTAMP t1 "%s")
math(EXPR seconds "${t1} - ${t0}")
message(STATUS "losscheck audit ${ARGS}: exit ${rc} in ${seconds} s")
if(NOT rc STREQUAL EXPECT_RC)
  message(FATAL_ERROR "expected exit ${EXPECT_RC}, got ${rc}\nstdout:\n${out}\nstderr:\n${err}")
endif()
if(NOT out MATCHES "${EXPECT_OUT}")
  message(FATAL_ERROR "output does not match '${EXPECT_OUT}':\n${out}\nstderr:\n${err}")
endif()
if(EXPECT_RC STREQUAL "2")
  return()  # usage errors write no reports
endif()
if(EXPECT_RC STREQUAL "0")
  set(verdict pass)
elseif(EXPECT_RC STREQUAL "4")
  set(verdict "nothing checked")
else()
  set(verdict fail)
endif()
execute_process(COMMAND ${PYTHON} -c [[
import json, sys
r = json.load(open(sys.argv[1]))
assert r["format"] == "losscheck-audit" and r["version"] == 1, r.get("format")
assert r["verdict"] == sys.argv[2], (r["verdict"], sys.argv[2])
assert r["results"] and all(x["verdict"] in ("pass", "fail", "skipped") for x in r["results"])
assert r["summary"]["failed"] == sum(x["verdict"] == "fail" for x in r["results"])
for x in r["results"]:
    if x["verdict"] == "fail":
        assert x["message"] and x["report"], x
]] ${json} "${verdict}" RESULT_VARIABLE jrc ERROR_VARIABLE jerr)
if(NOT jrc EQUAL 0)
  message(FATAL_ERROR "JSON report ${json}: ${jerr}")
endif()
execute_process(COMMAND ${PYTHON} -c [[
import sys, xml.dom.minidom
d = xml.dom.minidom.parse(sys.argv[1])
cases = d.getElementsByTagName("testcase")
failures = d.getElementsByTagName("failure")
assert cases, "no testcase"
assert (len(failures) > 0) == (sys.argv[2] == "fail"), (len(failures), sys.argv[2])
]] ${junit} ${verdict} RESULT_VARIABLE xrc ERROR_VARIABLE xerr)
if(NOT xrc EQUAL 0)
  message(FATAL_ERROR "JUnit report ${junit}: ${xerr}")
endif()
