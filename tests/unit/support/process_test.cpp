// The test support's ChildProcess: a sanitizer report in a child's output fails the test that ran
// it, since the child's exit code is often not looked at (stopped with a signal).
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include "process.hpp"
#include "wait.hpp"

using namespace batchrun::testing;
using namespace std::chrono_literals;

TEST(SanitizerReport, FindsEachSanitizersReportFromItsLine) {
  EXPECT_EQ(sanitizerReport("started\nstopped\n"), "");
  EXPECT_EQ(sanitizerReport("a\n==1==WARNING: ThreadSanitizer: data race\n  #0 f"),
            "==1==WARNING: ThreadSanitizer: data race\n  #0 f");
  EXPECT_EQ(sanitizerReport("==2==ERROR: LeakSanitizer: detected memory leaks"),
            "==2==ERROR: LeakSanitizer: detected memory leaks");
  EXPECT_EQ(sanitizerReport("x\n==3==ERROR: AddressSanitizer: heap-use-after-free"),
            "==3==ERROR: AddressSanitizer: heap-use-after-free");
  EXPECT_EQ(sanitizerReport("ok\nrun.cpp:10:5: runtime error: signed integer overflow\n"),
            "run.cpp:10:5: runtime error: signed integer overflow\n");
}

TEST(ChildProcess, AReportInItsOutputFailsTheTest) {
  EXPECT_NONFATAL_FAILURE(
      {
        ChildProcess p("/bin/sh", {}, {"-c", "echo '==9==WARNING: ThreadSanitizer: data race'"});
        ASSERT_TRUE(waitFor([&] { return !p.running(); }, 10s));
      },
      "WARNING: ThreadSanitizer: data race");
}

TEST(ChildProcess, CleanOutputPasses) {
  ChildProcess p("/bin/sh", {}, {"-c", "echo fine"});
  ASSERT_TRUE(waitFor([&] { return !p.running(); }, 10s));
  EXPECT_EQ(p.stop(), 0);
}
