# Runs one Node test file for ctest (cmake -P): fails with a clear message
# when node, the npm dependencies or (browser tests) Chromium are missing, so
# that no test silently disappears. -DNODE= -DDIR= -DFILE= -DMODULES=a,b
# -DBROWSER=ON
if(NOT NODE OR NOT EXISTS "${NODE}")
  message(FATAL_ERROR "node was not found when configuring (need Node >= 18: scripts/install-deps.sh, then "
                      "re-run cmake); ${FILE} cannot run")
endif()
execute_process(COMMAND "${NODE}" --version OUTPUT_VARIABLE version OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE rc)
string(REGEX REPLACE "^v" "" version "${version}")
if(NOT rc EQUAL 0 OR version VERSION_LESS 18)
  message(FATAL_ERROR "${NODE} is version '${version}': the e2e tests need Node >= 18")
endif()
string(REPLACE "," ";" MODULES "${MODULES}")
foreach(m IN LISTS MODULES)
  if(NOT EXISTS "${DIR}/node_modules/${m}/package.json")
    message(FATAL_ERROR "tests/e2e/node_modules/${m} is missing: run 'npm ci' in tests/e2e "
                        "(scripts/test.sh does); ${FILE} cannot run")
  endif()
endforeach()
if(BROWSER)
  set(chromium "$ENV{SC_CHROMIUM}")
  if(NOT chromium)
    set(chromium /usr/bin/chromium)
  endif()
  if(NOT EXISTS "${chromium}")
    message(FATAL_ERROR "${chromium} is missing: install Debian's chromium (scripts/install-deps.sh) or set "
                        "SC_CHROMIUM; ${FILE} cannot run")
  endif()
endif()
execute_process(COMMAND "${NODE}" --test "${DIR}/${FILE}" WORKING_DIRECTORY "${DIR}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "node --test ${FILE}: exit status ${rc}")
endif()
