// Shard: io_context + connection set + flush list + coarse keepalive sweep.
#include "sidecar/shard.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <random>

namespace herald::sidecar {

shard::shard(std::size_t index, std::int64_t tick_ms)
    : index_(index), tick_ms_(tick_ms), work_(asio::make_work_guard(io_)), sweep_timer_(io_), drain_timer_(io_) {}

void shard::request_flush(std::shared_ptr<connection> c) {
    bool first = to_flush_.empty();
    to_flush_.push_back(std::move(c));
    if (first) asio::post(io_, [this] { flush_all(); });
}

void shard::flush_all() {
    flushing_.swap(to_flush_);
    for (auto& c : flushing_) c->flush();
    flushing_.clear();
}

void shard::run_after(std::int64_t delay_ms, std::function<void()> work) {
    if (stopped_) return;
    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(std::max<std::int64_t>(delay_ms, 0)));
    delayed_.insert(timer);
    timer->async_wait([this, timer, work = std::move(work)](boost::system::error_code ec) {
        delayed_.erase(timer);
        if (!ec && !stopped_) work();
    });
}

void shard::start_sweep() {
    if (tick_ms_ <= 0 || stopped_) return;
    sweep_timer_.expires_after(std::chrono::milliseconds(tick_ms_));
    sweep_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) sweep();
    });
}

void shard::sweep() {
    if (stopped_) return;
    // Copy: a tick may end a connection, which removes it from the set.
    std::vector<std::shared_ptr<connection>> all(connections_.begin(), connections_.end());
    coarse_now_ = now_ms();
    coarse_wall_ = wall_ms();
    for (auto& c : all) c->tick(coarse_now_);
    start_sweep();
}

std::int64_t shard::now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::int64_t shard::wall_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::size_t shard::end_user(std::string_view user, const model::disconnect& why) {
    std::vector<std::shared_ptr<connection>> all(connections_.begin(), connections_.end());
    std::size_t n = 0;
    for (auto& c : all) n += c->end_for_user(user, why) ? 1 : 0;
    return n;
}

void shard::drain(std::int64_t window_ms, std::function<void()> done) {
    drain_done_ = std::move(done);
    if (stopped_) {
        drain_done_();
        return;
    }
    std::minstd_rand rng(static_cast<unsigned>(now_ms()) * 2654435761u + static_cast<unsigned>(index_));
    const auto start = now_ms();
    for (const auto& c : connections_) {
        if (!c->is_stream()) continue;
        const auto at = window_ms > 0 ? start + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(window_ms)) : start;
        drain_queue_.emplace_back(at, c);
    }
    std::sort(drain_queue_.begin(), drain_queue_.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    drain_due();
}

void shard::drain_due() {
    if (stopped_) return;
    const auto now = now_ms();
    while (!drain_queue_.empty() && drain_queue_.back().first <= now) {
        auto c = drain_queue_.back().second.lock();
        drain_queue_.pop_back();
        if (c) c->shutdown();
    }
    if (drain_queue_.empty()) {
        if (drain_done_) std::exchange(drain_done_, nullptr)();
        return;
    }
    // Coarse steps: at most every 20 ms, which spreads thousands of goodbyes well enough.
    drain_timer_.expires_after(std::chrono::milliseconds(std::max<std::int64_t>(drain_queue_.back().first - now, 20)));
    drain_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) drain_due();
    });
}

void shard::stop() {
    if (stopped_) return;
    stopped_ = true;
    sweep_timer_.cancel();
    drain_timer_.cancel();
    drain_queue_.clear();
    for (const auto& t : delayed_) t->cancel();
    std::vector<std::shared_ptr<connection>> all(connections_.begin(), connections_.end());
    for (auto& c : all) c->shutdown();
    work_.reset();
}

shard_pool::shard_pool(std::size_t count, std::int64_t tick_ms) {
    if (count == 0) count = 1;
    for (std::size_t i = 0; i < count; ++i) shards_.push_back(std::make_unique<shard>(i, tick_ms));
}

void shard_pool::post(std::size_t shard, std::function<void()> work) { asio::post(shards_[shard]->io(), std::move(work)); }

void shard_pool::post_after(std::size_t shard, std::int64_t delay_ms, std::function<void()> work) {
    // The timer is made on the shard's thread, where its set of timers lives.
    auto* sh = shards_[shard].get();
    asio::post(sh->io(), [sh, delay_ms, work = std::move(work)]() mutable { sh->run_after(delay_ms, std::move(work)); });
}

shard& shard_pool::next() { return *shards_[next_.fetch_add(1, std::memory_order_relaxed) % shards_.size()]; }

void shard_pool::run() {
    for (auto& s : shards_) {
        s->start_sweep();
        threads_.emplace_back([&io = s->io()] { io.run(); });
    }
}

void shard_pool::drain(std::int64_t window_ms, std::function<void()> done) {
    auto remaining = std::make_shared<std::atomic<std::size_t>>(shards_.size());
    auto all_done = std::make_shared<std::function<void()>>(std::move(done));
    for (auto& s : shards_)
        asio::post(s->io(), [sh = s.get(), window_ms, remaining, all_done] {
            sh->drain(window_ms, [remaining, all_done] {
                if (remaining->fetch_sub(1) == 1) (*all_done)();
            });
        });
}

void shard_pool::stop() {
    for (auto& s : shards_) asio::post(s->io(), [sh = s.get()] { sh->stop(); });
}

void shard_pool::force_stop() {
    for (auto& s : shards_) s->io().stop();
}

void shard_pool::join() {
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
}

}  // namespace herald::sidecar
