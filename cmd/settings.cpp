// Flags from the option table, and the layering of file, variables and flags.
#include "cmd/settings.hpp"

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace herald::cmd {

void settings::register_flags(CLI::App& sub) {
    app_ = &sub;
    sub.add_option("--config", config_path_, "JSON config file (see docs/configuration.md)")
        ->envname("HERALD_CONFIG")
        ->type_name("FILE");
    config::config defaults;
    for (const auto& o : config::options()) {
        const std::string flag = "--" + std::string(o.flag);
        std::string help(o.doc);
        if (!o.secret && o.kind != config::value_kind::list) help += " [default: " + config::show_value(defaults, o) + "]";
        CLI::Option* opt;
        if (o.kind == config::value_kind::list)
            opt = sub.add_option(flag, lists_[std::string(o.key)], help)->delimiter(',');
        else
            opt = sub.add_option(flag, scalars_[std::string(o.key)], help);
        opt->envname(std::string(o.env));
        switch (o.kind) {
            case config::value_kind::choice: {
                std::string names(o.choices);
                for (auto& c : names)
                    if (c == ' ') c = '|';
                opt->type_name(names);
                break;
            }
            case config::value_kind::address: opt->type_name("HOST:PORT"); break;
            case config::value_kind::count: opt->type_name("N"); break;
            case config::value_kind::millis: opt->type_name("MS|DURATION"); break;
            case config::value_kind::list: opt->type_name("VALUE"); break;
            case config::value_kind::text: opt->type_name("TEXT"); break;
        }
    }
}

void apply_config_file(config::config& cfg, const std::string& path, std::vector<config::problem>& problems) {
    std::ifstream in(path);
    if (!in) {
        problems.push_back({"(file)", path, "", "cannot read the config file: " + std::string(std::strerror(errno))});
        return;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    try {
        config::apply_json(cfg, nlohmann::json::parse(ss.str()), path, problems);
    } catch (const nlohmann::json::parse_error& e) {
        problems.push_back({"(file)", path, "", std::string("not valid JSON: ") + e.what()});
    }
}

config::config settings::resolve(std::vector<config::problem>& problems) const {
    config::config cfg;
    if (!config_path_.empty()) apply_config_file(cfg, config_path_, problems);
    for (const auto& o : config::options()) {
        const auto* opt = app_->get_option("--" + std::string(o.flag));
        if (opt->empty()) continue;  // neither the flag nor its variable was given
        // CLI11 reads the variable only when the flag is absent; a flag with the same value as the
        // variable is indistinguishable and equally right to name.
        const char* env = std::getenv(std::string(o.env).c_str());
        std::string given;
        if (o.kind == config::value_kind::list)
            for (const auto& v : lists_.at(std::string(o.key))) given += (given.empty() ? "" : ",") + v;
        else
            given = scalars_.at(std::string(o.key));
        const std::string source = env && given == env ? std::string(o.env) : "--" + std::string(o.flag);
        if (o.kind == config::value_kind::list) {
            config::clear_list(cfg, o);
            for (const auto& v : lists_.at(std::string(o.key))) config::set_from_text(cfg, o, v, source, problems);
        } else {
            config::set_from_text(cfg, o, scalars_.at(std::string(o.key)), source, problems);
        }
    }
    config::validate(cfg, problems);
    return cfg;
}

}  // namespace herald::cmd
