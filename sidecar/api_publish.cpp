// Publish handlers: parse, check limits, publish each request, collect per-item results.
#include "sidecar/api_publish.hpp"

#include <charconv>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>

#include "lib/protocol/json_codec.hpp"
#include "lib/util/ascii.hpp"

namespace herald::sidecar {

using json = nlohmann::ordered_json;  // replies list channel, offset, epoch, ... in that order

api_reply error_reply(const model::error& e) { return {static_cast<unsigned>(e.status), protocol::error_json(e)}; }

namespace {

json result_json(const model::publish_result& r) {
    return json::parse(protocol::publish_result_json(r));
}

// A string that result_json's dump() writes as itself between quotes: printable ASCII, no quote or
// backslash (channel names and epochs always are; anything else takes the nlohmann path).
bool plain(std::string_view s) {
    for (char c : s)
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
    return true;
}

// result_json(r).dump(), byte for byte, without building a JSON value (the hot path of a publish).
std::string result_text(const model::publish_result& r) {
    if (!plain(r.channel) || !plain(r.epoch) || r.value) return protocol::publish_result_json(r);
    char offset[24], delivered[24];
    auto o_end = std::to_chars(offset, offset + sizeof offset, r.offset).ptr;
    auto d_end = std::to_chars(delivered, delivered + sizeof delivered, r.delivered_local).ptr;
    std::string out;
    out.reserve(64 + r.channel.size() + r.epoch.size());
    out.append("{\"channel\":\"").append(r.channel).append("\",\"offset\":").append(offset, o_end);
    out.append(",\"epoch\":\"").append(r.epoch).append("\",\"delivered_local\":").append(delivered, d_end);
    out.append(r.duplicate ? ",\"duplicate\":true}" : "}");
    return out;
}

json error_value(const model::error& e) { return json::parse(protocol::error_json(e)); }

// A Content-Type's media type: up to the first ';', trailing spaces dropped (case kept; compare
// with iequals).
std::string_view media_base(std::string_view ct) {
    auto base = ct.substr(0, ct.find(';'));
    while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
    return base;
}

using util::iends_with;
using util::iequals;
using util::istarts_with;

// "application/json", "application/x-www-form-urlencoded" (curl -d) and none are JSON bodies here.
bool json_body_type(std::string_view ct) {
    auto base = media_base(ct);
    return base.empty() || iequals(base, "application/json") || iequals(base, "application/x-www-form-urlencoded") ||
           (base.size() > 5 && iends_with(base, "+json"));
}

// The lower-cased media type, for error messages.
std::string media_type(std::string_view ct) {
    return util::ascii_lowered(std::string(media_base(ct)));
}

// What is refused before the broker sees it: data over the limit, a key that does not fit the
// channel's policy.
std::optional<model::error> check_request(services& svc, const model::publish_request& r) {
    if (r.data.size() > svc.cfg().limits.max_event_bytes)
        return model::errors::data_too_large(r.data.size(), svc.cfg().limits.max_event_bytes);
    return svc.policies().key_refusal(r);
}

// Collects results of several asynchronous publishes and answers once all are in.
struct batch_results {
    std::mutex mutex;
    std::vector<json> slots;
    std::vector<std::optional<model::error>> errors;
    std::size_t pending = 0;
    std::function<void()> done;
};

void publish_one(services& svc, std::shared_ptr<batch_results> g, std::size_t slot, model::publish_request&& req) {
    if (auto e = check_request(svc, req)) {
        svc.metrics.publish_errors.fetch_add(1, std::memory_order_relaxed);
        bool last;
        {
            std::lock_guard lock(g->mutex);
            g->errors[slot] = *e;
            g->slots[slot] = error_value(*e);
            last = --g->pending == 0;
        }
        if (last) g->done();
        return;
    }
    const auto started = std::chrono::steady_clock::now();
    svc.node.publish(std::move(req), [&svc, g, slot, started](model::result<model::publish_result> r) {
        svc.metrics.publish_latency.observe(std::chrono::steady_clock::now() - started);
        if (r)
            svc.log.debug("publish channel={} offset={} epoch={} delivered_local={}{}", r->channel, r->offset, r->epoch,
                          r->delivered_local, r->duplicate ? " (duplicate key: first result)" : "");
        else
            svc.log.debug("publish refused: {}: {}", r.err().code, r.err().message);
        bool last;
        {
            std::lock_guard lock(g->mutex);
            if (r) {
                (r->duplicate ? svc.metrics.publishes_duplicate : svc.metrics.publishes).fetch_add(1, std::memory_order_relaxed);
                g->slots[slot] = result_json(*r);
            } else {
                svc.metrics.publish_errors.fetch_add(1, std::memory_order_relaxed);
                g->errors[slot] = r.err();
                g->slots[slot] = error_value(r.err());
            }
            last = --g->pending == 0;
        }
        if (last) g->done();
    });
}

// One request answered on its own (the raw route, and /v1/publish with one channel and no batch):
// the same metrics, log lines, statuses and bodies as publish_one through a batch_results, without
// the shared batch state, its mutex and the JSON values.
void publish_single(services& svc, model::publish_request&& req, api_callback reply) {
    if (auto e = check_request(svc, req)) {
        svc.metrics.publish_errors.fetch_add(1, std::memory_order_relaxed);
        reply({static_cast<unsigned>(e->status), error_value(*e).dump()});
        return;
    }
    const auto started = std::chrono::steady_clock::now();
    svc.node.publish(std::move(req), [&svc, started, reply = std::move(reply)](model::result<model::publish_result> r) {
        svc.metrics.publish_latency.observe(std::chrono::steady_clock::now() - started);
        if (r) {
            svc.log.debug("publish channel={} offset={} epoch={} delivered_local={}{}", r->channel, r->offset, r->epoch,
                          r->delivered_local, r->duplicate ? " (duplicate key: first result)" : "");
            (r->duplicate ? svc.metrics.publishes_duplicate : svc.metrics.publishes).fetch_add(1, std::memory_order_relaxed);
            reply({200u, result_text(*r)});
        } else {
            svc.log.debug("publish refused: {}: {}", r.err().code, r.err().message);
            svc.metrics.publish_errors.fetch_add(1, std::memory_order_relaxed);
            reply({static_cast<unsigned>(r.err().status), error_value(r.err()).dump()});
        }
    });
}

}  // namespace

void handle_publish(services& svc, std::string_view content_type, std::string body, api_callback reply) {
    if (!json_body_type(content_type)) {
        reply(error_reply(model::errors::unsupported_media_type(media_type(content_type))));
        return;
    }
    auto parsed = protocol::parse_publish_body(body, svc.cfg().limits.max_batch_publishes);
    if (!parsed) {
        svc.metrics.publish_errors.fetch_add(1, std::memory_order_relaxed);
        reply(error_reply(parsed.err()));
        return;
    }
    auto& items = parsed->items;
    if (!parsed->batch && items.size() == 1 && items.front() && !items.front()->multi &&
        items.front()->requests.size() == 1) {
        publish_single(svc, std::move(items.front()->requests.front()), std::move(reply));
        return;
    }
    // Flatten items into request slots; remember which slots belong to which item.
    struct span {
        std::size_t first = 0, count = 0;
        bool multi = false;
        std::optional<model::error> error;
    };
    std::vector<span> spans;
    std::vector<model::publish_request> requests;
    for (auto& item : items) {
        span s;
        s.first = requests.size();
        if (!item) {
            svc.metrics.publish_errors.fetch_add(1, std::memory_order_relaxed);
            s.error = item.err();
        } else {
            s.multi = item->multi;
            s.count = item->requests.size();
            for (auto& r : item->requests) requests.push_back(std::move(r));
        }
        spans.push_back(std::move(s));
    }
    auto g = std::make_shared<batch_results>();
    g->slots.resize(requests.size());
    g->errors.resize(requests.size());
    g->pending = requests.size();
    const bool batch = parsed->batch;
    g->done = [g_raw = g.get(), spans, batch, reply] {
        auto item_reply = [&](const span& s) -> std::pair<unsigned, json> {
            if (s.error) return {static_cast<unsigned>(s.error->status), error_value(*s.error)};
            if (!s.multi) {
                const auto& e = g_raw->errors[s.first];
                return {e ? static_cast<unsigned>(e->status) : 200u, g_raw->slots[s.first]};
            }
            json results = json::array();
            std::size_t failed = 0;
            for (std::size_t i = s.first; i < s.first + s.count; ++i) {
                results.push_back(g_raw->slots[i]);
                if (g_raw->errors[i]) ++failed;
            }
            unsigned status = failed == s.count ? static_cast<unsigned>(g_raw->errors[s.first]->status) : 200u;
            return {status, json{{"results", results}}};
        };
        if (!batch) {
            auto [status, j] = item_reply(spans.front());
            reply({status, j.dump()});
            return;
        }
        json results = json::array();
        for (const auto& s : spans) results.push_back(item_reply(s).second);
        reply({200, json{{"results", results}}.dump()});
    };
    if (requests.empty()) {
        g->done();
        return;
    }
    for (std::size_t i = 0; i < requests.size(); ++i) publish_one(svc, g, i, std::move(requests[i]));
}

void handle_channel_publish(services& svc, std::string channel, std::string_view content_type, std::string body,
                            std::string event_name, std::string idempotency_key, std::optional<std::string> key,
                            api_callback reply) {
    auto type = media_base(content_type);
    bool is_json = iequals(type, "application/json") || (type.size() > 5 && iends_with(type, "+json"));
    bool is_text = type.empty() || istarts_with(type, "text/") || iequals(type, "application/x-www-form-urlencoded");
    if (!is_json && !is_text) {
        reply(error_reply(model::errors::unsupported_media_type(media_type(content_type), true)));
        return;
    }
    auto req = protocol::raw_publish_request(std::move(channel), std::move(body), is_json, std::move(event_name),
                                             std::move(idempotency_key), std::move(key));
    if (!req) {
        svc.metrics.publish_errors.fetch_add(1, std::memory_order_relaxed);
        reply(error_reply(req.err()));
        return;
    }
    publish_single(svc, std::move(req.value()), std::move(reply));
}

}  // namespace herald::sidecar
