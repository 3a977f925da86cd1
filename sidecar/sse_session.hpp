// One Server-Sent Events stream: subscribes to its channels, replays what the client missed,
// then writes live events. Lives on one shard; every member is touched only on that thread.
// Writes go through a bounded outbox and one gather write per flush; a client that cannot keep
// up past the outbox cap is disconnected (slow consumer) and resumes with its last id.
// An idle stream holds no read buffer: it only waits for the socket to become readable (EOF).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>
#include <vector>

#include "lib/auth/expiry.hpp"
#include "lib/channels/outbox.hpp"
#include "lib/channels/subscriber.hpp"
#include "lib/node/resume.hpp"
#include "sidecar/connection.hpp"
#include "sidecar/services.hpp"

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

class sse_session final : public connection,
                          public channels::subscriber,
                          public std::enable_shared_from_this<sse_session> {
public:
    sse_session(services& svc, shard& home, asio::ip::tcp::socket socket, std::uint64_t id, sse_params params);
    ~sse_session() override;

    void start();  // shard thread

    void deliver(const channels::encoded_event_ptr& ev) noexcept override;
    void tick(std::int64_t now_ms) override;
    void shutdown() override;
    void flush() override;
    bool end_for_user(std::string_view user, const model::disconnect& why) override;
    bool is_stream() const override { return true; }
    channels::transport transport() const noexcept override { return channels::transport::sse; }
    std::optional<connection_description> describe() const override;

private:
    void on_history(std::size_t index, model::result<broker::channel_history> h);
    void go_live();
    void pump_replay();  // queues history while the outbox has room; goes live after it
    void deliver_live(const channels::encoded_event& ev);
    void send_reset(std::size_t index, std::string_view reason);
    std::string current_cursor() const;
    bool push(channels::frame f);
    void request_flush();
    void wait_readable();
    // Ends the stream politely: retry hint + herald.disconnect with the cursor, then close once written.
    void goodbye(const model::disconnect& d);
    void finish(std::string_view why);

    services& svc_;
    shard& home_;
    asio::ip::tcp::socket socket_;
    std::uint64_t id_;
    sse_params params_;
    channels::outbox outbox_;
    std::vector<channels::frame> batch_;
    std::vector<asio::const_buffer> buffers_;

    std::vector<std::string> epochs_;
    std::vector<std::uint64_t> offsets_;
    std::uint16_t names_fp_ = 0;
    std::uint32_t epochs_fp_ = 0;

    std::vector<broker::channel_history> histories_;
    std::vector<node::channel_resume> plan_;  // while replaying
    std::size_t replay_channel_ = 0, replay_pos_ = 0;
    std::vector<channels::encoded_event_ptr> held_;
    std::size_t held_bytes_ = 0;     // their channels::held_cost
    std::int64_t started_ms_ = 0;    // when the history reads were sent (their deadline)
    std::size_t reads_pending_ = 0;
    bool replaying_ = true;
    bool in_hub_ = false;
    bool flush_requested_ = false;
    std::int64_t last_write_ms_ = 0;
    std::int64_t goodbye_deadline_ms_ = 0;
    auth::expiry_watch expiry_;
    bool goodbye_ = false;
    bool closing_ = false;
    bool closed_ = false;
};

}  // namespace herald::sidecar
