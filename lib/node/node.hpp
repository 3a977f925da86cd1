// The Node: the façade the sidecar talks to. Publishes go to the broker; events come back from
// the broker (local and remote alike) through on_event and are broadcast by the Hub.
// Thread-safe; callbacks run on the broker's thread (inline for the memory broker).
#pragma once

#include "lib/broker/broker.hpp"
#include "lib/channels/hub.hpp"

namespace herald::node {

class node final : public broker::broker_handler {
public:
    node(broker::broker& broker, channels::hub& hub);

    // Publishes one event; the result's delivered_local counts this node's subscribers. `done`
    // (any callable taking the result) is held inside the broker's callback, not wrapped in a
    // second std::function: one allocation per publish fewer on the hot path.
    template <class Done>
    void publish(model::publish_request&& req, Done&& done) {
        broker_.publish(std::move(req), [this, done = std::forward<Done>(done)](
                                            model::result<model::publish_result> r) mutable {
            if (r && !r->duplicate) r->delivered_local = hub_.subscribers(r->channel);
            done(std::move(r));
        });
    }
    void read(const std::string& channel, std::optional<std::uint64_t> after, std::size_t limit,
              broker::broker::read_callback done);

    void on_event(const model::event_ptr& ev) override;

    channels::hub& hub() { return hub_; }
    broker::broker& broker() { return broker_; }

private:
    broker::broker& broker_;
    channels::hub& hub_;
};

}  // namespace herald::node
