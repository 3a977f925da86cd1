// The publish API: POST /v1/publish (one event, fan-in with "channels", or a batch) and
// POST /v1/channels/{ch}/events (raw body). Answers through `reply`, possibly from another
// thread (the broker's); never throws.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "sidecar/services.hpp"

namespace herald::sidecar {

struct api_reply {
    unsigned status = 200;
    std::string body;  // JSON
};

using api_callback = std::function<void(api_reply)>;

// A named error as the API answers it: its status and the error JSON. Any API handler.
api_reply error_reply(const model::error& e);

void handle_publish(services& svc, std::string_view content_type, std::string body, api_callback reply);
void handle_channel_publish(services& svc, std::string channel, std::string_view content_type, std::string body,
                            std::string event_name, std::string idempotency_key, std::optional<std::string> key,
                            api_callback reply);

}  // namespace herald::sidecar
