// What the inspect commands (channels, history, connections) share: the --url/--api-key/--json
// options, one GET of the inspect API with errors printed the way every client command prints
// them, aligned tables, and times and text made readable. Blocking; CLI thread only.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cmd/context.hpp"

namespace herald::cmd {

using ordered_json = nlohmann::ordered_json;  // keeps the server's member order in --json output

struct inspect_options {
    std::string url;
    std::string api_key;
    bool json_out = false;
};

// Adds --url (HERALD_URL), --api-key (HERALD_API_KEY) and --json to `cmd`.
void add_inspect_options(CLI::App* cmd, inspect_options& o);

// GET `target` on the gateway. The reply's JSON on a 200; otherwise prints the error (unreachable,
// refused, not found: the message, then a hint) and sets `exit_code` (1, or 2 for a bad --url).
std::optional<ordered_json> inspect_get(context& ctx, const inspect_options& o, const std::string& target, int& exit_code);

// Prints a usage error ("herald: ...", a hint) and returns exit_usage.
int usage_error(context& ctx, const std::string& message, const std::string& hint);

// Rows under a header, columns two spaces apart; columns flagged in `right` are right-aligned
// (numbers). The last column is not padded.
void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& right = {});

// "2026-11-02 10:15:03.120" (UTC) for ms since the Unix epoch; "-" for null.
std::string format_time(const ordered_json& ms);
// How long ago `ms` was, as "42s", "5m03s", "2h01m", "3d04h"; "-" for null.
std::string format_age(const ordered_json& ms);
// A JSON value as one line for a table cell: strings bare with control characters escaped (\n),
// numbers and the rest as compact JSON; null as "-".
std::string cell(const ordered_json& v);

}  // namespace herald::cmd
