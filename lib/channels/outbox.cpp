// Outbox: two vectors swapped between queue and batch, so steady state allocates nothing.
#include "lib/channels/outbox.hpp"

namespace herald::channels {

bool outbox::push(frame f) {
    const std::size_t n = f->size();
    if (queued_ + in_flight_ + n > max_bytes_) return false;
    queued_ += n;
    queue_.push_back(std::move(f));
    return true;
}

void outbox::push_unchecked(frame f) {
    queued_ += f->size();
    queue_.push_back(std::move(f));
}

void outbox::clear_queued() {
    queue_.clear();
    queued_ = 0;
}

std::size_t outbox::take(std::vector<frame>& batch) {
    batch.swap(queue_);
    std::size_t n = queued_;
    in_flight_ += n;
    queued_ = 0;
    return n;
}

void outbox::write_done(std::vector<frame>& batch) {
    in_flight_ = 0;
    batch.clear();
}

}  // namespace herald::channels
