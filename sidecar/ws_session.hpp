// One WebSocket connection after the handshake: the stream machine (sidecar/stream_session)
// with WebSocket frames, plus the client's commands (subscribe with resume, unsubscribe, ping,
// refresh) and control frames. Framing is ours (lib/protocol/ws_frame) so each live event's
// frame is built once and shared by every subscriber. Pings and the idle timeout are its
// heartbeat. Lives on one shard; touched only on that thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lib/auth/access_policy.hpp"
#include "lib/model/disconnect.hpp"
#include "lib/node/resume.hpp"
#include "lib/protocol/ws_frame.hpp"
#include "sidecar/stream_session.hpp"

namespace herald::sidecar {

struct ws_params {
    std::vector<std::string> channels;  // from the query: sorted, unique (may be empty)
    node::since_spec since;            // cursor over those channels
    std::string accept_key;            // Sec-WebSocket-Accept for the 101 reply
    std::string initial_bytes;         // bytes read past the upgrade request (early frames)
    auth::identity who;                // the subscriber (anonymous, a verified token, or trusted)
    struct refusal_t {
        model::disconnect code;
        std::string reason;
    };
    std::optional<refusal_t> refusal;  // auth refused: close with this right after the upgrade
    connection_origin origin;          // peer, listener and start time, for GET /v1/connections
};

class ws_session final : public stream_session {
public:
    ws_session(services& svc, shard& home, shard_socket socket, std::uint64_t id, ws_params params);
    ~ws_session() override;

    void start();  // shard thread, after the handshake
    channels::transport transport() const noexcept override { return channels::transport::websocket; }

private:
    void announce(const open_request& g, const stream::channel_state& c, std::string_view reset_reason) override;
    void read_failed(const open_request& g) override;
    channels::frame replay_frame(const stream::channel_state& c, const model::event& ev) override;
    bool push_live(const stream::channel_state& c, const channels::encoded_event& ev) override;
    channels::frame reset_frame(const stream::channel_state& c, std::string_view reason) override;
    channels::frame gap_frame(const stream::channel_state& c, std::uint64_t first, std::uint64_t last) override;
    channels::frame goodbye_frame(const model::disconnect& d, std::string_view detail) override;
    channels::frame expiring_frame(std::int64_t exp_ms, std::int64_t expires_in_ms) override;
    void heartbeat(std::int64_t now_ms) override;
    void on_input(std::string_view bytes) override;

    void subscribe(std::vector<std::string> channels, node::since_spec since, std::string id, bool automatic);
    void subscribe_personal();  // user:<sub>, live, marked automatic
    void unsubscribe(const std::string& channel, const std::string& id);
    void on_message(protocol::ws_message& m);
    void on_close_frame(const std::string& payload);
    void on_text(const std::string& text);
    void refresh(const std::string& token, const std::string& id);
    void send_text(std::string json);

    std::unique_ptr<ws_params> params_;  // until start()
    protocol::ws_parser parser_;
    auth::identity who_;
    std::int64_t last_ping_ms_ = 0;
};

}  // namespace herald::sidecar
