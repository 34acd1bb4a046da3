// batchrun: the command-line client. Thin: everything is in the batchrun_cli library.
#include "batchrun/cli/app.hpp"

int main(int argc, char** argv) { return batchrun::cli::runCli(argc, argv); }
