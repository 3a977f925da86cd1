// inline_executor: a channels::shard_executor for tests. Each shard has a FIFO queue; work runs
// either on demand on the calling thread (run, run_all) or on one real thread per shard
// (start_threads) for concurrency tests. post() is thread-safe in both modes.
// post_after() runs on a manual clock: the work waits until advance() moves the executor's time
// to its due time, then is posted to its shard (due items in due order, ties in posting order);
// nothing moves the clock but advance().
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "lib/channels/shard_executor.hpp"

namespace herald::test {

class inline_executor final : public channels::shard_executor {
public:
    explicit inline_executor(std::size_t shards = 1) {
        for (std::size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<shard_state>());
    }
    ~inline_executor() override { stop_threads(); }
    inline_executor(const inline_executor&) = delete;
    inline_executor& operator=(const inline_executor&) = delete;

    std::size_t shard_count() const override { return shards_.size(); }

    void post(std::size_t shard, std::function<void()> work) override {
        auto& s = *shards_.at(shard);
        {
            std::lock_guard lock(s.mutex);
            s.queue.push_back(std::move(work));
            ++s.posted;
        }
        s.cv.notify_all();
    }

    void post_after(std::size_t shard, std::int64_t delay_ms, std::function<void()> work) override {
        if (shard >= shards_.size()) throw std::out_of_range("inline_executor::post_after: no such shard");
        std::lock_guard lock(timers_mutex_);
        timers_.push_back({now_ms_ + std::max<std::int64_t>(delay_ms, 0), next_timer_++, shard, std::move(work)});
    }

    // The manual clock: moves it by `ms` and posts the delayed work now due to its shard (run it
    // with run/run_all in manual mode). Returns how many items became due.
    std::size_t advance(std::int64_t ms) {
        std::vector<timer> due;
        {
            std::lock_guard lock(timers_mutex_);
            now_ms_ += ms;
            auto split = std::stable_partition(timers_.begin(), timers_.end(),
                                               [&](const timer& t) { return t.due_ms > now_ms_; });
            due.assign(std::make_move_iterator(split), std::make_move_iterator(timers_.end()));
            timers_.erase(split, timers_.end());
        }
        std::sort(due.begin(), due.end(),
                  [](const timer& a, const timer& b) { return a.due_ms != b.due_ms ? a.due_ms < b.due_ms : a.seq < b.seq; });
        for (auto& t : due) post(t.shard, std::move(t.work));
        return due.size();
    }
    std::int64_t now_ms() const {
        std::lock_guard lock(timers_mutex_);
        return now_ms_;
    }
    // Delayed work not yet due.
    std::size_t delayed() const {
        std::lock_guard lock(timers_mutex_);
        return timers_.size();
    }
    // Due times (manual clock) of the delayed work not yet due, soonest first.
    std::vector<std::int64_t> delayed_due() const {
        std::lock_guard lock(timers_mutex_);
        std::vector<std::int64_t> out;
        for (const auto& t : timers_) out.push_back(t.due_ms);
        std::sort(out.begin(), out.end());
        return out;
    }

    // The shard whose work the calling thread is running, if any.
    static std::optional<std::size_t> current_shard() { return current_; }

    // Manual mode: runs `shard`'s queue on this thread until it is empty (work posted meanwhile
    // included). Returns the number of items run.
    std::size_t run(std::size_t shard) {
        if (threaded_) throw std::logic_error("inline_executor::run while shard threads are running");
        auto& s = *shards_.at(shard);
        std::size_t n = 0;
        for (;;) {
            std::function<void()> work;
            {
                std::lock_guard lock(s.mutex);
                if (s.queue.empty()) return n;
                work = std::move(s.queue.front());
                s.queue.pop_front();
            }
            run_as(shard, work);
            ++n;
        }
    }

    // Manual mode: runs every shard until all queues are empty.
    std::size_t run_all() {
        std::size_t total = 0;
        for (;;) {
            std::size_t n = 0;
            for (std::size_t i = 0; i < shards_.size(); ++i) n += run(i);
            if (n == 0) return total;
            total += n;
        }
    }

    std::size_t pending(std::size_t shard) const {
        auto& s = *shards_.at(shard);
        std::lock_guard lock(s.mutex);
        return s.queue.size();
    }
    std::size_t pending() const {
        std::size_t n = 0;
        for (std::size_t i = 0; i < shards_.size(); ++i) n += pending(i);
        return n;
    }
    // Items ever posted to `shard`.
    std::size_t posted(std::size_t shard) const {
        auto& s = *shards_.at(shard);
        std::lock_guard lock(s.mutex);
        return s.posted;
    }

    // Threaded mode: one thread per shard runs that shard's queue in order.
    void start_threads() {
        if (threaded_) return;
        threaded_ = true;
        for (std::size_t i = 0; i < shards_.size(); ++i) {
            shards_[i]->stop = false;
            shards_[i]->thread = std::thread([this, i] { loop(i); });
        }
    }

    // Runs what is still queued, then joins the shard threads (back to manual mode).
    void stop_threads() {
        if (!threaded_) return;
        for (auto& s : shards_) {
            {
                std::lock_guard lock(s->mutex);
                s->stop = true;
            }
            s->cv.notify_all();
        }
        for (auto& s : shards_) s->thread.join();
        threaded_ = false;
    }

    // Runs `fn` on `shard` and waits for it: through the shard thread in threaded mode, or by
    // running the shard's queue (earlier work first) on this thread in manual mode.
    void run_on(std::size_t shard, std::function<void()> fn) {
        if (!threaded_) {
            post(shard, std::move(fn));
            run(shard);
            return;
        }
        std::promise<void> done;
        auto fut = done.get_future();
        post(shard, [&] {
            fn();
            done.set_value();
        });
        fut.wait();
    }

    // Waits until everything posted before this call has run, on every shard.
    void drain() {
        if (!threaded_) {
            run_all();
            return;
        }
        for (std::size_t i = 0; i < shards_.size(); ++i) run_on(i, [] {});
    }

private:
    struct shard_state {
        mutable std::mutex mutex;
        std::condition_variable cv;
        std::deque<std::function<void()>> queue;
        std::size_t posted = 0;
        bool stop = false;
        std::thread thread;
    };

    static void run_as(std::size_t shard, std::function<void()>& work) {
        auto saved = current_;
        current_ = shard;
        work();
        current_ = saved;
    }

    void loop(std::size_t shard) {
        auto& s = *shards_[shard];
        for (;;) {
            std::function<void()> work;
            {
                std::unique_lock lock(s.mutex);
                s.cv.wait(lock, [&] { return s.stop || !s.queue.empty(); });
                if (s.queue.empty()) return;  // stop requested and drained
                work = std::move(s.queue.front());
                s.queue.pop_front();
            }
            run_as(shard, work);
        }
    }

    struct timer {
        std::int64_t due_ms = 0;
        std::uint64_t seq = 0;
        std::size_t shard = 0;
        std::function<void()> work;
    };

    std::vector<std::unique_ptr<shard_state>> shards_;
    mutable std::mutex timers_mutex_;
    std::vector<timer> timers_;  // under timers_mutex_
    std::int64_t now_ms_ = 0;    // under timers_mutex_
    std::uint64_t next_timer_ = 0;
    bool threaded_ = false;
    static inline thread_local std::optional<std::size_t> current_;
};

}  // namespace herald::test
