// `herald check-config FILE`: reads a config file as `herald serve --config FILE` would and
// reports every problem at once, each with its key and the value it got (exit 1), or prints the
// settings it would run with (exit 0). Key files are opened and patterns checked too.
#include <nlohmann/json.hpp>

#include "cmd/commands.hpp"
#include "cmd/settings.hpp"
#include "lib/config/channel_policies.hpp"
#include "sidecar/auth_setup.hpp"

namespace herald::cmd {

namespace {

struct check_options {
    std::string file;
    bool json_out = false;
};

int check(context& ctx, const check_options& o) {
    std::vector<config::problem> problems;
    config::config cfg;
    apply_config_file(cfg, o.file, problems);
    config::validate(cfg, problems);
    for (auto& p : problems)
        if (p.source.empty()) p.source = o.file;  // checks across settings name the file too
    for (auto& p : sidecar::check_access_setup(cfg)) {
        p.source = o.file;
        problems.push_back(std::move(p));
    }
    if (o.json_out) {
        nlohmann::ordered_json out{{"file", o.file}, {"ok", problems.empty()}};
        out["problems"] = nlohmann::ordered_json::array();
        for (const auto& p : problems)
            out["problems"].push_back({{"key", p.key}, {"value", p.value}, {"message", p.message}});
        out["settings"] = nlohmann::ordered_json::object();
        for (const auto& spec : config::options()) out["settings"][std::string(spec.key)] = config::show_value(cfg, spec);
        out["channels"] = nlohmann::ordered_json::array();
        for (const auto& r : cfg.channels) out["channels"].push_back(config::describe_rule(r));
        ctx.out << out.dump() << "\n";
        return problems.empty() ? exit_ok : exit_failure;
    }
    if (!problems.empty()) {
        for (const auto& p : problems) ctx.err << config::format_problem(p) << "\n";
        ctx.err << problems.size() << " problem(s) in " << o.file << "; see docs/configuration.md\n";
        return exit_failure;
    }
    std::size_t width = 0;
    for (const auto& spec : config::options()) width = std::max(width, spec.key.size());
    ctx.out << o.file << ": ok; herald serve --config " << o.file << " would run with:\n";
    for (const auto& spec : config::options())
        ctx.out << "  " << spec.key << std::string(width - spec.key.size() + 2, ' ') << config::show_value(cfg, spec)
                << "\n";
    for (std::size_t i = 0; i < cfg.channels.size(); ++i)
        ctx.out << "  channels[" << i << "]" << std::string(width + 2 > 11 ? width + 2 - 11 : 1, ' ') << config::describe_rule(cfg.channels[i])
                << "\n";
    return exit_ok;
}

}  // namespace

runner register_check_config(CLI::App& app, context& ctx) {
    auto* sub = app.add_subcommand("check-config", "Check a JSON config file and report every problem at once");
    auto o = std::make_shared<check_options>();
    sub->add_option("FILE", o->file, "The config file")->required();
    sub->add_flag("--json", o->json_out,
                  "Print {\"ok\",\"problems\":[{key,value,message}],\"settings\",\"channels\"} for scripts");
    sub->footer(
        "Only the file is checked (flags and HERALD_* variables are not applied). Exit 0 when it is\n"
        "valid, 1 when it has problems.\n"
        "\n"
        "Examples:\n"
        "  herald check-config /etc/herald/herald.json\n"
        "  herald check-config herald.json --json | jq '.problems'");
    return [&ctx, o] { return check(ctx, *o); };
}

}  // namespace herald::cmd
