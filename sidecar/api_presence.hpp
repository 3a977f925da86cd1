// The presence API on the internal listener: GET /v1/presence (this node, the store, the webhook
// endpoints' progress, and the first page of online users and occupied channels), and
// GET /v1/presence/users, /v1/presence/channels (paged by name with cursor= and limit=). Counts are
// summed over every node; `position` is the store's newest transition when the page was read: an
// app that reads every page and then applies the webhooks with a higher position holds the truth
// (docs/lifecycle.md). Answers through `reply` from the presence thread; never throws.
#pragma once

#include "lib/http/request_target.hpp"
#include "lib/presence/presence_store.hpp"
#include "sidecar/api_publish.hpp"
#include "sidecar/services.hpp"

namespace herald::sidecar {

void handle_presence(services& svc, const herald::http::request_target& target, api_callback reply);
void handle_presence_page(services& svc, presence::subject kind, const herald::http::request_target& target,
                          api_callback reply);

}  // namespace herald::sidecar
