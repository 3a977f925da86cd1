// One gather write of everything a stream connection has queued: the outbox's frames move into
// `batch`, `buffers` views them, and a single async_write sends them all. Shared by the SSE and
// WebSocket sessions. Shard thread only; `batch` and `buffers` must outlive the write (session
// members, kept alive by the shared_ptr that `done` captures).
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <cstddef>
#include <vector>

#include "lib/channels/outbox.hpp"

namespace herald::sidecar {

// Starts the write and returns true; false (nothing started) when the outbox is empty or a write
// is already in flight. `done(error_code, bytes)` runs after the outbox has been told the write
// completed, so it may queue and start the next one.
template <class Socket, class Done>
bool gather_write(Socket& socket, channels::outbox& box, std::vector<channels::frame>& batch,
                  std::vector<boost::asio::const_buffer>& buffers, Done done) {
    if (box.writing() || box.empty()) return false;
    const std::size_t bytes = box.take(batch);
    buffers.clear();
    for (const auto& f : batch) buffers.emplace_back(f->data(), f->size());
    boost::asio::async_write(socket, buffers,
                             [&box, &batch, bytes, done = std::move(done)](boost::system::error_code ec, std::size_t) mutable {
                                 box.write_done(batch);
                                 done(ec, bytes);
                             });
    return true;
}

}  // namespace herald::sidecar
