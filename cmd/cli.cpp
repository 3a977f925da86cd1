// The `herald` command line: builds the app from the subcommand files, parses, dispatches.
#include <CLI/CLI.hpp>

#include "cmd/commands.hpp"

namespace herald::cmd {

void build_cli(CLI::App& app, context& ctx, std::vector<std::pair<CLI::App*, runner>>& runners) {
    app.description(
        "herald: a push gateway. It holds the SSE connections of browsers and apps; your app\n"
        "publishes events to it over HTTP and herald delivers them at once, in order, and\n"
        "resumes clients that reconnect without loss.");
    app.footer(
        "Examples:\n"
        "  herald serve                               start the gateway (public :8080, internal 127.0.0.1:8081)\n"
        "  herald publish news 'hello'                publish a text event to channel news\n"
        "  echo '{\"n\":1}' | herald publish news -      publish JSON from stdin\n"
        "  herald tail news --since earliest          print news events, starting with history\n"
        "  herald channels list                       channels with subscribers and positions\n"
        "  herald history news --limit 20             the newest 20 events of news\n"
        "  herald connections --user 42               user 42's open streams\n"
        "  herald token create --sub 42 --channel news  make a subscriber token (needs HERALD_JWT_SECRET)\n"
        "  herald check-config herald.json            report every problem in a config file\n"
        "  herald probe                               exit 0 when the gateway is ready (container health checks)\n"
        "\n"
        "Client commands talk to --url, else HERALD_URL, else http://127.0.0.1:8081.\n"
        "Exit status: 0 ok, 1 failure, 2 usage error. See man herald.");
    app.set_version_flag("--version", std::string("herald ") + HERALD_VERSION);
    app.require_subcommand(1);
    auto add = [&](runner (*reg)(CLI::App&, context&)) {
        auto before = app.get_subcommands({}).size();
        auto r = reg(app, ctx);
        auto subs = app.get_subcommands({});
        runners.emplace_back(subs.size() > before ? subs.back() : nullptr, std::move(r));
    };
    add(register_serve);
    add(register_publish);
    add(register_tail);
    add(register_channels);
    add(register_history);
    add(register_connections);
    add(register_presence);
    add(register_token);
    add(register_check_config);
    add(register_probe);
    add(register_version);
}

namespace {
// A command group (like `token`) given without one of its commands, or nullptr.
CLI::App* group_missing_command(const std::vector<std::pair<CLI::App*, runner>>& runners) {
    for (const auto& [sub, r] : runners) {
        if (!sub || !sub->parsed() || sub->get_subcommands({}).empty()) continue;
        bool chosen = false;
        for (auto* child : sub->get_subcommands({})) chosen |= child->parsed();
        if (!chosen) return sub;
    }
    return nullptr;
}

std::string command_names(CLI::App& group) {
    std::string names;
    for (auto* child : group.get_subcommands({})) names += (names.empty() ? "" : ", ") + child->get_name();
    return names;
}
}  // namespace

int run_cli(int argc, char** argv, context& ctx) {
    CLI::App app{"", "herald"};
    std::vector<std::pair<CLI::App*, runner>> runners;
    build_cli(app, ctx, runners);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        ctx.out << app.help();
        return exit_ok;
    } catch (const CLI::CallForAllHelp& e) {
        ctx.out << app.help("", CLI::AppFormatMode::All);
        return exit_ok;
    } catch (const CLI::CallForVersion& e) {
        ctx.out << e.what() << "\n";
        return exit_ok;
    } catch (const CLI::ParseError& e) {
        // Subcommand --help is raised from inside the subcommand; print that subcommand's help.
        if (e.get_exit_code() == 0) {
            for (auto& [sub, r] : runners)
                if (sub && sub->parsed()) {
                    CLI::App* deepest = sub;
                    for (bool deeper = true; deeper;) {
                        deeper = false;
                        for (auto* child : deepest->get_subcommands({}))
                            if (child->parsed()) {
                                deepest = child;
                                deeper = true;
                                break;
                            }
                    }
                    ctx.out << deepest->help();
                    return exit_ok;
                }
            ctx.out << app.help();
            return exit_ok;
        }
        // An unknown first word: name it, rather than CLI11's "A subcommand is required".
        bool known = argc < 2;
        std::string names;
        for (auto& [sub, r] : runners) {
            if (!sub) continue;
            names += (names.empty() ? "" : ", ") + sub->get_name();
            if (argc > 1 && sub->check_name(argv[1])) known = true;
        }
        if (!known && argv[1][0] == '-')
            ctx.err << "herald: unknown option '" << argv[1] << "' (before a command)\n";
        else if (!known)
            ctx.err << "herald: unknown command '" << argv[1] << "' (commands: " << names << ")\n";
        else if (auto* group = group_missing_command(runners))
            ctx.err << "herald: 'herald " << group->get_name() << "' needs a command (" << command_names(*group) << ")\n";
        else
            ctx.err << "herald: " << e.what() << "\n";
        ctx.err << "Run 'herald --help' or 'herald <command> --help' for usage.\n";
        return exit_usage;
    }
    for (auto& [sub, r] : runners)
        if (sub && sub->parsed()) return r();
    ctx.err << app.help();
    return exit_usage;
}

}  // namespace herald::cmd
