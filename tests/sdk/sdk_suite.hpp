#pragma once
// What every SDK suite's ctest does (tests/sdk/<name>/): run `scripts/sdk-tests <name>` against the
// system CompatSystem started, with the URL, the key and the suite's own variables in its
// environment, and pass if it exits 0 within 9 minutes (the first run installs the pins from
// PyPI or npm; later runs reuse them). Its output (each SDK test's PASS/FAIL line) goes to ctest's.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>

#include "../integration/compat/compat_system.hpp"
#include "kafka_env.hpp"
#include "process.hpp"
#include "wait.hpp"

namespace batchrun::testing {

inline void runSdkSuite(const std::string& name, std::map<std::string, std::string> env) {
  env.emplace("BATCHRUN_SDK_URL", CompatSystem::get().url(""));
  env.emplace("BATCHRUN_SDK_API_KEY", kCompatKey);
  ChildProcess sdk("/bin/bash", std::move(env), {sourceDir() + "/scripts/sdk-tests", name});
  const bool ended = waitFor([&] { return !sdk.running(); }, std::chrono::seconds(540), std::chrono::milliseconds(200));
  const int status = ended ? sdk.stop() : sdk.stop(9);
  EXPECT_TRUE(ended) << "scripts/sdk-tests " << name << " did not finish in 9 minutes";
  EXPECT_EQ(status, 0) << sdk.log();
  std::fprintf(stderr, "%s", sdk.log().c_str());
}

}  // namespace batchrun::testing
