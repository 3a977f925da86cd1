// `herald channels list`, `herald channels inspect CHANNEL` and `herald channels latest CHANNEL`:
// the channels a gateway holds, from its inspect API (GET /v1/channels, GET /v1/channels/{ch},
// GET /v1/channels/{ch}/latest), as an aligned table or, with --json, one JSON document. `list`
// pages through the server until --limit channels are shown.
#include "cmd/commands.hpp"
#include "cmd/inspect_support.hpp"
#include "lib/client/http_client.hpp"

namespace herald::cmd {

namespace {

constexpr std::size_t server_page = 1000;  // the most one GET /v1/channels returns

struct list_options {
    inspect_options common;
    std::string prefix;
    std::size_t limit = 100;
};

struct inspect_channel_options {
    inspect_options common;
    std::string channel;
};

int run_list(context& ctx, const list_options& o) {
    if (o.limit == 0) return usage_error(ctx, "--limit 0 shows nothing", "give --limit N with N of 1 or more");
    ordered_json channels = ordered_json::array();
    ordered_json next = nullptr;
    std::string cursor;
    while (channels.size() < o.limit) {
        auto want = std::min(o.limit - channels.size(), server_page);
        std::string target = "/v1/channels?limit=" + std::to_string(want);
        if (!o.prefix.empty()) target += "&prefix=" + client::url_encode(o.prefix);
        if (!cursor.empty()) target += "&cursor=" + client::url_encode(cursor);
        int code = exit_ok;
        auto page = inspect_get(ctx, o.common, target, code);
        if (!page) return code;
        for (auto& c : (*page)["channels"]) channels.push_back(std::move(c));
        next = (*page)["next_cursor"];
        if (!next.is_string()) break;
        cursor = next.get<std::string>();
    }
    if (o.common.json_out) {
        ctx.out << ordered_json{{"channels", channels}, {"next_cursor", next}}.dump() << "\n";
        return exit_ok;
    }
    if (channels.empty()) {
        ctx.out << "no channels" << (o.prefix.empty() ? "" : " starting with '" + o.prefix + "'") << "\n";
        return exit_ok;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : channels) {
        auto age = format_age(c.value("last_published_at", ordered_json()));
        rows.push_back({cell(c.value("channel", ordered_json())), cell(c.value("subscribers", ordered_json())),
                        cell(c.value("last_offset", ordered_json())), cell(c.value("history_size", ordered_json())),
                        cell(c.value("publishes", ordered_json())), age == "-" ? age : age + " ago",
                        cell(c.value("epoch", ordered_json()))});
    }
    print_table(ctx.out, {"CHANNEL", "SUBSCRIBERS", "OFFSET", "HISTORY", "PUBLISHES", "LAST EVENT", "EPOCH"}, rows,
                {false, true, true, true, true, true, false});
    if (next.is_string())
        ctx.err << "herald: more channels than --limit " << o.limit << "; raise --limit or narrow --prefix\n";
    return exit_ok;
}

int run_inspect(context& ctx, const inspect_channel_options& o) {
    int code = exit_ok;
    auto j = inspect_get(ctx, o.common, "/v1/channels/" + client::url_encode(o.channel), code);
    if (!j) return code;
    if (o.common.json_out) {
        ctx.out << j->dump() << "\n";
        return exit_ok;
    }
    const auto subs = j->value("subscribers", ordered_json::object());
    const auto last = j->value("last_published_at", ordered_json());
    const auto policy = j->value("policy", ordered_json::object());
    const auto pattern = policy.value("pattern", ordered_json());
    const std::vector<std::pair<std::string, std::string>> lines = {
        {"channel", cell(j->value("channel", ordered_json()))},
        {"subscribers", cell(subs.value("total", ordered_json())) + " (sse " + cell(subs.value("sse", ordered_json())) +
                            ", ws " + cell(subs.value("ws", ordered_json())) + ")"},
        {"epoch", cell(j->value("epoch", ordered_json()))},
        {"last offset", cell(j->value("last_offset", ordered_json()))},
        {"first available", cell(j->value("first_available", ordered_json()))},
        {"history size", cell(j->value("history_size", ordered_json()))},
        {"publishes", cell(j->value("publishes", ordered_json()))},
        {"last published", last.is_number() ? format_time(last) + " UTC (" + format_age(last) + " ago)" : "never"},
        {"policy", pattern.is_string() ? "channels entry " + pattern.get<std::string>() : "global settings (no channels entry matches)"},
        {"history limits", cell(policy.value("history_size", ordered_json())) + " events, " +
                               cell(policy.value("history_ttl_ms", ordered_json())) + " ms, " +
                               cell(policy.value("history_max_bytes", ordered_json())) + " bytes"},
        {"public", policy.value("public", false) ? "yes (no token needed)" : "no"},
        {"keyed", policy.value("keyed", false) ? "yes, " + cell(j->value("keys", ordered_json())) + " of at most " +
                                                     cell(policy.value("max_keys", ordered_json())) + " keys"
                                               : "no"},
        {"conflation", policy.value("conflate_ms", 0) > 0
                           ? "at most one update per key per " + cell(policy.value("conflate_ms", ordered_json())) + " ms"
                           : "none"},
        {"slow consumers", cell(policy.value("slow_consumer", ordered_json()))},
    };
    std::size_t w = 0;
    for (const auto& [k, v] : lines) w = std::max(w, k.size());
    for (const auto& [k, v] : lines) ctx.out << k << std::string(w - k.size() + 2, ' ') << v << "\n";
    return exit_ok;
}

int run_latest(context& ctx, const inspect_channel_options& o) {
    int code = exit_ok;
    auto j = inspect_get(ctx, o.common, "/v1/channels/" + client::url_encode(o.channel) + "/latest", code);
    if (!j) return code;
    if (o.common.json_out) {
        ctx.out << j->dump() << "\n";
        return exit_ok;
    }
    const auto events = j->value("events", ordered_json::array());
    const bool keyed = j->value("keyed", false);
    if (events.empty()) {
        ctx.out << (keyed ? "no keys hold a value in '" : "no event in the history of '") << o.channel << "'\n";
        return exit_ok;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& ev : events) {
        std::vector<std::string> row;
        if (keyed) row.push_back(cell(ev.value("key", ordered_json())));
        row.insert(row.end(), {cell(ev.value("data", ordered_json())), cell(ev.value("offset", ordered_json())),
                               format_time(ev.value("published_at", ordered_json())), cell(ev.value("event", ordered_json()))});
        rows.push_back(std::move(row));
    }
    if (keyed)
        print_table(ctx.out, {"KEY", "VALUE", "OFFSET", "PUBLISHED (UTC)", "EVENT"}, rows, {false, false, true, false, false});
    else
        print_table(ctx.out, {"VALUE", "OFFSET", "PUBLISHED (UTC)", "EVENT"}, rows, {false, true, false, false});
    return exit_ok;
}

}  // namespace

runner register_channels(CLI::App& app, context& ctx) {
    auto* group = app.add_subcommand("channels", "Inspect the channels a running gateway holds");
    group->require_subcommand(1);
    group->footer(
        "Examples:\n"
        "  herald channels list\n"
        "  herald channels inspect news\n"
        "  herald channels latest prices:nasdaq");

    auto* list = group->add_subcommand("list", "List channels: subscribers, last offset, history, publishes");
    auto lo = std::make_shared<list_options>();
    list->add_option("--prefix", lo->prefix, "Only channels whose names start with this (no wildcards)");
    list->add_option("--limit", lo->limit, "Show at most this many channels, in name order")->capture_default_str();
    add_inspect_options(list, lo->common);
    list->footer(
        "Examples:\n"
        "  herald channels list\n"
        "  herald channels list --prefix user: --limit 20\n"
        "  herald channels list --json | jq -r '.channels[].channel'\n"
        "  watch -n1 herald channels list --prefix news.\n"
        "\n"
        "Channels are those the broker holds (published to) and those with subscribers on this node.");

    auto* inspect = group->add_subcommand("inspect",
                                          "Show one channel: subscribers by transport, position, history, policy");
    auto io = std::make_shared<inspect_channel_options>();
    inspect->add_option("CHANNEL", io->channel, "Channel to show")->required();
    add_inspect_options(inspect, io->common);
    inspect->footer(
        "Examples:\n"
        "  herald channels inspect news\n"
        "  herald channels inspect user:42 --json\n"
        "\n"
        "The policy is the channels entry of the config file that matches (first match wins) and the\n"
        "history limits and public setting in force for the channel.\n"
        "Exits 1 with channel_not_found for a channel with no subscribers that nothing was published to.");

    auto* latest = group->add_subcommand("latest", "Show a keyed channel's latest value of every key (or a channel's newest event)");
    auto lt = std::make_shared<inspect_channel_options>();
    latest->add_option("CHANNEL", lt->channel, "Channel to show")->required();
    add_inspect_options(latest, lt->common);
    latest->footer(
        "Examples:\n"
        "  herald channels latest prices:nasdaq\n"
        "  herald channels latest user:42 --json | jq '.events[] | {key, data}'\n"
        "\n"
        "A keyed channel (its policy says keyed: true) shows one row per key that holds a value, oldest\n"
        "change first: what a new subscriber gets first. Another channel shows its newest event.\n"
        "Exits 1 with channel_not_found for a channel with no subscribers that nothing was published to.");

    return [&ctx, lo, io, lt, list, inspect, latest]() -> int {
        if (list->parsed()) return run_list(ctx, *lo);
        if (inspect->parsed()) return run_inspect(ctx, *io);
        if (latest->parsed()) return run_latest(ctx, *lt);
        return exit_usage;
    };
}

}  // namespace herald::cmd
