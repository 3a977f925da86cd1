// One gather write of everything a stream connection has queued: the outbox's frames move into
// a write slot's batch, its buffers view them, and a single async_write sends them all. Slots
// are lent by the shard's pool for the duration of a write, so an idle stream holds none.
// Shard thread only; the slot is owned by the session while the write is in flight (kept alive
// by the shared_ptr that `done` captures) and goes back to the pool when it completes.
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <cstddef>
#include <memory>
#include <vector>

#include "lib/channels/outbox.hpp"

namespace herald::sidecar {

struct write_slot {
    std::vector<channels::frame> batch;
    std::vector<boost::asio::const_buffer> buffers;
};

// A shard's free write slots: bounded in count, and a slot grown by a large burst is freed
// rather than kept, so the pool never holds more than max_free small slots.
class write_slot_pool {
public:
    static constexpr std::size_t max_free = 256;
    static constexpr std::size_t max_kept_frames = 1024;

    std::unique_ptr<write_slot> take() {
        if (free_.empty()) return std::make_unique<write_slot>();
        auto s = std::move(free_.back());
        free_.pop_back();
        return s;
    }
    void give_back(std::unique_ptr<write_slot> s) {
        s->batch.clear();
        s->buffers.clear();
        if (free_.size() < max_free && s->batch.capacity() <= max_kept_frames) free_.push_back(std::move(s));
    }

private:
    std::vector<std::unique_ptr<write_slot>> free_;
};

// Starts the write and returns true; false (nothing started) when the outbox is empty or a write
// is already in flight. `done(error_code, bytes)` runs after the outbox has been told the write
// completed and the slot is back in the pool, so it may queue and start the next one.
template <class Socket, class Done>
bool gather_write(Socket& socket, channels::outbox& box, write_slot_pool& pool, std::unique_ptr<write_slot>& slot,
                  Done done) {
    if (box.writing() || box.empty()) return false;
    slot = pool.take();
    const std::size_t bytes = box.take(slot->batch);
    for (const auto& f : slot->batch) slot->buffers.emplace_back(f->data(), f->size());
    boost::asio::async_write(socket, slot->buffers,
                             [&box, &pool, &slot, bytes, done = std::move(done)](boost::system::error_code ec, std::size_t) mutable {
                                 box.write_done(slot->batch);
                                 pool.give_back(std::move(slot));
                                 done(ec, bytes);
                             });
    return true;
}

}  // namespace herald::sidecar
