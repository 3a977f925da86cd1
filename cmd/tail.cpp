// `herald tail`: print a channel's events as they arrive, resuming across reconnects.
#include <atomic>
#include <csignal>
#include <nlohmann/json.hpp>
#include <pthread.h>
#include <thread>

#include "cmd/commands.hpp"
#include "lib/client/event_stream.hpp"
#include "lib/client/ws_event_stream.hpp"

namespace herald::cmd {

namespace {

using json = nlohmann::ordered_json;  // prints members in the order the server sent them

struct tail_options {
    std::string url;
    std::vector<std::string> channels;
    std::string since;
    bool json_out = false;
    std::size_t count = 0;
    bool quiet = false;
    bool ws = false;
    std::string token;
    std::string api_key;
};

int tail(context& ctx, const tail_options& o) {
    auto url = client::parse_url(o.url.empty() ? default_url : o.url);
    if (!url) {
        ctx.err << "herald: " << url.err().message << "\nhint: " << url.err().hint << "\n";
        return exit_usage;
    }
    if (o.channels.empty() && o.token.empty()) {
        ctx.err << "herald: no CHANNEL given\nhint: name at least one channel, e.g. herald tail news "
                   "(with --token, the token's user: channel is followed too)\n";
        return exit_usage;
    }
    client::stream_request req;
    req.url = *url;
    req.channels = o.channels;
    req.since = o.since;
    req.token = o.token;
    if (!o.api_key.empty()) req.headers.emplace_back("Authorization", "Bearer " + o.api_key);
    // Both transports hand over the same messages and cursors; --ws picks WebSocket.
    client::event_stream sse_stream(req);
    client::ws_event_stream ws_stream(req);
    std::size_t seen = 0;
    auto on_event = [&](const protocol::sse_message& m) {
        auto j = json::parse(m.data, nullptr, false);
        if (m.event.rfind("herald.", 0) == 0) {
            if (o.json_out) {
                ctx.out << json{{"id", m.id}, {"control", m.event}, {"data", j.is_discarded() ? json(m.data) : j}}.dump()
                        << "\n";
                ctx.out.flush();
            } else if (!o.quiet) {
                ctx.err << m.event << ": " << m.data << "\n";
            }
            return true;
        }
        if (j.is_discarded() || !j.is_object()) return true;
        if (o.json_out) {
            json line{{"id", m.id},
                      {"channel", j.value("channel", "")},
                      {"offset", j.value("offset", std::uint64_t{0})},
                      {"epoch", j.value("epoch", "")}};
            if (j.contains("key")) line["key"] = j["key"];
            if (j.contains("event")) line["event"] = j["event"];
            if (j.value("deleted", false))
                line["deleted"] = true;
            else
                line["data"] = j.contains("data") ? j["data"] : json();
            line["published_at"] = j.value("published_at", std::int64_t{0});
            ctx.out << line.dump() << "\n";
        } else {
            ctx.out << j.value("channel", "") << " #" << j.value("offset", std::uint64_t{0});
            if (j.contains("key")) ctx.out << " [" << j.value("key", "") << "]";
            if (j.contains("event")) ctx.out << " " << j.value("event", "");
            if (j.value("deleted", false)) {
                ctx.out << ": (deleted)\n";
            } else {
                const auto& d = j["data"];
                ctx.out << ": " << (d.is_string() ? d.get<std::string>() : d.dump()) << "\n";
            }
        }
        ctx.out.flush();
        return !(o.count && ++seen >= o.count);
    };
    auto on_notice = [&](const std::string& s) {
        if (!o.quiet) ctx.err << "herald tail: " << s << "\n";
    };
    // Ctrl-C / SIGTERM end the tail cleanly and say how to resume where it stopped.
    std::atomic<bool> stop{false}, done{false};
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::thread watcher([&] {
        timespec ts{0, 100 * 1000 * 1000};
        while (!done.load()) {
            siginfo_t info;
            if (sigtimedwait(&signals, &info, &ts) > 0) {
                stop.store(true);
                return;
            }
        }
    });
    auto err = o.ws ? ws_stream.run(on_event, on_notice, &stop) : sse_stream.run(on_event, on_notice, &stop);
    const auto& last_id = o.ws ? ws_stream.last_id() : sse_stream.last_id();
    done.store(true);
    watcher.join();
    pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
    if (stop.load() && !o.quiet && !last_id.empty())
        ctx.err << "herald tail: stopped; resume with --since " << last_id << "\n";
    if (err) {
        ctx.err << "herald: " << err->message << "\n";
        if (!err->hint.empty()) ctx.err << "hint: " << err->hint << "\n";
        return exit_failure;
    }
    return exit_ok;
}

}  // namespace

runner register_tail(CLI::App& app, context& ctx) {
    auto* sub = app.add_subcommand("tail", "Print events of channels as they arrive (resumes across reconnects)");
    auto o = std::make_shared<tail_options>();
    sub->add_option("CHANNEL", o->channels, "Channels to follow (optional with a --token that has a sub: its user: channel)");
    sub->add_option("--url", o->url, "Gateway listener to subscribe through")->envname("HERALD_URL")->default_str(default_url);
    sub->add_option("--since", o->since, "Start after this cursor (an event id), or 'earliest' for all history");
    sub->add_option("--count,-n", o->count, "Exit after this many events");
    sub->add_flag("--json", o->json_out, "One JSON object per event and line");
    sub->add_flag("--ws", o->ws, "Subscribe over WebSocket instead of Server-Sent Events");
    sub->add_flag("--quiet,-q", o->quiet, "Do not print connection notices");
    sub->add_option("--token", o->token, "Subscriber JWT (public listener)")->envname("HERALD_TOKEN");
    sub->add_option("--api-key", o->api_key, "API key (internal listener)")->envname("HERALD_API_KEY");
    sub->footer(
        "Examples:\n"
        "  herald tail news\n"
        "  herald tail news user:42 --json\n"
        "  herald tail news --since earliest --count 10\n"
        "  herald tail news --ws                       the same over WebSocket\n"
        "  herald tail news --since 'a3e19f2c41d0.17'   resume after the event with that id");
    return [&ctx, o] { return tail(ctx, *o); };
}

}  // namespace herald::cmd
