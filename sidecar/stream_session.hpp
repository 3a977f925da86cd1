// The one stream machine behind SSE and WebSocket: socket set-up, the bounded outbox and its
// gather write, channel opening (hub join, history read, paced replay, held live events, all
// decided by lib/stream/resume_state), slow consumers, the tick (token expiry notice and end,
// history-read deadline, then the transport's heartbeat), reading the client's bytes, and
// exactly two ways to end: end_politely (a goodbye frame past the cap, then close once written
// or after a grace period) and close_now. Transports only render frames and parse their input.
// Lives on one shard; every member is touched only on that thread.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/auth/expiry.hpp"
#include "lib/channels/outbox.hpp"
#include "lib/channels/subscriber.hpp"
#include "lib/model/disconnect.hpp"
#include "lib/node/resume.hpp"
#include "lib/stream/resume_state.hpp"
#include "sidecar/connection.hpp"
#include "sidecar/gather_write.hpp"
#include "sidecar/services.hpp"

namespace herald::sidecar {

// A group of channels opened together (an SSE stream's query, one WebSocket subscribe).
struct open_request {
    std::vector<std::string> channels;
    std::vector<std::uint64_t> generations;
    node::since_spec since;
    std::string id;  // the WebSocket command's id (JSON text), empty for none
    std::vector<broker::channel_history> histories;
    std::size_t pending = 0;
    bool failed = false;
};

class stream_session : public connection,
                       public channels::subscriber,
                       public std::enable_shared_from_this<stream_session> {
public:
    ~stream_session() override;

    void deliver(const channels::encoded_event_ptr& ev) noexcept final;
    // herald.occupancy: queued when it fits the outbox, skipped (and counted) when not.
    void notify(const channels::notice_ptr& n) noexcept final;
    void tick(std::int64_t now_ms) final;
    void shutdown() final;
    void flush() final;
    bool end_for_user(std::string_view user, const model::disconnect& why) final;
    bool is_stream() const final { return true; }
    std::optional<connection_description> describe() const final;

protected:
    // How long a goodbye may take to be written before the connection is closed anyway.
    static constexpr std::int64_t goodbye_grace_ms = 2000;

    stream_session(services& svc, shard& home, shard_socket socket, std::uint64_t id, connection_origin origin);

    // Joins the shard, sets the socket up (no delay, non-blocking, small unsent-bytes mark).
    void begin();
    // Starts reading the client's bytes (given to on_input); EOF or an error closes.
    void wait_readable();

    // Opens `channels` (validated, allowed) from `since`: joins the hub at once, reads history,
    // then announces, replays and goes live. `automatic`: opened for the token, not asked for.
    void open(std::vector<std::string> channels, node::since_spec since, std::string id, bool automatic);
    // The stream's user (the token's sub; empty: none), reported to presence when it changes.
    void set_user(std::string user);
    // Leaves `channel` (hub and state); false if not subscribed.
    bool leave(std::string_view channel);

    // Queues a frame; false (and a polite end as a slow consumer) when it passes the outbox cap.
    bool push(channels::frame f);
    // Queues two frames that must go together, or neither.
    bool push_pair(channels::frame a, channels::frame b);
    void request_flush();
    // Ends with a goodbye (the transport's frame for `d`), written past the cap; closes once
    // written or after goodbye_grace_ms. A second end while one is in flight closes at once.
    void end_politely(const model::disconnect& d, std::string_view detail = {});
    void close_now(std::string_view why);

    bool ending() const { return goodbye_ || closed_; }
    bool reading_history() const { return groups_reading_ > 0; }
    bool replaying() const { return state_.replaying(); }
    stream::resume_state& state() { return state_; }
    const stream::resume_state& state() const { return state_; }
    const char* label() const { return transport() == channels::transport::sse ? "sse" : "ws"; }

    // The transport's part. Frames are built here, never in the machine.
    // Announces one channel of a group once the group's plans are all applied (subscribe reply,
    // herald.reset when `reset_reason` is not empty); `c` stands at its starting position.
    virtual void announce(const open_request& g, const stream::channel_state& c, std::string_view reset_reason) = 0;
    // A group's history could not be read.
    virtual void read_failed(const open_request& g) = 0;
    virtual channels::frame replay_frame(const stream::channel_state& c, const model::event& ev) = 0;
    // Queues one live event (position already advanced); false when it did not fit.
    virtual bool push_live(const stream::channel_state& c, const channels::encoded_event& ev) = 0;
    // herald.reset for `c` at its (new) epoch and position.
    virtual channels::frame reset_frame(const stream::channel_state& c, std::string_view reason) = 0;
    // Every replay queued so far has been queued and no channel is catching up.
    virtual void replay_done() {}
    virtual channels::frame goodbye_frame(const model::disconnect& d, std::string_view detail) = 0;
    virtual channels::frame expiring_frame(std::int64_t exp_ms, std::int64_t expires_in_ms) = 0;
    // herald.gap for `c`: its queued events first..last were dropped (its position is now last).
    virtual channels::frame gap_frame(const stream::channel_state& c, std::uint64_t first, std::uint64_t last) = 0;
    // Keepalives, pings, idle timeouts: called by tick() when nothing else ended the stream.
    virtual void heartbeat(std::int64_t now_ms) = 0;
    virtual void on_input(std::string_view bytes) = 0;

    // The socket bound to the shard's io_context (an 8-byte executor, not the type-erased one).

    services& svc_;
    shard& home_;
    shard_socket socket_;
    const std::uint64_t id_;
    const connection_origin origin_;
    std::string user_;           // the token's sub, empty for none
    auth::expiry_watch expiry_;  // the token's exp
    channels::outbox outbox_;
    std::int64_t last_write_ms_ = 0;
    std::int64_t last_read_ms_ = 0;

private:
    void on_read(std::shared_ptr<open_request> g, std::size_t index, model::result<broker::channel_history> h);
    void finish_group(open_request& g);
    void pump_replay();
    void deliver_live(stream::channel_state& c, const channels::encoded_event_ptr& ev);
    // Queues a live event the outbox has no room for in the channel's backlog (slow_consumer
    // conflate or drop_oldest).
    void defer(stream::channel_state& c, const channels::encoded_event_ptr& ev);
    // Moves backlogged events (and gaps) into the outbox while it has room.
    void pump_backlogs();
    // Whether an event fits the outbox now, within `limit` bytes queued.
    bool fits(const model::event& ev, std::size_t limit) const;
    void slow_consumer(std::string_view what);
    void on_readable(boost::system::error_code ec);
    void queue_goodbye();

    // A polite end under way: the goodbye is rendered at the next flush, once the delivery that
    // caused it is done, so it states the position of exactly what was queued before it.
    struct goodbye {
        model::disconnect why;
        std::string detail;
        std::int64_t deadline_ms = 0;
        bool queued = false;
    };

    stream::resume_state state_;
    std::unique_ptr<write_slot> slot_;  // while a write is in flight
    std::size_t groups_reading_ = 0;     // open requests waiting for their history reads
    std::int64_t reads_started_ms_ = 0;  // when the first of them was sent (the deadline counts from it)
    std::unique_ptr<goodbye> goodbye_;  // set once ending politely
    std::size_t backlogged_ = 0;  // channels with a backlog
    bool backlog_logged_ = false;  // the first backlog of this stream is logged, the rest counted
    bool flush_requested_ = false;
    bool closed_ = false;
};

}  // namespace herald::sidecar
