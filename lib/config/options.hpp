// Every setting of `herald serve`, described once: its key in the JSON config file, its flag,
// its HERALD_* variable, its type and range, whether SIGHUP reloads it, and what it means.
// The CLI registers its flags from this table, the config file and check-config are read
// through it, and docs/configuration.md is rendered from it (a test keeps them equal).
// Precedence: flags > environment > file > defaults. Pure functions over config values, no I/O.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "lib/config/config.hpp"

namespace herald::config {

enum class value_kind {
    text,     // any string
    choice,   // one of `choices` (space-separated)
    address,  // HOST:PORT (host may be empty or [v6])
    count,    // a non-negative integer in [min, max]
    millis,   // milliseconds: an integer, or a duration such as "500ms", "15s", "5m", "1h"
    list,     // strings; repeat the flag, comma-separate the variable, a JSON array in the file
};

struct option_spec {
    std::string_view key;   // in the config file: "limits.max_body_bytes"
    std::string_view flag;  // without dashes: "max-body-bytes"
    std::string_view env;   // "HERALD_MAX_BODY_BYTES"
    value_kind kind;
    std::string_view doc;   // one sentence
    std::string_view choices = {};
    std::int64_t min = 0, max = 0;  // count/millis range, inclusive
    bool secret = false;            // values are never shown (docs, check-config, logs)
    bool reloadable = false;        // SIGHUP applies a change without a restart
    void* (*field)(config&) = nullptr;
};

// A setting that could not be applied, with where it came from.
struct problem {
    std::string key;      // "limits.max_body_bytes" (or the unknown key as written)
    std::string source;   // "--max-body-bytes", "HERALD_MAX_BODY_BYTES", "herald.json"
    std::string value;    // as given ("***" for secrets)
    std::string message;  // what is wrong and what is expected
};

const std::vector<option_spec>& options();
const option_spec* find_option(std::string_view key);

// Sets `spec` from text (a flag or variable value; lists get one element per call, except that
// a comma-separated variable value is split). Appends a problem and returns false when invalid.
bool set_from_text(config& cfg, const option_spec& spec, std::string_view text, const std::string& source,
                   std::vector<problem>& problems);
// Sets a scalar `spec` from a JSON value (a string, or an integer for counts and durations), with
// the same parsing and range as set_from_text; a problem (keyed by spec.key) when invalid.
bool set_from_json(config& cfg, const option_spec& spec, const nlohmann::json& v, const std::string& source,
                   std::vector<problem>& problems);
// Replaces a list option's contents (so that a layer with precedence wins as a whole).
void clear_list(config& cfg, const option_spec& spec);
// Applies a parsed config file (nested objects following the keys); every problem is reported.
void apply_json(config& cfg, const nlohmann::json& doc, const std::string& source, std::vector<problem>& problems);
// Checks across settings (e.g. drain window within the shutdown timeout).
void validate(const config& cfg, std::vector<problem>& problems);

// The value as a user would write it (secrets masked), for docs and messages.
std::string show_value(config& cfg, const option_spec& spec);
// The reference page docs/configuration.md.
std::string render_markdown();
// One line per problem: "SOURCE: KEY: got VALUE: MESSAGE".
std::string format_problem(const problem& p);

}  // namespace herald::config
