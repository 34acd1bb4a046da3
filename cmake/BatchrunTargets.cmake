# One helper per kind of target. Warnings are errors on our own code only; third-party headers
# come in through IMPORTED targets, which CMake treats as SYSTEM includes.

function(_batchrun_common_options target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Werror)
  if(BATCHRUN_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=${BATCHRUN_SANITIZE} -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=${BATCHRUN_SANITIZE})
  endif()
endfunction()

# Executables of a ThreadSanitizer build start librdkafka's threads through TSan (see the file).
function(_batchrun_executable_options target)
  _batchrun_common_options(${target})
  if(BATCHRUN_SANITIZE STREQUAL "thread")
    target_sources(${target} PRIVATE ${PROJECT_SOURCE_DIR}/common/src/tsan_c11_threads.cpp)
  endif()
endfunction()

# batchrun_library(NAME SOURCES ... DEPS ...): a component library with include/ as its public surface.
function(batchrun_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  _batchrun_common_options(${name})
  if(BATCHRUN_SANITIZE)
    target_compile_options(${name} PUBLIC -fsanitize=${BATCHRUN_SANITIZE} -fno-omit-frame-pointer)
    target_link_options(${name} PUBLIC -fsanitize=${BATCHRUN_SANITIZE})
  endif()
endfunction()

# batchrun_service(NAME [SYSTEM_MALLOC] SOURCES ... DEPS ...): a thin main.cpp over a library.
# SYSTEM_MALLOC keeps glibc's allocator (a benchmark that counts heap bytes with mallinfo2).
function(batchrun_service name)
  cmake_parse_arguments(ARG "SYSTEM_MALLOC" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  if(JEMALLOC_LIBRARY AND NOT ARG_SYSTEM_MALLOC)
    target_link_libraries(${name} PRIVATE ${JEMALLOC_LIBRARY})
  endif()
  _batchrun_executable_options(${name})
endfunction()

# batchrun_test(NAME LABEL unit|integration|e2e|reliability SOURCES ... DEPS ... [TIMEOUT s]):
# a GoogleTest binary registered with ctest under its label. Tests needing a broker read
# BATCHRUN_TEST_BROKERS from the environment (scripts/test sets it).
function(batchrun_test name)
  cmake_parse_arguments(ARG "" "LABEL;TIMEOUT" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  _batchrun_executable_options(${name})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_test(NAME ${name} COMMAND ${name})
  set(env "BATCHRUN_BIN_DIR=${CMAKE_BINARY_DIR}/bin;BATCHRUN_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
  if(BATCHRUN_SANITIZE STREQUAL "thread")
    # Any report fails the test (exit code 66); the services a test starts inherit this too.
    # history_size=7 (the most): with the default, the earlier access of a report between our
    # threads and Pistache's could not be restored ("failed to restore the stack"), so the
    # suppressions in tests/tsan.supp, which match by function, could not recognise it.
    list(APPEND env "TSAN_OPTIONS=suppressions=${CMAKE_SOURCE_DIR}/tests/tsan.supp second_deadlock_stack=1 history_size=7")
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABEL}" TIMEOUT ${ARG_TIMEOUT} ENVIRONMENT "${env}")
endfunction()

set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
