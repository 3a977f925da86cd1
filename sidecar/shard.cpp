// Shard: io_context + connection set + flush list + coarse keepalive sweep.
#include "sidecar/shard.hpp"

#include <boost/asio/post.hpp>

namespace herald::sidecar {

shard::shard(std::size_t index, std::int64_t tick_ms)
    : index_(index), tick_ms_(tick_ms), work_(asio::make_work_guard(io_)), sweep_timer_(io_) {}

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

void shard::stop() {
    if (stopped_) return;
    stopped_ = true;
    sweep_timer_.cancel();
    std::vector<std::shared_ptr<connection>> all(connections_.begin(), connections_.end());
    for (auto& c : all) c->shutdown();
    work_.reset();
}

shard_pool::shard_pool(std::size_t count, std::int64_t tick_ms) {
    if (count == 0) count = 1;
    for (std::size_t i = 0; i < count; ++i) shards_.push_back(std::make_unique<shard>(i, tick_ms));
}

void shard_pool::post(std::size_t shard, std::function<void()> work) { asio::post(shards_[shard]->io(), std::move(work)); }

shard& shard_pool::next() { return *shards_[next_.fetch_add(1, std::memory_order_relaxed) % shards_.size()]; }

void shard_pool::run() {
    for (auto& s : shards_) {
        s->start_sweep();
        threads_.emplace_back([&io = s->io()] { io.run(); });
    }
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
