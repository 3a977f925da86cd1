// The inspect API on the internal listener: what the gateway holds, for operators and
// `herald channels/history/connections`. GET /v1/channels (paged by name), GET /v1/channels/{ch},
// GET /v1/channels/{ch}/events (history), GET /v1/connections (collected from every shard),
// GET /v1/stats. Read-only. Answers through `reply`, possibly from another thread (a shard's or
// the broker's); never throws.
#pragma once

#include <string>

#include "lib/http/request_target.hpp"
#include "sidecar/api_publish.hpp"
#include "sidecar/services.hpp"

namespace herald::sidecar {

inline constexpr std::size_t inspect_default_limit = 100;
inline constexpr std::size_t inspect_max_limit = 1000;

void handle_channels_list(services& svc, const herald::http::request_target& target, api_callback reply);
void handle_channel_inspect(services& svc, std::string channel, api_callback reply);
void handle_channel_history(services& svc, std::string channel, const herald::http::request_target& target,
                            api_callback reply);
// GET /v1/channels/{c}/latest: a keyed channel's latest event per key (live keys, oldest first), or
// another channel's newest event.
void handle_channel_latest(services& svc, std::string channel, api_callback reply);
void handle_connections(services& svc, const herald::http::request_target& target, api_callback reply);
void handle_stats(services& svc, api_callback reply);

}  // namespace herald::sidecar
