// `herald publish`: publish one event from an argument or stdin, or many with --ndjson.
#include <nlohmann/json.hpp>
#include <sstream>

#include "cmd/commands.hpp"
#include "lib/client/http_client.hpp"

namespace herald::cmd {

namespace {

using json = nlohmann::ordered_json;  // prints members in the order the server sent them

struct publish_options {
    std::string url;
    std::string channel;
    std::string data;
    bool data_given = false;
    std::string event;
    std::string idempotency_key;
    std::string key;                  // a keyed channel's key
    std::optional<std::int64_t> incr;  // a counter's increment
    bool remove = false;              // --delete
    bool json_out = false;
    bool text = false;
    bool ndjson = false;
    std::string api_key;
};

void print_error(context& ctx, const model::error& e) {
    ctx.err << "herald: " << e.message << "\n";
    if (!e.hint.empty()) ctx.err << "hint: " << e.hint << "\n";
}

void print_result(context& ctx, const json& r, bool json_out) {
    if (json_out) {
        ctx.out << r.dump() << "\n";
        return;
    }
    if (r.contains("value") && r["value"].is_number_integer())
        ctx.out << "counter is now " << r["value"].get<std::int64_t>() << ": ";
    ctx.out << "published to " << r.value("channel", "?") << " at offset " << r.value("offset", 0) << " (epoch "
            << r.value("epoch", "?") << "), queued to " << r.value("delivered_local", 0) << " local subscriber(s)";
    if (r.value("duplicate", false)) ctx.out << " [duplicate key: nothing new published]";
    ctx.out << "\n";
}

client::header_list auth_headers(const publish_options& o) {
    if (o.api_key.empty()) return {};
    return {{"Authorization", "Bearer " + o.api_key}};
}

int print_reply(context& ctx, model::result<client::http_reply> reply, bool json_out) {
    if (!reply) {
        print_error(ctx, reply.err());
        return exit_failure;
    }
    if (reply->status != 200) {
        print_error(ctx, client::reply_error(*reply));
        return exit_failure;
    }
    print_result(ctx, json::parse(reply->body, nullptr, false), json_out);
    return exit_ok;
}

// --incr and --delete: a JSON publish that names the key and what to do with it.
int publish_key_change(context& ctx, const client::server_url& url, const publish_options& o) {
    json body{{"channel", o.channel}, {"key", o.key}};
    if (o.incr)
        body["incr"] = *o.incr;
    else
        body["delete"] = true;
    if (!o.event.empty()) body["event"] = o.event;
    if (!o.idempotency_key.empty()) body["idempotency_key"] = o.idempotency_key;
    return print_reply(ctx, client::http_request(url, "POST", "/v1/publish", body.dump(), "application/json", auth_headers(o)),
                       o.json_out);
}

int publish_one(context& ctx, const client::server_url& url, const publish_options& o) {
    std::string data = o.data;
    if (o.data == "-") {
        std::ostringstream ss;
        ss << ctx.in.rdbuf();
        data = ss.str();
        if (!data.empty() && data.back() == '\n') data.pop_back();
    }
    bool as_json = !o.text && !data.empty() && !json::parse(data, nullptr, false).is_discarded();
    std::string target = "/v1/channels/" + client::url_encode(o.channel) + "/events";
    std::string sep = "?";
    if (!o.event.empty()) {
        target += sep + "event=" + client::url_encode(o.event);
        sep = "&";
    }
    if (!o.idempotency_key.empty()) {
        target += sep + "idempotency_key=" + client::url_encode(o.idempotency_key);
        sep = "&";
    }
    if (!o.key.empty()) target += sep + "key=" + client::url_encode(o.key);
    return print_reply(ctx,
                       client::http_request(url, "POST", target, data,
                                            as_json ? "application/json" : "text/plain; charset=utf-8", auth_headers(o)),
                       o.json_out);
}

// Sends lines in batches of what stdin already holds; prints one result line per input line, in
// input order (a line refused here waits in the batch for the results of the lines before it).
int publish_ndjson(context& ctx, const client::server_url& url, const publish_options& o) {
    int failures = 0;
    struct pending {
        std::size_t line;
        json item;          // sent when `local_error` is empty
        std::string local_error;
    };
    std::vector<pending> batch;
    std::size_t items = 0;  // entries of `batch` to send
    auto print_failure = [&](std::size_t line, json r) {
        ++failures;
        r["line"] = line;
        if (o.json_out)
            ctx.out << r.dump() << "\n";
        else
            ctx.err << "line " << line << ": " << r["error"].value("message", "failed") << "\n";
    };
    auto send = [&]() -> bool {
        json results = json::array();
        if (items > 0) {
            json body{{"events", json::array()}};
            for (auto& p : batch)
                if (p.local_error.empty()) body["events"].push_back(p.item);
            auto reply = client::http_request(url, "POST", "/v1/publish", body.dump(), "application/json", auth_headers(o));
            if (!reply) {
                print_error(ctx, reply.err());
                return false;
            }
            auto j = json::parse(reply->body, nullptr, false);
            if (reply->status != 200 || !j.contains("results") || !j["results"].is_array()) {
                print_error(ctx, client::reply_error(*reply));
                return false;
            }
            results = std::move(j["results"]);
        }
        std::size_t next = 0;
        for (auto& p : batch) {
            if (!p.local_error.empty()) {
                print_failure(p.line, json{{"error", {{"code", "invalid_line"}, {"message", p.local_error}}}});
                continue;
            }
            if (next >= results.size()) {
                print_failure(p.line, json{{"error", {{"code", "no_result"}, {"message", "no result from the server"}}}});
                continue;
            }
            auto& r = results[next++];
            if (r.contains("error"))
                print_failure(p.line, r);
            else
                print_result(ctx, r, o.json_out);
        }
        ctx.out.flush();
        batch.clear();
        items = 0;
        return true;
    };
    std::string line;
    std::size_t n = 0;
    while (std::getline(ctx.in, line)) {
        ++n;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        auto item = json::parse(line, nullptr, false);
        if (item.is_discarded() || !item.is_object()) {
            batch.push_back({n, json(), "not a JSON object"});
        } else if (!item.contains("channel") && !item.contains("channels") && o.channel.empty()) {
            batch.push_back({n, json(), "no \"channel\" in the line and no CHANNEL argument"});
        } else {
            if (!item.contains("channel") && !item.contains("channels")) item["channel"] = o.channel;
            if (!o.event.empty() && !item.contains("event")) item["event"] = o.event;
            batch.push_back({n, std::move(item), {}});
            ++items;
        }
        // Batch what is already buffered, but never hold a line while waiting for more input:
        // a live producer piped in gets each event published as it comes.
        if ((batch.size() == 100 || ctx.in.rdbuf()->in_avail() <= 0) && !send()) return exit_failure;
    }
    if (!send()) return exit_failure;
    return failures ? exit_failure : exit_ok;
}

}  // namespace

runner register_publish(CLI::App& app, context& ctx) {
    auto* sub = app.add_subcommand("publish", "Publish an event to a channel");
    auto o = std::make_shared<publish_options>();
    sub->add_option("CHANNEL", o->channel, "Channel to publish to");
    sub->add_option("DATA", o->data, "Event data: JSON if it parses as JSON, else text; '-' reads stdin");
    sub->add_option("--url", o->url, "Internal listener of the gateway")->envname("HERALD_URL")->default_str(default_url);
    sub->add_option("--event,-e", o->event, "Event name (SSE event: field)");
    sub->add_option("--idempotency-key", o->idempotency_key, "Publish at most once per key and channel (5 min window)");
    sub->add_option("--key,-k", o->key, "Key of a keyed channel: DATA becomes that key's latest value");
    auto* incr = sub->add_option("--incr", o->incr, "Add N (negative to subtract) to the counter --key names; no DATA");
    auto* del = sub->add_flag("--delete", o->remove, "Delete the key --key names; no DATA");
    incr->excludes(del);
    sub->add_flag("--text", o->text, "Send DATA as text even if it parses as JSON");
    sub->add_flag("--json", o->json_out, "Print the server's JSON reply");
    sub->add_flag("--ndjson", o->ndjson, "Publish one JSON event object per stdin line; one result line each");
    sub->add_option("--api-key", o->api_key, "API key, when the gateway requires one")->envname("HERALD_API_KEY");
    sub->footer(
        "Examples:\n"
        "  herald publish news 'hello'\n"
        "  herald publish news '{\"price\":42}' --event price\n"
        "  echo '{\"n\":1}' | herald publish news -\n"
        "  herald publish news hi --idempotency-key order-17 --json\n"
        "  herald publish prices:nasdaq --key AAPL '{\"price\":189.5}'\n"
        "  herald publish user:42 --key unread --incr 1\n"
        "  herald publish user:42 --key unread --delete\n"
        "  printf '%s\\n' '{\"channel\":\"a\",\"data\":1}' '{\"channel\":\"b\",\"data\":2}' | herald publish --ndjson");
    return [&ctx, o] {
        auto url = client::parse_url(o->url.empty() ? default_url : o->url);
        if (!url) {
            print_error(ctx, url.err());
            return exit_usage;
        }
        if (o->ndjson) return publish_ndjson(ctx, *url, *o);
        if (o->channel.empty()) {
            ctx.err << "herald: publish needs a CHANNEL (or --ndjson with channels in the lines)\n";
            return exit_usage;
        }
        if (o->incr || o->remove) {
            if (o->key.empty()) {
                ctx.err << "herald: --incr and --delete need --key (the key they change)\n";
                return exit_usage;
            }
            if (!o->data.empty()) {
                ctx.err << "herald: --incr and --delete take no DATA (the gateway computes the event)\n";
                return exit_usage;
            }
            return publish_key_change(ctx, *url, *o);
        }
        if (o->data.empty() && o->data != "-") {
            // No DATA argument: read stdin, as with '-'.
            o->data = "-";
        }
        return publish_one(ctx, *url, *o);
    };
}

}  // namespace herald::cmd
