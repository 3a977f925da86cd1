// Entry point: wires the real streams into the CLI and returns its exit code.
#include <unistd.h>

#include "cmd/commands.hpp"

int main(int argc, char** argv) {
    herald::cmd::context ctx{std::cin, std::cout, std::cerr, ::isatty(STDOUT_FILENO) == 1};
    return herald::cmd::run_cli(argc, argv, ctx);
}
