// One Server-Sent Events stream: the stream machine (sidecar/stream_session) with SSE frames.
// Renders the response head, events with `id:` cursors over all the stream's channels,
// herald.reset / herald.auth_expiring / herald.disconnect, and keepalive comments; input from
// the client carries no meaning and is ignored. Lives on one shard; touched only on its thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lib/node/resume.hpp"
#include "sidecar/stream_session.hpp"

namespace herald::sidecar {

struct sse_params {
    std::vector<std::string> channels;  // sorted, unique
    node::since_spec since;
    bool envelope = false;
    std::string allow_origin;  // value for Access-Control-Allow-Origin, empty for none
    std::string user;          // the token's sub (its user: channel is among `channels`), or empty
    std::optional<std::int64_t> exp_ms;  // the token's exp: the stream ends then
    connection_origin origin;            // peer, listener and start time, for GET /v1/connections
};

class sse_session final : public stream_session {
public:
    sse_session(services& svc, shard& home, shard_socket socket, std::uint64_t id, sse_params params);
    ~sse_session() override;

    void start();  // shard thread
    channels::transport transport() const noexcept override { return channels::transport::sse; }

private:
    void announce(const open_request& g, const stream::channel_state& c, std::string_view reset_reason) override;
    void read_failed(const open_request& g) override;
    channels::frame replay_frame(const stream::channel_state& c, const model::event& ev) override;
    bool push_live(const stream::channel_state& c, const channels::encoded_event& ev) override;
    channels::frame reset_frame(const stream::channel_state& c, std::string_view reason) override;
    void replay_done() override;
    channels::frame gap_frame(const stream::channel_state& c, std::uint64_t first, std::uint64_t last) override;
    channels::frame goodbye_frame(const model::disconnect& d, std::string_view detail) override;
    channels::frame expiring_frame(std::int64_t exp_ms, std::int64_t expires_in_ms) override;
    void heartbeat(std::int64_t now_ms) override;
    void on_input(std::string_view) override {}

    // The `id:` value: every channel's epoch and position.
    std::string current_cursor() const;

    std::unique_ptr<sse_params> params_;     // until start()
    std::unique_ptr<protocol::cursor> asked_;  // the cursor the client came with, until its history is read
    std::uint32_t epochs_fp_ = 0;            // of the channels' epochs, refreshed when one changes
    std::uint16_t names_fp_ = 0;
    bool envelope_ = false;
    bool started_ = false;  // the first position has been sent
};

}  // namespace herald::sidecar
