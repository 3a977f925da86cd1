// `herald serve`'s settings from the command line: one flag per entry of lib/config/options
// (with its HERALD_* variable), plus --config FILE. resolve() layers them: defaults, then the
// file, then variables and flags, and reports every problem at once. Kept after parsing so that
// SIGHUP can re-read the file under the same flags and variables.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lib/config/options.hpp"

namespace herald::cmd {

class settings {
public:
    // Adds every option's flag (with its variable) and --config to `sub`.
    void register_flags(CLI::App& sub);
    const std::string& config_path() const { return config_path_; }
    // Defaults < file < variables < flags; problems hold everything that could not be applied.
    config::config resolve(std::vector<config::problem>& problems) const;

private:
    CLI::App* app_ = nullptr;
    std::string config_path_;
    std::map<std::string, std::string> scalars_;              // by option key
    std::map<std::string, std::vector<std::string>> lists_;   // by option key
};

// Reads and applies a config file onto cfg; a missing file or bad JSON is one problem.
void apply_config_file(config::config& cfg, const std::string& path, std::vector<config::problem>& problems);

}  // namespace herald::cmd
