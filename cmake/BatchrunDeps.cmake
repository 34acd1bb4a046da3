# Third-party dependencies, all from Debian's packages (scripts/setup installs them). Each becomes an
# IMPORTED target so its headers are SYSTEM includes and never trip our -Werror.
find_package(PkgConfig REQUIRED)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
pkg_check_modules(PISTACHE REQUIRED IMPORTED_TARGET libpistache)
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(RapidJSON REQUIRED)
find_package(CLI11 REQUIRED)
find_package(GTest REQUIRED)
find_package(Threads REQUIRED)

# The services allocate and free ~1 KiB strings per run by the million across threads (HTTP,
# librdkafka delivery, followers); glibc's malloc spent ~25 % of ingest's CPU there, jemalloc
# cuts ingest's CPU per item by about a quarter (docs/performance.md "Ingest"). Sanitizer builds
# keep the sanitizer's allocator.
option(BATCHRUN_JEMALLOC "Link the services with jemalloc" ON)
if(BATCHRUN_JEMALLOC AND NOT BATCHRUN_SANITIZE)
  find_library(JEMALLOC_LIBRARY NAMES jemalloc REQUIRED)
endif()

if(NOT TARGET batchrun::rapidjson)
  add_library(batchrun::rapidjson INTERFACE IMPORTED)
  # Headers live in /usr/include already; only the feature switches are needed.
  set(rapidjson_defs RAPIDJSON_HAS_STDSTRING=1)
  # SSE2 (every x86-64 CPU has it): strings are scanned 16 bytes at a time. Scanning the 1 KiB
  # strings of a batch body a byte at a time was ≈ 8 % of ingest's CPU (docs/performance.md).
  # The SIMD scan loads whole aligned 16-byte blocks, so it may read up to 15 bytes past a
  # string's end — never across a page, but the sanitizers report it: their builds keep the
  # scalar scan.
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64" AND NOT BATCHRUN_SANITIZE)
    list(APPEND rapidjson_defs RAPIDJSON_SSE2)
  endif()
  set_target_properties(batchrun::rapidjson PROPERTIES INTERFACE_COMPILE_DEFINITIONS "${rapidjson_defs}")
endif()
