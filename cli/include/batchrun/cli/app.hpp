#pragma once
// The `batchrun` command line: parses flags (CLI11), resolves the config, runs one command and
// returns its exit code (see submit.hpp for the codes; 2 for usage and configuration errors).
namespace batchrun::cli {

int runCli(int argc, char** argv);

}  // namespace batchrun::cli
