// Outbox: frames move from the queue to the writer's batch; the queue keeps a small capacity, so
// steady state allocates nothing and an idle stream holds little.
#include "lib/channels/outbox.hpp"

#include <iterator>

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

std::size_t outbox::take(std::vector<frame>& batch) {
    batch.insert(batch.end(), std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
    queue_.clear();
    std::size_t n = queued_;
    in_flight_ += n;
    queued_ = 0;
    return n;
}

void outbox::write_done(std::vector<frame>& batch) {
    in_flight_ = 0;
    batch.clear();
    // A burst leaves no large queue behind on a stream that goes idle again.
    if (queue_.empty() && queue_.capacity() > kept_capacity) std::vector<frame>().swap(queue_);
}

}  // namespace herald::channels
