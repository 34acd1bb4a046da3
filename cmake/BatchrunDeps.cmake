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

if(NOT TARGET batchrun::rapidjson)
  add_library(batchrun::rapidjson INTERFACE IMPORTED)
  # Headers live in /usr/include already; only the feature switches are needed.
  set_target_properties(batchrun::rapidjson PROPERTIES INTERFACE_COMPILE_DEFINITIONS "RAPIDJSON_HAS_STDSTRING=1")
endif()
