// Presence across nodes, lifecycle webhooks and occupancy: see presence_service.hpp.
#include "sidecar/presence_service.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>
#include <unordered_set>

#include "lib/protocol/sse_encoder.hpp"
#include "lib/protocol/stream_messages.hpp"
#include "lib/protocol/ws_codec.hpp"
#include "lib/protocol/ws_frame.hpp"
#include "sidecar/webhook_sender.hpp"

namespace herald::sidecar {

namespace asio = boost::asio;
using presence::subject;

namespace {
constexpr std::int64_t flush_every_ms = 100;
constexpr std::size_t flush_batch = 1000;      // counts per store call (the Redis store's batch bound)
constexpr std::size_t occupancy_batch = 1000;  // channels asked of the store per call
constexpr std::int64_t stop_grace_ms = 2000;   // queued webhook items get this long at stop

}  // namespace

channels::notice_ptr occupancy_notice(const std::string& channel, std::uint64_t count) {
    const auto members = protocol::occupancy_members(channel, count);
    auto n = std::make_shared<channels::notice>();
    n->channel = channel;
    n->sse = std::make_shared<const std::string>(protocol::sse_control_event("herald.occupancy", protocol::json_object(members)));
    n->ws = std::make_shared<const std::string>(
        protocol::ws_frame(protocol::ws_opcode::text, protocol::ws_reply_json("occupancy", "", protocol::more_members(members))));
    return n;
}

presence_service::presence_service(const config::config& cfg, std::unique_ptr<presence::presence_store> store,
                                   channels::hub& hub, policies_fn policies, sidecar::metrics& counters,
                                   std::shared_ptr<spdlog::logger> log)
    : webhooks_(cfg.webhooks),
      presence_(cfg.presence),
      store_(std::move(store)),
      redis_(cfg.broker != "memory"),
      hub_(hub),
      policies_(std::move(policies)),
      metrics_(counters),
      log_(std::move(log)),
      flush_timer_(io_),
      heartbeat_timer_(io_),
      occupancy_timer_(io_),
      tracker_(cfg.webhooks.debounce_ms),
      kinds_(cfg.webhooks.events) {
    if (kinds_.empty()) kinds_ = {"user.online", "user.offline", "channel.occupied", "channel.vacated"};
    for (const auto& url : webhooks_.urls) {
        auto parsed = presence::parse_webhook_url(url);
        if (!parsed) throw std::runtime_error("webhooks.url: " + parsed.err().message + " (" + parsed.err().hint + ")");
        senders_.push_back(std::make_shared<webhook_sender>(
            io_, std::move(*parsed), webhooks_, store_->node_id(),
            [this] { return node_seq_.fetch_add(1, std::memory_order_relaxed) + 1; }, metrics_, log_));
    }
}

presence_service::~presence_service() {
    stop();
    store_.reset();  // a Redis store answers what is pending on destruction: io_ must still exist
}

void presence_service::start() {
    post([this] {
        schedule_flush();
        heartbeat();
        occupancy_tick();
        // One node on memory keeps presence in this process only: a restart forgot who was there,
        // so the app is told to rebuild (docs/lifecycle.md).
        if (!redis_) resync("started");
    });
    thread_ = std::thread([this] { io_.run(); });
}

void presence_service::stop() {
    if (!thread_.joinable()) return;
    post([this] {
        stopped_ = true;
        flush_timer_.cancel();
        heartbeat_timer_.cancel();
        occupancy_timer_.cancel();
        // With Redis this node's counts stay for one debounce window: users reconnecting to another
        // node meanwhile never go offline. Webhook items still queued get a short moment.
        store_->retire(webhooks_.debounce_ms, [](model::result<bool>) {});
        finish_by(steady_ms() + stop_grace_ms);
    });
    thread_.join();
}

void presence_service::finish_by(std::int64_t deadline_ms) {
    const bool idle = std::all_of(senders_.begin(), senders_.end(), [](const auto& s) { return s->idle(); });
    if (idle || steady_ms() >= deadline_ms) {
        for (auto& s : senders_) s->stop();
        io_.stop();
        return;
    }
    flush_timer_.expires_after(std::chrono::milliseconds(50));
    flush_timer_.async_wait([this, deadline_ms](boost::system::error_code) { finish_by(deadline_ms); });
}

void presence_service::post(std::function<void()> f) { asio::post(io_, std::move(f)); }

void presence_service::user_opened(const std::string& user) {
    if (user.empty()) return;
    post([this, user] { tracker_.add(subject::user, user, steady_ms()); });
}

void presence_service::user_closed(const std::string& user) {
    if (user.empty()) return;
    post([this, user] { tracker_.remove(subject::user, user, steady_ms()); });
}

void presence_service::channel_joined(const std::string& channel) {
    post([this, channel] { tracker_.add(subject::channel, channel, steady_ms()); });
}

void presence_service::channel_left(const std::string& channel) {
    post([this, channel] { tracker_.remove(subject::channel, channel, steady_ms()); });
}

std::optional<std::uint64_t> presence_service::current_occupancy(const std::string& channel) const {
    const std::uint64_t here = hub_.subscribers(channel);
    std::lock_guard lock(occupancy_mutex_);
    auto it = occupancy_.find(channel);
    if (it == occupancy_.end()) return std::nullopt;
    // The last count sent, corrected by how this node's subscribers changed since (the asking
    // stream included); other nodes' changes come with the next interval.
    const auto& o = it->second;
    const std::int64_t count = static_cast<std::int64_t>(o.total) - static_cast<std::int64_t>(o.local) + static_cast<std::int64_t>(here);
    return static_cast<std::uint64_t>(std::max<std::int64_t>(count, static_cast<std::int64_t>(here)));
}

void presence_service::schedule_flush() {
    if (stopped_) return;
    flush_timer_.expires_after(std::chrono::milliseconds(flush_every_ms));
    flush_timer_.async_wait([this](boost::system::error_code ec) {
        if (ec) return;
        flush();
        schedule_flush();
    });
}

void presence_service::flush() {
    if (flushing_) return;  // one apply in flight: the next tick takes what came meanwhile
    auto due = tracker_.take_due(steady_ms(), flush_batch);
    if (due.empty()) return;
    flushing_ = true;
    auto sent = std::make_shared<std::vector<presence::node_count>>(due);
    store_->apply(std::move(due), [this, sent](model::result<std::vector<presence::presence_change>> r) {
        post([this, sent, r = std::move(r)]() mutable {
            flushing_ = false;
            if (!r) {
                tracker_.failed(*sent);
                metrics_.presence_store_errors.fetch_add(1, std::memory_order_relaxed);
                if (!store_failing_)
                    log_->warn("presence: the store did not take {} counts ({}); retrying every {} ms", sent->size(),
                               r.err().message, flush_every_ms);
                store_failing_ = true;
                return;
            }
            if (store_failing_) {
                // A failed apply may have been applied with its answer lost: its transitions
                // were never sent. The app rebuilds instead of missing them.
                log_->info("presence: the store takes counts again");
                resync("store_error");
            }
            store_failing_ = false;
            tracker_.confirmed(*sent);
            on_changes(r.value());
        });
    });
}

bool presence_service::wants(const presence::presence_change& c) const {
    const auto name = presence::change_name(c.kind);
    if (std::find(kinds_.begin(), kinds_.end(), name) == kinds_.end()) return false;
    return presence::is_user_change(c.kind) || policies_().presence(c.name).webhooks;
}

void presence_service::on_changes(const std::vector<presence::presence_change>& changes) {
    for (const auto& c : changes) {
        newest_position_ = std::max(newest_position_, c.position);
        metrics_.presence_transitions.fetch_add(1, std::memory_order_relaxed);
        if (senders_.empty() || !wants(c)) continue;
        presence::lifecycle_event ev;
        ev.type = std::string(presence::change_name(c.kind));
        ev.subject = c.name;
        ev.position = c.position;
        send(std::move(ev));
    }
}

void presence_service::resync(std::string reason) {
    presence::lifecycle_event ev;
    ev.type = "resync";
    ev.reason = std::move(reason);
    send(std::move(ev));
}

void presence_service::send(presence::lifecycle_event ev) {
    if (senders_.empty()) return;
    ev.node = store_->node_id();
    ev.node_seq = node_seq_.fetch_add(1, std::memory_order_relaxed) + 1;
    ev.at_ms = wall_ms();
    if (ev.type == "resync") ev.position = newest_position_;
    for (auto& s : senders_) s->push(ev);
}

void presence_service::heartbeat() {
    if (stopped_ || !redis_) return;
    store_->heartbeat(presence_.heartbeat_ttl_ms, [this](model::result<bool> r) {
        post([this, r = std::move(r)] {
            if (!r) {
                log_->warn("presence: heartbeat failed ({})", r.err().message);
            } else if (!r.value()) {
                // This node's counts may have been swept (it was silent past the TTL, or Redis
                // lost its data): report every count again.
                log_->warn("presence: this node's counts were missing from the store; reporting them again");
                tracker_.report_all();
                resync("store_error");
            }
        });
    });
    store_->sweep([this](model::result<std::vector<presence::presence_change>> r) {
        if (!r) return;
        post([this, changes = std::move(r.value())] {
            if (!changes.empty()) log_->info("presence: a stopped node's counts were removed ({} transitions)", changes.size());
            on_changes(changes);
        });
    });
    heartbeat_timer_.expires_after(std::chrono::milliseconds(std::max<std::int64_t>(presence_.heartbeat_ttl_ms / 3, 100)));
    heartbeat_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) heartbeat();
    });
}

void presence_service::occupancy_tick() {
    if (stopped_) return;
    occupancy_timer_.expires_after(std::chrono::milliseconds(presence_.occupancy_interval_ms));
    occupancy_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) occupancy_tick();
    });
    if (occupancy_pending_ > 0) return;  // the last tick's totals are still being read
    const auto& policies = policies_();
    if (!policies.any_occupancy()) return;
    std::unordered_set<std::string> watched;
    for (auto& name : tracker_.present(subject::channel))
        if (policies.presence(name).occupancy) watched.insert(std::move(name));
    {
        std::lock_guard lock(occupancy_mutex_);  // forget channels no longer watched here
        std::erase_if(occupancy_, [&](const auto& e) { return !watched.contains(e.first); });
    }
    // Every watched channel is asked every tick, in store calls of at most occupancy_batch names.
    std::vector<std::string> all(watched.begin(), watched.end());
    for (std::size_t from = 0; from < all.size(); from += occupancy_batch) {
        auto names = std::make_shared<std::vector<std::string>>(
            all.begin() + static_cast<std::ptrdiff_t>(from),
            all.begin() + static_cast<std::ptrdiff_t>(std::min(all.size(), from + occupancy_batch)));
        ++occupancy_pending_;
        store_->totals(subject::channel, *names, [this, names](model::result<std::vector<std::uint64_t>> r) {
            post([this, names, r = std::move(r)] {
                --occupancy_pending_;
                if (r) send_occupancy(*names, r.value());
            });
        });
    }
}

void presence_service::send_occupancy(const std::vector<std::string>& names, const std::vector<std::uint64_t>& totals) {
    for (std::size_t i = 0; i < names.size() && i < totals.size(); ++i) {
        const auto& channel = names[i];
        // The store hears this node's counts at the next flush: never show fewer than are here.
        const std::uint64_t local = hub_.subscribers(channel);
        const auto count = std::max(totals[i], local);
        {
            std::lock_guard lock(occupancy_mutex_);
            auto [it, added] = occupancy_.try_emplace(channel, occupancy_sent{count, local});
            if (!added && it->second.total == count) {
                it->second.local = local;
                continue;
            }
            it->second = {count, local};
        }
        metrics_.occupancy_notices.fetch_add(hub_.notify(occupancy_notice(channel, count)), std::memory_order_relaxed);
    }
}

void presence_service::page(subject kind, std::string after, std::size_t limit,
                            std::function<void(model::result<presence::presence_page>)> done) {
    post([this, kind, after = std::move(after), limit, done = std::move(done)]() mutable {
        store_->page(kind, after, limit, [this, done = std::move(done)](model::result<presence::presence_page> r) mutable {
            post([r = std::move(r), done = std::move(done)]() mutable { done(std::move(r)); });
        });
    });
}

void presence_service::webhooks(std::function<void(std::vector<webhook_status>)> done) {
    post([this, done = std::move(done)] {
        std::vector<webhook_status> out;
        for (const auto& s : senders_)
            out.push_back({s->url().text, s->depth(), s->last_delivered_position(), s->last_delivered_id()});
        done(std::move(out));
    });
}

std::int64_t presence_service::steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::int64_t presence_service::wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace herald::sidecar
