// Registration of every subcommand: each adds itself to the app and returns the function that
// runs it once parsed (returning an exit code).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "cmd/context.hpp"

namespace herald::cmd {

using runner = std::function<int()>;

runner register_serve(CLI::App& app, context& ctx);
runner register_publish(CLI::App& app, context& ctx);
runner register_tail(CLI::App& app, context& ctx);
runner register_channels(CLI::App& app, context& ctx);
runner register_history(CLI::App& app, context& ctx);
runner register_connections(CLI::App& app, context& ctx);
runner register_presence(CLI::App& app, context& ctx);
runner register_token(CLI::App& app, context& ctx);
runner register_check_config(CLI::App& app, context& ctx);
runner register_probe(CLI::App& app, context& ctx);
runner register_version(CLI::App& app, context& ctx);

// Builds the whole CLI (also used by the docs test to list commands and options).
void build_cli(CLI::App& app, context& ctx, std::vector<std::pair<CLI::App*, runner>>& runners);
int run_cli(int argc, char** argv, context& ctx);

}  // namespace herald::cmd
