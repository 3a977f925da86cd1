// Channel policies: the table of options an entry may set, parsing through the global options'
// own parsers (so ranges and duration syntax are the same), checks, first-match resolution and
// the rendered docs section. Pure functions; no I/O.
#include "lib/config/channel_policies.hpp"

#include <nlohmann/json.hpp>

#include "lib/auth/channel_pattern.hpp"
#include "lib/model/channel.hpp"
#include "lib/util/duration.hpp"

namespace herald::config {

namespace {

const std::vector<channel_option_spec> channel_table = {
    {"history_size", "history.size", "Events kept for resume in each matching channel."},
    {"history_ttl", "history.ttl",
     "How long an event of a matching channel stays in history (milliseconds, or 30s, 10m, 1h)."},
    {"history_max_bytes", "history.max_bytes",
     "Bytes of history kept per matching channel (data plus 64 bytes per event); at least one event of "
     "limits.max_event_bytes."},
    {"public", "auth.public_channels",
     "true: anyone may subscribe to matching channels without a token; false: a token is needed even if "
     "auth.public_channels matches. user: channels stay readable only by their user either way, and a pattern "
     "that only matches user: channels cannot say true."},
    {"keyed", "", "true: matching channels keep the latest event of every key; each publish names a key, and new "
                  "subscribers get that state first (docs/keyed-channels.md).", "false"},
    {"max_keys", "", "Live keys a keyed channel may hold (1 to 100000); a publish of a new key past it is refused "
                     "with too_many_keys. Deleted keys are remembered as many again, for catch-up.", "1000"},
    {"conflate", "", "Keyed channels: each subscriber gets at most one update per key per window (10ms to 60s, "
                     "e.g. \"100ms\"), the latest, so a hot ticker costs the same whatever the publish rate.", "none"},
    {"slow_consumer", "", "What a subscriber that falls behind by limits.outbox_bytes gets: disconnect (it resumes "
                          "from its cursor), conflate (keyed: at most one queued event per key, the newest) or "
                          "drop_oldest (not keyed: the oldest queued events go, and a herald.gap event names them).",
     "disconnect"},
    {"occupancy", "", "true: subscribers of matching channels get herald.occupancy events (SSE event type, "
                      "WebSocket op occupancy) with the channel's subscriber count across nodes, at most once per "
                      "presence.occupancy_interval and only when it changed (docs/lifecycle.md).",
     "false"},
    {"webhooks", "", "false: no channel.occupied/vacated webhooks for matching channels (e.g. user:* when "
                     "user.online/offline say the same).",
     "true"},
};

// A conflation window: milliseconds as a JSON number, or a duration string with its unit ("100ms").
std::optional<std::int64_t> window_ms(const nlohmann::json& v) {
    std::optional<std::int64_t> ms;
    if (v.is_number_unsigned()) ms = v.get<std::int64_t>();
    if (v.is_string() && v.get<std::string>().find_first_of("smhd") != std::string::npos)
        ms = util::parse_duration_ms(v.get<std::string>());
    if (ms && (*ms < min_conflate_ms || *ms > max_conflate_ms)) return std::nullopt;
    return ms;
}

std::string path_of(std::size_t i) { return "channels[" + std::to_string(i) + "]"; }

// Every channel `inner` matches, `outer` matches too.
bool covers(std::string_view outer, std::string_view inner) {
    if (!outer.empty() && outer.back() == '*') {
        auto prefix = outer.substr(0, outer.size() - 1);
        return inner.substr(0, prefix.size()) == prefix;
    }
    return outer == inner;
}

// Every channel the pattern matches is a user: channel.
bool only_user_channels(std::string_view pattern) {
    return pattern.substr(0, model::user_channel_prefix.size()) == model::user_channel_prefix;
}

}  // namespace

const std::vector<channel_option_spec>& channel_options() { return channel_table; }

void apply_channels_json(config& cfg, const nlohmann::json& v, const std::string& source,
                         std::vector<problem>& problems) {
    cfg.channels.clear();
    if (!v.is_array()) {
        problems.push_back({"channels", source, v.dump(),
                            "expected an array of objects such as {\"pattern\": \"prices:*\", \"history_size\": 500}"});
        return;
    }
    for (std::size_t i = 0; i < v.size(); ++i) {
        const auto& entry = v[i];
        const auto path = path_of(i);
        channel_rule rule;
        if (!entry.is_object()) {
            problems.push_back({path, source, entry.dump(),
                                "expected an object with a \"pattern\" and the options it sets"});
            cfg.channels.push_back(std::move(rule));
            continue;
        }
        if (!entry.contains("pattern"))
            problems.push_back({path + ".pattern", source, "", "missing: every entry names the channels it applies to"});
        for (auto it = entry.begin(); it != entry.end(); ++it) {
            const auto& key = it.key();
            const auto& value = *it;
            const auto where = path + "." + key;
            if (key == "pattern") {
                if (!value.is_string() || value.get<std::string>().empty())
                    problems.push_back({where, source, value.dump(),
                                        "expected a channel name, or a prefix ending in '*' (e.g. \"prices:*\")"});
                else
                    rule.pattern = value.get<std::string>();
                continue;
            }
            if (key == "public" || key == "keyed" || key == "occupancy" || key == "webhooks") {
                if (!value.is_boolean())
                    problems.push_back({where, source, value.dump(), "expected true or false"});
                else
                    (key == "public"      ? rule.public_channel
                     : key == "keyed"     ? rule.keyed
                     : key == "occupancy" ? rule.occupancy
                                          : rule.webhooks) = value.get<bool>();
                continue;
            }
            if (key == "conflate") {
                if (auto ms = window_ms(value))
                    rule.conflate_ms = *ms;
                else
                    problems.push_back({where, source, value.dump(),
                                        "expected a window from 10ms to 60s, such as \"100ms\" (or milliseconds)"});
                continue;
            }
            if (key == "slow_consumer") {
                const auto mode = value.is_string() ? parse_slow_consumer(value.get<std::string>()) : std::nullopt;
                if (mode)
                    rule.slow_consumer = *mode;
                else
                    problems.push_back({where, source, value.dump(), "expected disconnect, conflate or drop_oldest"});
                continue;
            }
            if (key == "max_keys") {
                if (!value.is_number_unsigned() || value.get<std::uint64_t>() < 1 ||
                    value.get<std::uint64_t>() > max_keys_limit)
                    problems.push_back({where, source, value.dump(),
                                        "expected a whole number from 1 to " + std::to_string(max_keys_limit)});
                else
                    rule.max_keys = value.get<std::size_t>();
                continue;
            }
            const channel_option_spec* opt = nullptr;
            for (const auto& o : channel_table)
                if (o.key == key) opt = &o;
            if (!opt) {
                std::string known;
                for (const auto& o : channel_table) known += ", " + std::string(o.key);
                problems.push_back({where, source, value.dump(), "unknown channel option; expected pattern" + known});
                continue;
            }
            // The global option's own parser and range: a scratch config takes the value.
            config scratch;
            const auto* spec = find_option(opt->global);
            const auto before = problems.size();
            if (set_from_json(scratch, *spec, value, source, problems)) {
                if (key == "history_size") rule.history_size = scratch.history.size;
                if (key == "history_ttl") rule.history_ttl_ms = scratch.history.ttl_ms;
                if (key == "history_max_bytes") rule.history_max_bytes = scratch.history.max_bytes;
            }
            for (auto k = before; k < problems.size(); ++k) problems[k].key = where;
        }
        cfg.channels.push_back(std::move(rule));
    }
}

void validate_channel_rules(const config& cfg, std::vector<problem>& problems) {
    for (std::size_t i = 0; i < cfg.channels.size(); ++i) {
        const auto& r = cfg.channels[i];
        const auto path = path_of(i);
        if (r.pattern.empty()) continue;  // reported when parsed
        if (auto e = auth::validate_pattern(r.pattern)) {
            problems.push_back({path + ".pattern", "", r.pattern, e->message + " (" + e->hint + ")"});
            continue;
        }
        for (std::size_t j = 0; j < i; ++j)
            if (!cfg.channels[j].pattern.empty() && covers(cfg.channels[j].pattern, r.pattern)) {
                problems.push_back({path + ".pattern", "", r.pattern,
                                    "never applies: " + path_of(j) + " (\"" + cfg.channels[j].pattern +
                                        "\") comes first and matches every channel this one does; the first match "
                                        "wins, so put the narrower pattern first"});
                break;
            }
        if (r.public_channel.value_or(false) && only_user_channels(r.pattern))
            problems.push_back({path + ".public", "", "true",
                                "user: channels are readable only by their user (a token whose sub names them); no "
                                "policy can make them public"});
        const bool keyed = r.keyed.value_or(false);
        if (r.max_keys && !keyed)
            problems.push_back({path + ".max_keys", "", std::to_string(*r.max_keys),
                                "applies to keyed channels only: add \"keyed\": true to this entry, or remove it"});
        if (r.conflate_ms && !keyed)
            problems.push_back({path + ".conflate", "", std::to_string(*r.conflate_ms) + " ms",
                                "conflation keeps the latest update per key: it applies to keyed channels only"});
        if (r.slow_consumer == slow_consumer_mode::conflate && !keyed)
            problems.push_back({path + ".slow_consumer", "", "conflate",
                                "conflate keeps one queued event per key: it applies to keyed channels only (use "
                                "drop_oldest for others)"});
        if (r.slow_consumer == slow_consumer_mode::drop_oldest && keyed)
            problems.push_back({path + ".slow_consumer", "", "drop_oldest",
                                "a keyed channel would lose the latest value of a key: use conflate instead"});
        if (r.history_max_bytes && *r.history_max_bytes < cfg.limits.max_event_bytes + 64)
            problems.push_back({path + ".history_max_bytes", "", std::to_string(*r.history_max_bytes),
                                "must hold at least one event of limits.max_event_bytes (" +
                                    std::to_string(cfg.limits.max_event_bytes) + ") plus 64 bytes"});
    }
}

channel_policies::channel_policies(const config& cfg)
    : rules_(cfg.channels), history_(cfg.history), public_patterns_(cfg.auth.public_channels) {}

const channel_rule* channel_policies::match(std::string_view channel) const {
    for (const auto& r : rules_)
        if (!r.pattern.empty() && auth::pattern_matches(r.pattern, channel)) return &r;
    return nullptr;
}

storage_policy channel_policies::storage(std::string_view channel) const {
    storage_policy h{history_.size, history_.ttl_ms, history_.max_bytes, false, default_max_keys};
    if (const auto* r = match(channel)) {
        if (r->history_size) h.size = *r->history_size;
        if (r->history_ttl_ms) h.ttl_ms = *r->history_ttl_ms;
        if (r->history_max_bytes) h.max_bytes = *r->history_max_bytes;
        h.keyed = r->keyed.value_or(false);
        if (r->max_keys) h.max_keys = *r->max_keys;
    }
    return h;
}

delivery_policy channel_policies::delivery(std::string_view channel) const {
    delivery_policy d;
    if (const auto* r = match(channel)) {
        d.conflate_ms = r->conflate_ms.value_or(0);
        d.slow_consumer = r->slow_consumer.value_or(slow_consumer_mode::disconnect);
    }
    return d;
}

presence_policy channel_policies::presence(std::string_view channel) const {
    presence_policy p;
    if (const auto* r = match(channel)) {
        p.occupancy = r->occupancy.value_or(false);
        p.webhooks = r->webhooks.value_or(true);
    }
    return p;
}

bool channel_policies::any_occupancy() const {
    for (const auto& r : rules_)
        if (r.occupancy.value_or(false)) return true;
    return false;
}

std::optional<slow_consumer_mode> parse_slow_consumer(std::string_view text) {
    if (text == "disconnect") return slow_consumer_mode::disconnect;
    if (text == "conflate") return slow_consumer_mode::conflate;
    if (text == "drop_oldest") return slow_consumer_mode::drop_oldest;
    return std::nullopt;
}

std::string_view slow_consumer_name(slow_consumer_mode m) {
    switch (m) {
        case slow_consumer_mode::conflate:
            return "conflate";
        case slow_consumer_mode::drop_oldest:
            return "drop_oldest";
        case slow_consumer_mode::disconnect:
            break;
    }
    return "disconnect";
}

std::optional<model::error> channel_policies::key_refusal(const model::publish_request& r) const {
    const auto* rule = match(r.channel);
    const bool keyed = rule && rule->keyed.value_or(false);
    if (keyed && r.key.empty()) return model::errors::key_required(r.channel);
    if (!keyed && !r.key.empty()) return model::errors::channel_not_keyed(r.channel);
    return std::nullopt;
}

channel_policy channel_policies::resolve(std::string_view channel) const {
    channel_policy p;
    const auto h = storage(channel);
    p.history_size = h.size;
    p.history_ttl_ms = h.ttl_ms;
    p.history_max_bytes = h.max_bytes;
    p.keyed = h.keyed;
    p.max_keys = h.keyed ? h.max_keys : 0;
    const auto d = delivery(channel);
    p.conflate_ms = d.conflate_ms;
    p.slow_consumer = d.slow_consumer;
    const auto pp = presence(channel);
    p.occupancy = pp.occupancy;
    p.webhooks = pp.webhooks;
    std::optional<bool> pub;
    if (const auto* r = match(channel)) {
        p.pattern = r->pattern;
        pub = r->public_channel;
    }
    if (channel.substr(0, model::user_channel_prefix.size()) == model::user_channel_prefix) {
        p.public_channel = false;
    } else if (pub) {
        p.public_channel = *pub;
    } else {
        for (const auto& pat : public_patterns_) p.public_channel |= auth::pattern_matches(pat, channel);
    }
    return p;
}

std::string describe_rule(const channel_rule& r) {
    std::string opts;
    auto add = [&](const std::string& s) { opts += (opts.empty() ? "" : ", ") + s; };
    if (r.history_size) add("history_size " + std::to_string(*r.history_size));
    if (r.history_ttl_ms) add("history_ttl " + std::to_string(*r.history_ttl_ms) + " ms");
    if (r.history_max_bytes) add("history_max_bytes " + std::to_string(*r.history_max_bytes));
    if (r.public_channel) add(*r.public_channel ? "public" : "not public");
    if (r.keyed) add(*r.keyed ? "keyed" : "not keyed");
    if (r.max_keys) add("max_keys " + std::to_string(*r.max_keys));
    if (r.occupancy) add(*r.occupancy ? "occupancy" : "no occupancy");
    if (r.webhooks) add(*r.webhooks ? "webhooks" : "no webhooks");
    if (r.conflate_ms) add("conflate " + std::to_string(*r.conflate_ms) + " ms");
    if (r.slow_consumer) add("slow_consumer " + std::string(slow_consumer_name(*r.slow_consumer)));
    return r.pattern + " (" + (opts.empty() ? "global settings" : opts) + ")";
}

std::vector<std::string> describe_policy_changes(const std::vector<channel_rule>& current,
                                                 const std::vector<channel_rule>& next) {
    std::vector<std::string> out;
    if (current == next) return out;
    auto find = [](const std::vector<channel_rule>& rules, const std::string& pattern) -> const channel_rule* {
        for (const auto& r : rules)
            if (r.pattern == pattern) return &r;
        return nullptr;
    };
    for (std::size_t i = 0; i < next.size(); ++i) {
        const auto* before = find(current, next[i].pattern);
        if (!before)
            out.push_back("channel policy added as " + path_of(i) + ": " + describe_rule(next[i]));
        else if (!(*before == next[i]))
            out.push_back("channel policy changed: " + describe_rule(*before) + " -> " + describe_rule(next[i]));
    }
    for (const auto& r : current)
        if (!find(next, r.pattern)) out.push_back("channel policy removed: " + describe_rule(r));
    if (out.empty()) out.push_back("channel policies reordered (the first match wins)");
    return out;
}

std::string render_channels_markdown() {
    std::string out =
        "\n## channels\n\n"
        "Policies by channel pattern, in the file only: a list of entries, each a `pattern` (the syntax of\n"
        "`auth.public_channels`: a channel name, or a prefix ending in one `*`) and the options below. The first\n"
        "entry whose pattern matches a channel decides; an option it leaves out comes from the global setting.\n"
        "Reloaded on `SIGHUP`: publishes and subscriptions after the reload follow the new entries, and a channel\n"
        "that already has history takes its new limits at its next publish. `herald channels inspect CH` shows\n"
        "the policy in force and the entry that matched. An entry that an earlier one always wins over is a\n"
        "problem.\n\n"
        "```json\n"
        "{\n"
        "  \"channels\": [\n"
        "    {\"pattern\": \"prices:*\", \"history_size\": 500, \"history_ttl\": \"30s\", \"public\": true},\n"
        "    {\"pattern\": \"news\", \"history_max_bytes\": 65536},\n"
        "    {\"pattern\": \"user:*\", \"keyed\": true, \"max_keys\": 50},\n"
        "    {\"pattern\": \"ticker:*\", \"keyed\": true, \"conflate\": \"100ms\", \"slow_consumer\": \"conflate\"},\n"
        "    {\"pattern\": \"internal:*\", \"public\": false}\n"
        "  ]\n"
        "}\n"
        "```\n\n"
        "| option | default | meaning |\n|---|---|---|\n";
    for (const auto& o : channel_table) {
        std::string meaning(o.doc);
        std::string fallback = "`" + std::string(o.global) + "`";
        if (o.global.empty()) {
            fallback = "`" + std::string(o.default_value) + "`";
        } else if (const auto* spec = find_option(o.global)) {
            if (spec->kind == value_kind::count)
                meaning += " Range: " + std::to_string(spec->min) + " to " + std::to_string(spec->max) + ".";
            if (spec->kind == value_kind::millis)
                meaning += " Range: " + std::to_string(spec->min) + " ms to " + std::to_string(spec->max) + " ms.";
        } else {
            fallback = "whether `" + std::string(o.global) + "` matches";
        }
        out += "| `" + std::string(o.key) + "` | " + fallback + " | " + meaning + " |\n";
    }
    return out;
}

}  // namespace herald::config
