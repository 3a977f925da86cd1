// `herald connections`: the stream connections (SSE and WebSocket) a gateway holds, from
// GET /v1/connections: id, transport, listener, user, remote address, age, outbox, channels.
// An aligned table, or with --json the server's JSON document.
#include "cmd/commands.hpp"
#include "cmd/inspect_support.hpp"
#include "lib/client/http_client.hpp"

namespace herald::cmd {

namespace {

constexpr std::size_t max_limit = 1000;

struct connections_options {
    inspect_options common;
    std::string user;
    std::size_t limit = 100;
};

int run_connections(context& ctx, const connections_options& o) {
    if (o.limit == 0 || o.limit > max_limit)
        return usage_error(ctx, "--limit " + std::to_string(o.limit) + " is out of range",
                           "give --limit N with N from 1 to " + std::to_string(max_limit) + ", or narrow with --user");
    std::string target = "/v1/connections?limit=" + std::to_string(o.limit);
    if (!o.user.empty()) target += "&user=" + client::url_encode(o.user);
    int code = exit_ok;
    auto j = inspect_get(ctx, o.common, target, code);
    if (!j) return code;
    if (o.common.json_out) {
        ctx.out << j->dump() << "\n";
        return exit_ok;
    }
    const auto list = j->value("connections", ordered_json::array());
    const auto total = j->value("total", std::size_t{0});
    if (list.empty()) {
        ctx.out << "no connections" << (o.user.empty() ? "" : " of user '" + o.user + "'") << "\n";
        return exit_ok;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : list) {
        std::string channels;
        for (const auto& ch : c.value("channels", ordered_json::array()))
            channels += (channels.empty() ? "" : ",") + cell(ch);
        rows.push_back({cell(c.value("id", ordered_json())), cell(c.value("transport", ordered_json())),
                        cell(c.value("listener", ordered_json())), cell(c.value("user", ordered_json())),
                        cell(c.value("remote", ordered_json())), format_age(c.value("connected_at", ordered_json())),
                        cell(c.value("outbox_bytes", ordered_json())), channels.empty() ? "-" : channels});
    }
    print_table(ctx.out, {"ID", "TRANSPORT", "LISTENER", "USER", "REMOTE", "AGE", "OUTBOX", "CHANNELS"}, rows,
                {true, false, false, false, false, true, true, false});
    if (total > list.size())
        ctx.err << "herald: showing " << list.size() << " of " << total
                << " connections; raise --limit (up to 1000) or narrow with --user\n";
    return exit_ok;
}

}  // namespace

runner register_connections(CLI::App& app, context& ctx) {
    auto* sub = app.add_subcommand("connections", "List the SSE and WebSocket connections a gateway holds");
    auto o = std::make_shared<connections_options>();
    sub->add_option("--user", o->user, "Only the connections of this user (a token's sub)");
    sub->add_option("--limit", o->limit, "Show at most this many, oldest first (1 to 1000)")->capture_default_str();
    add_inspect_options(sub, o->common);
    sub->footer(
        "Examples:\n"
        "  herald connections\n"
        "  herald connections --user 42\n"
        "  herald connections --json | jq '.total'\n"
        "\n"
        "AGE is how long ago the stream started; OUTBOX the bytes queued for it and not yet written.");
    return [&ctx, o] { return run_connections(ctx, *o); };
}

}  // namespace herald::cmd
