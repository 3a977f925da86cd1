// Channel policies by pattern: the `channels` list of the config file. Each entry names a channel
// pattern (the syntax of auth.public_channels: a name, or a prefix ending in '*') and the options
// it sets; the first entry whose pattern matches a channel decides, and every option it leaves
// unset comes from the global settings (history.*, and for `public` whether auth.public_channels
// matches). user: channels are never public, whatever a policy says.
// Parsing and checks report every problem at once, keyed by the entry's path
// ("channels[1].history_ttl"), with the same parsers and ranges as the global history options.
// Pure values and functions, no I/O; a channel_policies object is immutable and safe to share
// between threads (SIGHUP builds a new one).
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/config/config.hpp"
#include "lib/config/options.hpp"
#include "lib/model/error.hpp"
#include "lib/model/event.hpp"

namespace herald::config {

// One option a `channels` entry may set, for parsing and for docs/configuration.md.
struct channel_option_spec {
    std::string_view key;     // in the entry: "history_ttl"
    std::string_view global;  // the global option it overrides ("history.ttl"), "auth.public_channels", or
                              // empty when there is none
    std::string_view doc;     // one sentence
    std::string_view default_value = {};  // when `global` is empty: the value an entry without it has
};

// max_keys of a keyed channel whose entry does not set it, and the most an entry may set.
inline constexpr std::size_t default_max_keys = 1000;
inline constexpr std::size_t max_keys_limit = 100000;
// The conflation window an entry may set.
inline constexpr std::int64_t min_conflate_ms = 10;
inline constexpr std::int64_t max_conflate_ms = 60000;

const std::vector<channel_option_spec>& channel_options();

// Replaces cfg.channels with the rules of a `channels` JSON value (an array of objects); every
// bad entry, option or value is a problem keyed "channels[i].option". Entries with problems
// are left out.
void apply_channels_json(config& cfg, const nlohmann::json& v, const std::string& source,
                         std::vector<problem>& problems);
// Checks of the rules against each other and the other settings: pattern syntax, a pattern that
// an earlier entry always wins over, public on user: channels, a history_max_bytes that cannot
// hold one largest event.
void validate_channel_rules(const config& cfg, std::vector<problem>& problems);

// The policy in force for one channel.
struct channel_policy {
    std::optional<std::string> pattern;  // the entry that matched; nullopt: none (global settings)
    std::size_t history_size = 0;
    std::int64_t history_ttl_ms = 0;
    std::size_t history_max_bytes = 0;
    bool public_channel = false;  // anyone may subscribe without a token (when auth is on)
    bool keyed = false;           // keeps the latest event of every key
    std::size_t max_keys = 0;     // live keys a keyed channel may hold (0 when not keyed)
    std::int64_t conflate_ms = 0;  // at most one update per key per window to each subscriber; 0: none
    slow_consumer_mode slow_consumer = slow_consumer_mode::disconnect;
    bool occupancy = false;  // subscribers get herald.occupancy with the channel's count
    bool webhooks = true;    // channel.occupied/vacated webhooks are sent for it

    bool operator==(const channel_policy&) const = default;
};

// How a channel's events reach its subscribers: what a stream does with them (lib/stream).
struct delivery_policy {
    std::int64_t conflate_ms = 0;
    slow_consumer_mode slow_consumer = slow_consumer_mode::disconnect;
};

// What presence does with a channel: occupancy to its subscribers, lifecycle webhooks to the app.
struct presence_policy {
    bool occupancy = false;
    bool webhooks = true;
};

std::optional<slow_consumer_mode> parse_slow_consumer(std::string_view text);
std::string_view slow_consumer_name(slow_consumer_mode m);

// What a broker needs of a channel's policy at each publish: history bounds and keyed state.
struct storage_policy {
    std::size_t size = 0;
    std::int64_t ttl_ms = 0;
    std::size_t max_bytes = 0;
    bool keyed = false;
    std::size_t max_keys = default_max_keys;
};

class channel_policies {
public:
    explicit channel_policies(const config& cfg);
    channel_policy resolve(std::string_view channel) const;
    // resolve()'s storage part without copying the pattern (the publish path asks this).
    storage_policy storage(std::string_view channel) const;
    // resolve()'s delivery part (conflation, slow consumers), asked when a stream opens a channel.
    delivery_policy delivery(std::string_view channel) const;
    // resolve()'s presence part, asked by the presence service.
    presence_policy presence(std::string_view channel) const;
    // Whether any entry sets occupancy: true.
    bool any_occupancy() const;
    const std::vector<channel_rule>& rules() const { return rules_; }
    // Why a publish does not fit its channel's policy: a key (or incr, delete) for a channel that
    // is not keyed (channel_not_keyed), or none for one that is (key_required); nullopt when it fits.
    std::optional<model::error> key_refusal(const model::publish_request& r) const;

private:
    const channel_rule* match(std::string_view channel) const;  // the first entry that matches, or null

    std::vector<channel_rule> rules_;
    history_config history_;
    std::vector<std::string> public_patterns_;
};

// Log lines describing how `next` differs from `current` (added, removed and changed entries),
// empty when they are the same.
std::vector<std::string> describe_policy_changes(const std::vector<channel_rule>& current,
                                                 const std::vector<channel_rule>& next);
// "prices:* (history_size 500, history_ttl 30000 ms, public)"
std::string describe_rule(const channel_rule& r);

// The `channels` section of docs/configuration.md.
std::string render_channels_markdown();

}  // namespace herald::config
