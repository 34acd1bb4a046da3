# One helper per kind of target. Warnings are errors on our own code only; third-party headers
# come in through IMPORTED targets, which CMake treats as SYSTEM includes.

# BATCHRUN_DEBUG_INFO=lines compiles every target with -g1 instead of the build type's -g: function
# names, line tables and inlined frames, which is all a sanitizer report, tests/tsan.supp (it matches
# function names, inlined ones too) or a profile needs; no variable locations for a debugger. CI
# builds that way: full -g was a quarter to a third of an -O2 compile here (docs/ci.md).
set(BATCHRUN_DEBUG_INFO "full" CACHE STRING "Debug information: full (the build type's -g) | lines (-g1)")
set_property(CACHE BATCHRUN_DEBUG_INFO PROPERTY STRINGS full lines)
if(BATCHRUN_DEBUG_INFO STREQUAL "lines")
  add_compile_options($<$<CONFIG:Debug,RelWithDebInfo>:-g1>)
elseif(NOT BATCHRUN_DEBUG_INFO STREQUAL "full")
  message(FATAL_ERROR "BATCHRUN_DEBUG_INFO must be full or lines, not '${BATCHRUN_DEBUG_INFO}'")
endif()

function(_batchrun_common_options target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Werror)
  if(BATCHRUN_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=${BATCHRUN_SANITIZE} -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=${BATCHRUN_SANITIZE})
  endif()
endfunction()

# Executables of a ThreadSanitizer build start librdkafka's threads through TSan (see the file).
# The file is compiled once (an object library) and its object linked into each executable.
if(BATCHRUN_SANITIZE STREQUAL "thread")
  add_library(batchrun_tsan_threads OBJECT ${PROJECT_SOURCE_DIR}/common/src/tsan_c11_threads.cpp)
  _batchrun_common_options(batchrun_tsan_threads)
endif()
function(_batchrun_executable_options target)
  _batchrun_common_options(${target})
  if(BATCHRUN_SANITIZE STREQUAL "thread")
    target_link_libraries(${target} PRIVATE batchrun_tsan_threads)
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
  # The suites share one broker and may run side by side (ctest -j, as CI does): each test uses its
  # own topic prefix and free ports. Reliability suites stop and start brokers of their own and time
  # the recovery, or time the HTTP edge's timeouts, so they run alone.
  if(ARG_LABEL STREQUAL "reliability")
    set_tests_properties(${name} PROPERTIES RUN_SERIAL TRUE)
  endif()
endfunction()

set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
