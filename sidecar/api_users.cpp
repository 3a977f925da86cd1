// User disconnect: one task per shard, the reply when the last one is done.
#include "sidecar/api_users.hpp"

#include <atomic>
#include <boost/asio/post.hpp>
#include <memory>

#include "lib/auth/access_policy.hpp"
#include "lib/model/channel.hpp"
#include "lib/model/disconnect.hpp"
#include "lib/protocol/json_codec.hpp"

namespace herald::sidecar {

void handle_user_disconnect(services& svc, std::string user, api_callback reply) {
    if (auto e = model::validate_channel(std::string(auth::user_channel_prefix) + user); e || user.empty()) {
        auto err = model::errors::invalid_user(user);
        reply({static_cast<unsigned>(err.status), protocol::error_json(err)});
        return;
    }
    struct state {
        std::string user;
        api_callback reply;
        std::atomic<std::size_t> remaining;
        std::atomic<std::size_t> ended{0};
    };
    auto st = std::make_shared<state>();
    st->user = std::move(user);
    st->reply = std::move(reply);
    st->remaining = svc.shards.shard_count();
    for (std::size_t i = 0; i < svc.shards.shard_count(); ++i) {
        asio::post(svc.shards.at(i).io(), [&svc, st, i] {
            auto n = svc.shards.at(i).end_user(st->user, model::disconnects::user_disconnected);
            st->ended.fetch_add(n, std::memory_order_relaxed);
            if (st->remaining.fetch_sub(1) != 1) return;
            const auto total = st->ended.load();
            svc.metrics.user_disconnects.fetch_add(total, std::memory_order_relaxed);
            svc.log.info("user {} disconnected by the app: {} connection(s) ended", st->user, total);
            st->reply({200, "{\"user\":" + protocol::json_quote(st->user) + ",\"disconnected\":" + std::to_string(total) + "}"});
        });
    }
}

}  // namespace herald::sidecar
