// `herald presence`: who is connected and which channels are watched, summed over every node,
// from GET /v1/presence (a summary with the webhook endpoints' progress) or, with `users` or
// `channels`, GET /v1/presence/users|channels paged by name (--all follows every page).
// Aligned tables, or with --json the server's JSON (one document per page).
#include "cmd/commands.hpp"
#include "cmd/inspect_support.hpp"
#include "lib/client/http_client.hpp"

namespace herald::cmd {

namespace {

constexpr std::size_t max_limit = 1000;

struct presence_options {
    inspect_options common;
    std::string what;  // "", "users" or "channels"
    std::string cursor;
    std::size_t limit = 100;
    bool all = false;
};

std::vector<std::vector<std::string>> rows_of(const ordered_json& list, bool users) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& e : list)
        rows.push_back({cell(e.value(users ? "user" : "channel", ordered_json())),
                        cell(e.value(users ? "streams" : "subscribers", ordered_json()))});
    return rows;
}

void print_list(context& ctx, const ordered_json& list, bool users) {
    if (list.empty()) {
        ctx.out << (users ? "no users online\n" : "no channels occupied\n");
        return;
    }
    print_table(ctx.out, {users ? "USER" : "CHANNEL", users ? "STREAMS" : "SUBSCRIBERS"}, rows_of(list, users),
                {false, true});
}

int run_summary(context& ctx, const presence_options& o) {
    int code = exit_ok;
    auto j = inspect_get(ctx, o.common, "/v1/presence?limit=" + std::to_string(o.limit), code);
    if (!j) return code;
    if (o.common.json_out) {
        ctx.out << j->dump() << "\n";
        return exit_ok;
    }
    ctx.out << "node " << cell(j->value("node", ordered_json())) << " (store " << cell(j->value("store", ordered_json()))
            << "), position " << cell(j->value("position", ordered_json())) << "\n\n";
    const auto hooks = j->value("webhooks", ordered_json::array());
    if (!hooks.empty()) {
        std::vector<std::vector<std::string>> rows;
        for (const auto& h : hooks)
            rows.push_back({cell(h.value("url", ordered_json())), cell(h.value("queue_depth", ordered_json())),
                            cell(h.value("last_delivered_position", ordered_json())),
                            cell(h.value("last_delivered_id", ordered_json()))});
        print_table(ctx.out, {"WEBHOOK", "QUEUED", "DELIVERED POSITION", "LAST ID"}, rows, {false, true, true, false});
        ctx.out << "\n";
    }
    print_list(ctx, j->value("users", ordered_json::array()), true);
    ctx.out << "\n";
    print_list(ctx, j->value("channels", ordered_json::array()), false);
    for (const char* which : {"users", "channels"})
        if (!j->value(std::string("next_") + which + "_cursor", ordered_json()).is_null())
            ctx.err << "herald: more " << which << " than shown; list them all with: herald presence " << which
                    << " --all\n";
    return exit_ok;
}

int run_pages(context& ctx, const presence_options& o) {
    const bool users = o.what == "users";
    std::string cursor = o.cursor;
    ordered_json all = ordered_json::array();
    std::string position;
    for (;;) {
        std::string target = "/v1/presence/" + o.what + "?limit=" + std::to_string(o.limit);
        if (!cursor.empty()) target += "&cursor=" + client::url_encode(cursor);
        int code = exit_ok;
        auto j = inspect_get(ctx, o.common, target, code);
        if (!j) return code;
        if (o.common.json_out) ctx.out << j->dump() << "\n";
        if (position.empty()) position = cell(j->value("position", ordered_json()));
        for (const auto& e : j->value(o.what, ordered_json::array())) all.push_back(e);
        const auto next = j->value("next_cursor", ordered_json());
        if (next.is_null() || !o.all) {
            if (!next.is_null() && !o.common.json_out)
                ctx.err << "herald: more " << o.what << " after these; go on with --cursor '" << next.get<std::string>()
                        << "' or use --all\n";
            break;
        }
        cursor = next.get<std::string>();
    }
    if (o.common.json_out) return exit_ok;
    print_list(ctx, all, users);
    ctx.out << "position " << position << "\n";
    return exit_ok;
}

int run_presence(context& ctx, const presence_options& o) {
    if (o.limit == 0 || o.limit > max_limit)
        return usage_error(ctx, "--limit " + std::to_string(o.limit) + " is out of range",
                           "give --limit N with N from 1 to " + std::to_string(max_limit));
    if (o.what.empty()) {
        if (o.all || !o.cursor.empty())
            return usage_error(ctx, "--all and --cursor page one list", "name it: herald presence users --all");
        return run_summary(ctx, o);
    }
    return run_pages(ctx, o);
}

}  // namespace

runner register_presence(CLI::App& app, context& ctx) {
    auto* sub = app.add_subcommand("presence", "Show who is connected and which channels are watched, over every node");
    auto o = std::make_shared<presence_options>();
    sub->add_option("list", o->what, "users or channels: list one of them, paged by name")
        ->check(CLI::IsMember({"users", "channels"}));
    sub->add_option("--cursor", o->cursor, "Start after this name (a page's next_cursor)");
    sub->add_option("--limit", o->limit, "Names per page (1 to 1000)")->capture_default_str();
    sub->add_flag("--all", o->all, "Follow every page to the end");
    add_inspect_options(sub, o->common);
    sub->footer(
        "Examples:\n"
        "  herald presence\n"
        "  herald presence users --all\n"
        "  herald presence channels --limit 20\n"
        "  herald presence users --all --json | jq -r '.users[].user'\n"
        "\n"
        "Counts are summed over every node on the same Redis. POSITION is the newest lifecycle transition\n"
        "when the list was read: apply the webhooks with a higher position to stay exact (docs/lifecycle.md).");
    return [&ctx, o] { return run_presence(ctx, *o); };
}

}  // namespace herald::cmd
