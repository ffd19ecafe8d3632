# Half precision (docs/tolerances.md "Half precision"): the float32 fixture cases as bfloat16 and float16 twins
# (tools/half_cases.py), answered by the reference (correctly rounded to the half dtype, recorded by
# tools/record_fixtures.py) and verified for impl (float32 kernels, one rounding) and for reference:float32 (the
# reference's float32 answer rounded once more: what a float32 kernel that rounds once returns, which the half bound
# must accept besides the correctly rounded value): every case within the half bound.
foreach(half bfloat16 float16)
  file(GLOB fixtures ${REPO_DIR}/fixtures/*.json)
  execute_process(COMMAND ${PYTHON} ${REPO_DIR}/tools/half_cases.py ${half} ${fixtures}
                  OUTPUT_FILE ${WORK_DIR}/${half}_cases.jsonl ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "half_cases.py ${half}: exit ${rc}\n${err}")
  endif()
  execute_process(COMMAND ${PYTHON} ${REPO_DIR}/tools/record_fixtures.py --target "exec:${LOSSCHECK} run --target reference"
                          --witness reference --out ${WORK_DIR}/${half}_reference.json ${WORK_DIR}/${half}_cases.jsonl
                  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT err MATCHES "recorded ([0-9]+) of")
    message(FATAL_ERROR "recording the reference's ${half} answers: exit ${rc}\n${err}")
  endif()
  foreach(target impl reference:float32)
    execute_process(COMMAND ${LOSSCHECK} fixtures verify --target ${target} ${WORK_DIR}/${half}_reference.json
                    OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
    string(REGEX MATCH "([0-9]+) cases, ([0-9]+) passed, 0 failed" summary "${out}")
    if(NOT rc EQUAL 0 OR NOT summary OR CMAKE_MATCH_1 LESS 1700)
      message(FATAL_ERROR "${target} against the reference in ${half}: exit ${rc}\n${out}\n${err}")
    endif()
    message(STATUS "${target}: ${out}")
  endforeach()
endforeach()
