// One WebSocket connection after the handshake: client commands (subscribe with resume,
// unsubscribe, ping) in, events and replies out. Framing is ours (lib/protocol/ws_frame) so
// each event's frame is built once and the same bytes go to every subscriber, drained with one
// gather write per flush. Idle connections hold no read buffer (reads use the shard's buffer;
// only a partial frame is kept). Pings and the idle timeout come from the shard's sweep.
// Lives on one shard; every member is touched only on that thread.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>
#include <vector>

#include "lib/auth/access_policy.hpp"
#include "lib/auth/expiry.hpp"
#include "lib/channels/outbox.hpp"
#include "lib/channels/subscriber.hpp"
#include "lib/model/disconnect.hpp"
#include "lib/node/resume.hpp"
#include "lib/protocol/ws_frame.hpp"
#include "sidecar/connection.hpp"
#include "sidecar/services.hpp"

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

class ws_session final : public connection,
                         public channels::subscriber,
                         public std::enable_shared_from_this<ws_session> {
public:
    ws_session(services& svc, shard& home, asio::ip::tcp::socket socket, std::uint64_t id, ws_params params);
    ~ws_session() override;

    void start();  // shard thread, after the handshake

    void deliver(const channels::encoded_event_ptr& ev) noexcept override;
    void tick(std::int64_t now_ms) override;
    void shutdown() override;
    void flush() override;
    bool end_for_user(std::string_view user, const model::disconnect& why) override;
    bool is_stream() const override { return true; }
    channels::transport transport() const noexcept override { return channels::transport::websocket; }
    std::optional<connection_description> describe() const override;

private:
    struct subscription {
        std::string channel;
        std::string epoch;
        std::uint64_t offset = 0;
        std::uint64_t generation = 0;
        bool automatic = false;  // the user: channel subscribed for the token; a subscribe replaces it
        bool replaying = true;   // live events are held until the replay is all queued
        bool planned = false;   // history read: `replay` is being queued as the outbox drains
        std::uint64_t resume_offset = 0;
        std::vector<model::event_ptr> replay;
        std::size_t replay_pos = 0;
        std::vector<channels::encoded_event_ptr> held;
        std::size_t held_bytes = 0;
    };
    struct group;

    void subscribe(std::vector<std::string> channels, node::since_spec since, std::string id);
    void subscribe_personal();  // user:<sub>, live, marked automatic
    void on_group_read(const std::shared_ptr<group>& g, std::size_t index, model::result<broker::channel_history> h);
    void finish_group(const std::shared_ptr<group>& g);
    void pump_replay();  // queues replay frames while they fit in the outbox; the rest after a write
    void unsubscribe(const std::string& channel, const std::string& id);
    bool drop(const std::string& channel);  // leaves the channel without a reply
    void deliver_live(subscription& s, const channels::encoded_event& ev);
    subscription* find(const std::string& channel);

    void wait_readable();
    void on_readable(boost::system::error_code ec);
    void consume(std::string_view bytes);  // parses client bytes and acts on whole messages
    void on_message(protocol::ws_message& m);
    void on_text(const std::string& text);
    void refresh(const std::string& token, const std::string& id);

    void send_text(std::string json);
    bool push(channels::frame f);
    void request_flush();
    void close_with(const model::disconnect& d, std::string_view detail = {});
    void finish(std::string_view why);

    services& svc_;
    shard& home_;
    asio::ip::tcp::socket socket_;
    std::uint64_t id_;
    ws_params params_;
    protocol::ws_parser parser_;
    channels::outbox outbox_;
    std::vector<channels::frame> batch_;
    std::vector<asio::const_buffer> buffers_;
    std::vector<subscription> subs_;
    auth::identity who_;
    connection_origin origin_;
    auth::expiry_watch expiry_;
    std::uint64_t next_generation_ = 1;
    std::size_t groups_reading_ = 0;       // subscribe groups waiting for their history reads
    std::int64_t reads_started_ms_ = 0;    // when the first of them was sent (the deadline counts from it)
    std::int64_t last_read_ms_ = 0;
    std::int64_t last_ping_ms_ = 0;
    std::int64_t close_deadline_ms_ = 0;
    bool replay_pending_ = false;  // some subscription's replay is not all queued yet
    bool flush_requested_ = false;
    bool closing_ = false;
    bool closed_ = false;
};

}  // namespace herald::sidecar
