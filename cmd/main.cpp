// Entry point: wires the real streams into the CLI and returns its exit code.
#include <unistd.h>

#include "cmd/commands.hpp"

int main(int argc, char** argv) {
    // Buffered iostreams: `publish --ndjson` asks std::cin how much input is already waiting.
    std::ios::sync_with_stdio(false);
    herald::cmd::context ctx{std::cin, std::cout, std::cerr, ::isatty(STDOUT_FILENO) == 1};
    return herald::cmd::run_cli(argc, argv, ctx);
}
