// The conversions of settings from text and JSON, with one problem per bad value; the checks
// across settings; the reference page. The table itself is lib/config/option_table.cpp.
#include "lib/config/options.hpp"

#include <cctype>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>

#include "lib/config/channel_policies.hpp"
#include "lib/presence/webhook_url.hpp"
#include "lib/util/duration.hpp"
#include "lib/util/url_mask.hpp"

namespace herald::config {

namespace {

bool parse_int(std::string_view text, std::int64_t& out) {
    if (text.empty()) return false;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && p == text.data() + text.size();
}

std::string range_text(const option_spec& s) {
    auto unit = s.kind == value_kind::millis ? " ms" : "";
    return std::to_string(s.min) + unit + " to " + std::to_string(s.max) + unit;
}

// "redis://:secret@host" → "redis://:***@host": URLs may carry a password.

// scheme://host[:port] as browsers send it in Origin: http or https, a host of letters, digits,
// dots and dashes (or a [v6] literal), an optional port, nothing after.
bool valid_origin(std::string_view o) {
    std::string_view rest;
    if (o.rfind("https://", 0) == 0)
        rest = o.substr(8);
    else if (o.rfind("http://", 0) == 0)
        rest = o.substr(7);
    else
        return false;
    if (rest.empty()) return false;
    std::size_t i = 0;
    if (rest.front() == '[') {
        i = rest.find(']');
        if (i == std::string_view::npos || i < 2) return false;
        ++i;
    } else {
        while (i < rest.size() && (std::isalnum(static_cast<unsigned char>(rest[i])) || rest[i] == '.' || rest[i] == '-'))
            ++i;
        if (i == 0) return false;
    }
    if (i == rest.size()) return true;
    if (rest[i] != ':' || i + 1 == rest.size() || rest.size() - i - 1 > 5) return false;
    for (++i; i < rest.size(); ++i)
        if (!std::isdigit(static_cast<unsigned char>(rest[i]))) return false;
    return true;
}

bool valid_address(std::string_view a) {
    auto colon = a.rfind(':');
    if (colon == std::string_view::npos) return false;
    std::int64_t port = 0;
    if (!parse_int(a.substr(colon + 1), port) || port < 0 || port > 65535) return false;
    auto host = a.substr(0, colon);
    return host.find_first_of(" /?#") == std::string_view::npos;
}

}  // namespace

const option_spec* find_option(std::string_view key) {
    for (const auto& o : options())
        if (o.key == key) return &o;
    return nullptr;
}

void clear_list(config& cfg, const option_spec& spec) {
    if (spec.kind == value_kind::list) static_cast<std::vector<std::string>*>(spec.field(cfg))->clear();
}

bool set_from_text(config& cfg, const option_spec& spec, std::string_view text, const std::string& source,
                   std::vector<problem>& problems) {
    auto fail = [&](const std::string& message) {
        problems.push_back({std::string(spec.key), source, spec.secret ? "***" : std::string(text), message});
        return false;
    };
    void* f = spec.field(cfg);
    switch (spec.kind) {
        case value_kind::text:
            *static_cast<std::string*>(f) = std::string(text);
            return true;
        case value_kind::choice: {
            const std::string padded = " " + std::string(spec.choices) + " ";
            if (text.empty() || padded.find(" " + std::string(text) + " ") == std::string::npos)
                return fail("expected one of: " + std::string(spec.choices));
            *static_cast<std::string*>(f) = std::string(text);
            return true;
        }
        case value_kind::address:
            if (!valid_address(text)) return fail("expected HOST:PORT, e.g. 0.0.0.0:8080, 127.0.0.1:8081 or :8080");
            *static_cast<std::string*>(f) = std::string(text);
            return true;
        case value_kind::count: {
            std::int64_t v = 0;
            if (!parse_int(text, v)) return fail("expected a whole number from " + range_text(spec));
            if (v < spec.min || v > spec.max) return fail("out of range: expected " + range_text(spec));
            *static_cast<std::size_t*>(f) = static_cast<std::size_t>(v);
            return true;
        }
        case value_kind::millis: {
            std::int64_t v = 0;
            if (!parse_int(text, v)) {
                auto d = util::parse_duration_ms(text);
                if (!d) return fail("expected milliseconds or a duration like 500ms, 15s, 5m, 1h (" + range_text(spec) + ")");
                v = *d;
            }
            if (v < spec.min || v > spec.max) return fail("out of range: expected " + range_text(spec));
            *static_cast<std::int64_t*>(f) = v;
            return true;
        }
        case value_kind::list: {
            auto* list = static_cast<std::vector<std::string>*>(f);
            if (text.empty()) return fail("expected a non-empty value");
            list->emplace_back(text);
            return true;
        }
    }
    return false;
}

void apply_json(config& cfg, const nlohmann::json& doc, const std::string& source, std::vector<problem>& problems) {
    using nlohmann::json;
    if (!doc.is_object()) {
        problems.push_back({"(top level)", source, doc.dump(), "expected a JSON object of settings"});
        return;
    }
    // Walks nested objects; a leaf's dotted path must be an option key.
    std::vector<std::pair<std::string, const json*>> stack{{"", &doc}};
    while (!stack.empty()) {
        auto [prefix, node] = stack.back();
        stack.pop_back();
        for (auto it = node->begin(); it != node->end(); ++it) {
            const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
            if (key == "channels") {
                apply_channels_json(cfg, *it, source, problems);
                continue;
            }
            const auto* spec = find_option(key);
            if (!spec) {
                bool is_section = false;
                for (const auto& o : options()) is_section |= o.key.substr(0, key.size() + 1) == key + ".";
                if (is_section && it->is_object()) {
                    stack.push_back({key, &*it});
                    continue;
                }
                problems.push_back({key, source, it->dump(),
                                    is_section ? "expected an object of settings" : "unknown setting (see docs/configuration.md)"});
                continue;
            }
            const auto& v = *it;
            if (spec->kind == value_kind::list) {
                clear_list(cfg, *spec);
                if (v.is_string()) {
                    set_from_text(cfg, *spec, v.get<std::string>(), source, problems);
                } else if (v.is_array()) {
                    for (const auto& e : v) {
                        if (e.is_string())
                            set_from_text(cfg, *spec, e.get<std::string>(), source, problems);
                        else
                            problems.push_back({key, source, spec->secret ? "***" : e.dump(), "expected strings in the array"});
                    }
                } else {
                    problems.push_back({key, source, spec->secret ? "***" : v.dump(), "expected an array of strings"});
                }
                continue;
            }
            set_from_json(cfg, *spec, v, source, problems);
        }
    }
}

bool set_from_json(config& cfg, const option_spec& spec, const nlohmann::json& v, const std::string& source,
                   std::vector<problem>& problems) {
    if (v.is_string()) return set_from_text(cfg, spec, v.get<std::string>(), source, problems);
    if (v.is_number_integer() && (spec.kind == value_kind::count || spec.kind == value_kind::millis))
        return set_from_text(cfg, spec, v.dump(), source, problems);
    const char* expected = spec.kind == value_kind::count    ? "a whole number"
                           : spec.kind == value_kind::millis ? "milliseconds or a duration string"
                                                              : "a string";
    problems.push_back({std::string(spec.key), source, spec.secret ? "***" : v.dump(), std::string("expected ") + expected});
    return false;
}

void validate(const config& cfg, std::vector<problem>& problems) {
    if (cfg.shutdown.drain_window_ms >= cfg.shutdown.timeout_ms)
        problems.push_back({"shutdown.drain_window", "", std::to_string(cfg.shutdown.drain_window_ms),
                            "must be shorter than shutdown.timeout (" + std::to_string(cfg.shutdown.timeout_ms) +
                                " ms), so streams are told to come back before the process exits"});
    if (cfg.limits.max_event_bytes > cfg.limits.max_body_bytes)
        problems.push_back({"limits.max_event_bytes", "", std::to_string(cfg.limits.max_event_bytes),
                            "must not exceed limits.max_body_bytes (" + std::to_string(cfg.limits.max_body_bytes) +
                                "): an event has to fit in a publish body"});
    if (!cfg.auth.token_cookie.empty() && cfg.auth.allowed_origins.empty())
        problems.push_back({"auth.token_cookie", "", cfg.auth.token_cookie,
                            "a cookie token needs an allow-list of the origins whose pages may use it: set "
                            "auth.allowed_origins (--allowed-origin https://app.example.com)"});
    for (const auto& o : cfg.auth.allowed_origins)
        if (!valid_origin(o))
            problems.push_back({"auth.allowed_origins", "", o,
                                "expected an origin such as https://app.example.com or http://localhost:3000 "
                                "(scheme, host and optional port; no path, no wildcard)"});
    if (cfg.history.max_bytes < cfg.limits.max_event_bytes + 64)
        problems.push_back({"history.max_bytes", "", std::to_string(cfg.history.max_bytes),
                            "must hold at least one event of limits.max_event_bytes (" +
                                std::to_string(cfg.limits.max_event_bytes) + ") plus 64 bytes"});
    validate_channel_rules(cfg, problems);
    for (const auto& u : cfg.webhooks.urls)
        if (auto parsed = presence::parse_webhook_url(u); !parsed)
            problems.push_back({"webhooks.url", "", u, parsed.err().message + "; " + parsed.err().hint});
    for (const auto& e : cfg.webhooks.events)
        if (e != "user.online" && e != "user.offline" && e != "channel.occupied" && e != "channel.vacated")
            problems.push_back({"webhooks.events", "", e,
                                "expected user.online, user.offline, channel.occupied or channel.vacated"});
    if (cfg.webhooks.retry_min_ms > cfg.webhooks.retry_max_ms)
        problems.push_back({"webhooks.retry_min", "", std::to_string(cfg.webhooks.retry_min_ms),
                            "must not exceed webhooks.retry_max (" + std::to_string(cfg.webhooks.retry_max_ms) +
                                " ms)"});
    if (cfg.broker != "memory" && cfg.broker.rfind("redis://", 0) != 0 && cfg.broker.rfind("rediss://", 0) != 0)
        problems.push_back({"broker", "", util::mask_url_credentials(cfg.broker),
                            "expected memory or redis://[:password@]host:port[/db]"});
}

std::string show_value(config& cfg, const option_spec& spec) {
    void* f = spec.field(cfg);
    switch (spec.kind) {
        case value_kind::text:
        case value_kind::choice:
        case value_kind::address: {
            const auto& s = *static_cast<std::string*>(f);
            return s.empty() ? "(none)" : spec.secret ? "***" : util::mask_url_credentials(s);
        }
        case value_kind::count:
            return std::to_string(*static_cast<std::size_t*>(f));
        case value_kind::millis:
            return std::to_string(*static_cast<std::int64_t*>(f));
        case value_kind::list: {
            const auto& l = *static_cast<std::vector<std::string>*>(f);
            if (l.empty()) return "(none)";
            if (spec.secret) return "*** (" + std::to_string(l.size()) + ")";
            std::string out;
            for (const auto& e : l) out += (out.empty() ? "" : ",") + e;
            return out;
        }
    }
    return {};
}

std::string format_problem(const problem& p) {
    std::string out = p.source.empty() ? std::string() : p.source + ": ";
    out += p.key + ": got " + (p.value.empty() ? std::string("\"\"") : p.value) + ": " + p.message;
    return out;
}

std::string render_markdown() {
    config defaults;
    std::string out =
        "# Configuration\n\n"
        "<!-- Rendered from lib/config/options.cpp; tests/docs/configuration_doc_test.cpp fails when they differ. -->\n\n"
        "`herald serve` takes every setting from, in order of precedence: a flag, a `HERALD_*` environment\n"
        "variable, the JSON file given with `--config FILE` (or `HERALD_CONFIG`), and the default. Settings\n"
        "marked *reload* are applied again on `SIGHUP` (the file is re-read; flags and variables still win)\n"
        "without dropping connections; the others need a restart. `herald check-config FILE` reports every\n"
        "problem in a file at once, each with its key and the value it got.\n\n"
        "In the file, keys with a dot are nested objects: `limits.max_body_bytes` is\n"
        "`{\"limits\":{\"max_body_bytes\":1048576}}`. Durations are milliseconds or strings such as `\"15s\"`,\n"
        "`\"5m\"`, `\"1h\"` (the same in flags and variables). Lists are JSON arrays in the file, repeated\n"
        "flags, and comma-separated variables.\n\n"
        "```json\n"
        "{\n"
        "  \"public\": \"0.0.0.0:8080\",\n"
        "  \"internal\": \"127.0.0.1:8081\",\n"
        "  \"log\": {\"level\": \"info\", \"format\": \"json\"},\n"
        "  \"history\": {\"size\": 500, \"ttl\": \"30m\"},\n"
        "  \"limits\": {\"max_connections\": 50000, \"outbox_bytes\": 262144},\n"
        "  \"auth\": {\"jwt_public_key\": [\"/etc/herald/keys/2026-11.pem\"], \"public_channels\": [\"news\", \"status.*\"]},\n"
        "  \"shutdown\": {\"drain_window\": \"10s\", \"timeout\": \"25s\"},\n"
        "  \"channels\": [{\"pattern\": \"prices:*\", \"history_size\": 500, \"history_ttl\": \"30s\", \"public\": true}]\n"
        "}\n"
        "```\n";
    std::map<std::string, std::vector<const option_spec*>> sections;
    std::vector<std::string> order;
    for (const auto& o : options()) {
        auto dot = o.key.find('.');
        std::string section = dot == std::string_view::npos ? "general" : std::string(o.key.substr(0, dot));
        if (!sections.count(section)) order.push_back(section);
        sections[section].push_back(&o);
    }
    for (const auto& section : order) {
        out += "\n## " + section + "\n\n| key | flag | environment | default | reload | meaning |\n|---|---|---|---|---|---|\n";
        for (const auto* o : sections[section]) {
            std::string meaning(o->doc);
            if (o->kind == value_kind::choice) meaning += " One of: " + std::string(o->choices) + ".";
            if (o->kind == value_kind::count || o->kind == value_kind::millis) meaning += " Range: " + range_text(*o) + ".";
            if (o->secret) meaning += " Never logged or shown.";
            out += "| `" + std::string(o->key) + "` | `--" + std::string(o->flag) + "` | `" + std::string(o->env) + "` | `" +
                   show_value(defaults, *o) + "` | " + (o->reloadable ? "reload" : "restart") + " | " + meaning + " |\n";
        }
    }
    out += render_channels_markdown();
    return out;
}

}  // namespace herald::config
