// `herald version`: prints the version (and, with --json, as an object).
#include "cmd/commands.hpp"

namespace herald::cmd {

runner register_version(CLI::App& app, context& ctx) {
    auto* sub = app.add_subcommand("version", "Print herald's version");
    auto json = std::make_shared<bool>(false);
    sub->add_flag("--json", *json, "Print {\"version\":...} for scripts");
    sub->footer("Examples:\n  herald version\n  herald version --json");
    return [&ctx, json] {
        if (*json)
            ctx.out << "{\"version\":\"" << HERALD_VERSION << "\"}\n";
        else
            ctx.out << "herald " << HERALD_VERSION << "\n";
        return exit_ok;
    };
}

}  // namespace herald::cmd
