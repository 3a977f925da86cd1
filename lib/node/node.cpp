// Node: wires broker → hub and stamps delivered_local on publish results.
#include "lib/node/node.hpp"

namespace herald::node {

node::node(broker::broker& broker, channels::hub& hub) : broker_(broker), hub_(hub) { broker_.set_handler(this); }

void node::read(const std::string& channel, std::optional<std::uint64_t> after, std::size_t limit,
                broker::broker::read_callback done) {
    broker_.read(channel, after, limit, std::move(done));
}

void node::on_event(const model::event_ptr& ev) { hub_.broadcast(ev); }

}  // namespace herald::node
