// `herald history CHANNEL`: the events a channel's history holds (GET /v1/channels/{ch}/events),
// oldest first: the newest --limit by default, or those after --since OFFSET (or from the start
// with --since earliest). An aligned table, or with --json the server's JSON document.
#include "cmd/commands.hpp"
#include "cmd/inspect_support.hpp"
#include "lib/client/http_client.hpp"

namespace herald::cmd {

namespace {

constexpr std::size_t max_limit = 1000;

struct history_options {
    inspect_options common;
    std::string channel;
    std::string since;
    std::size_t limit = 100;
};

int run_history(context& ctx, const history_options& o) {
    if (o.limit == 0 || o.limit > max_limit)
        return usage_error(ctx, "--limit " + std::to_string(o.limit) + " is out of range",
                           "give --limit N with N from 1 to " + std::to_string(max_limit) + "; page on with --since");
    if (!o.since.empty() && o.since != "earliest" && o.since.find_first_not_of("0123456789") != std::string::npos)
        return usage_error(ctx, "--since '" + o.since + "' is not an offset",
                           "give --since OFFSET (events after it) or --since earliest (all of history)");
    std::string target = "/v1/channels/" + client::url_encode(o.channel) + "/events?limit=" + std::to_string(o.limit);
    if (!o.since.empty()) target += "&since=" + o.since;
    int code = exit_ok;
    auto j = inspect_get(ctx, o.common, target, code);
    if (!j) return code;
    if (o.common.json_out) {
        ctx.out << j->dump() << "\n";
        return exit_ok;
    }
    const auto events = j->value("events", ordered_json::array());
    const auto last_offset = j->value("last_offset", std::uint64_t{0});
    if (events.empty()) {
        ctx.out << "no events in the history of '" << o.channel << "'";
        if (!o.since.empty() && o.since != "earliest") ctx.out << " after offset " << o.since;
        ctx.out << " (last offset " << last_offset << ")\n";
        return exit_ok;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& ev : events)
        rows.push_back({cell(ev.value("offset", ordered_json())), format_time(ev.value("published_at", ordered_json())),
                        cell(ev.value("event", ordered_json())), cell(ev.value("data", ordered_json()))});
    print_table(ctx.out, {"OFFSET", "PUBLISHED (UTC)", "EVENT", "DATA"}, rows, {true, false, false, false});
    const auto shown_last = events.back().value("offset", std::uint64_t{0});
    if (shown_last < last_offset)
        ctx.err << "herald: more events follow; herald history " << o.channel << " --since " << shown_last << "\n";
    return exit_ok;
}

}  // namespace

runner register_history(CLI::App& app, context& ctx) {
    auto* sub = app.add_subcommand("history", "Print the events a channel's history holds");
    auto o = std::make_shared<history_options>();
    sub->add_option("CHANNEL", o->channel, "Channel to read")->required();
    sub->add_option("--since", o->since, "Events after this offset, or 'earliest' for all of history (default: the newest)");
    sub->add_option("--limit", o->limit, "At most this many events (1 to 1000)")->capture_default_str();
    add_inspect_options(sub, o->common);
    sub->footer(
        "Examples:\n"
        "  herald history news                      the newest 100 events, oldest first\n"
        "  herald history news --since earliest     from the start of history\n"
        "  herald history news --since 40 --limit 10\n"
        "  herald history news --json | jq '.events[].data'");
    return [&ctx, o] { return run_history(ctx, *o); };
}

}  // namespace herald::cmd
