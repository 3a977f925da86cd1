// Publish handlers: parse, check limits, publish each request, collect per-item results.
#include "sidecar/api_publish.hpp"

#include <chrono>

#include <mutex>
#include <nlohmann/json.hpp>

#include "lib/protocol/json_codec.hpp"

namespace herald::sidecar {

using json = nlohmann::ordered_json;  // replies list channel, offset, epoch, ... in that order

namespace {

json result_json(const model::publish_result& r) {
    json j{{"channel", r.channel}, {"offset", r.offset}, {"epoch", r.epoch}, {"delivered_local", r.delivered_local}};
    if (r.duplicate) j["duplicate"] = true;
    return j;
}

json error_value(const model::error& e) { return json::parse(protocol::error_json(e)); }

// "application/json", "application/x-www-form-urlencoded" (curl -d) and none are JSON bodies here.
bool json_body_type(std::string_view ct) {
    auto semi = ct.find(';');
    auto base = ct.substr(0, semi);
    while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
    std::string lower(base);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return lower.empty() || lower == "application/json" || lower == "application/x-www-form-urlencoded" ||
           (lower.size() > 5 && lower.compare(lower.size() - 5, 5, "+json") == 0);
}

std::string media_type(std::string_view ct) {
    std::string lower(ct.substr(0, ct.find(';')));
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    while (!lower.empty() && lower.back() == ' ') lower.pop_back();
    return lower;
}

std::optional<model::error> check_size(services& svc, const model::publish_request& r) {
    if (r.data.size() > svc.cfg().limits.max_event_bytes)
        return model::errors::data_too_large(r.data.size(), svc.cfg().limits.max_event_bytes);
    return std::nullopt;
}

// Collects results of several asynchronous publishes and answers once all are in.
struct batch_results {
    std::mutex mutex;
    std::vector<json> slots;
    std::vector<std::optional<model::error>> errors;
    std::size_t pending = 0;
    std::function<void()> done;
};

void publish_one(services& svc, std::shared_ptr<batch_results> g, std::size_t slot, model::publish_request req) {
    if (auto e = check_size(svc, req)) {
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

api_reply error_reply(const model::error& e) { return {static_cast<unsigned>(e.status), protocol::error_json(e)}; }

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
                            std::string event_name, std::string idempotency_key, api_callback reply) {
    auto type = media_type(content_type);
    bool is_json = type == "application/json" || (type.size() > 5 && type.compare(type.size() - 5, 5, "+json") == 0);
    bool is_text = type.empty() || type.rfind("text/", 0) == 0 || type == "application/x-www-form-urlencoded";
    if (!is_json && !is_text) {
        reply(error_reply(model::errors::unsupported_media_type(type, true)));
        return;
    }
    auto req = protocol::raw_publish_request(std::move(channel), body, is_json, std::move(event_name),
                                             std::move(idempotency_key));
    if (!req) {
        svc.metrics.publish_errors.fetch_add(1, std::memory_order_relaxed);
        reply(error_reply(req.err()));
        return;
    }
    auto g = std::make_shared<batch_results>();
    g->slots.resize(1);
    g->errors.resize(1);
    g->pending = 1;
    g->done = [g_raw = g.get(), reply] {
        const auto& e = g_raw->errors[0];
        reply({e ? static_cast<unsigned>(e->status) : 200u, g_raw->slots[0].dump()});
    };
    publish_one(svc, g, 0, std::move(req.value()));
}

}  // namespace herald::sidecar
