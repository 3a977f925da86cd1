// The presence API: see api_presence.hpp.
#include "sidecar/api_presence.hpp"

#include "lib/http/query_params.hpp"
#include "lib/protocol/presence_json.hpp"
#include "sidecar/api_inspect.hpp"

namespace herald::sidecar {

namespace {
protocol::presence_list list_of(const presence::presence_page& p) {
    protocol::presence_list l;
    l.more = p.more;
    for (const auto& e : p.entries) l.entries.emplace_back(e.name, e.count);
    return l;
}
}  // namespace

void handle_presence_page(services& svc, presence::subject kind, const herald::http::request_target& target,
                          api_callback reply) {
    auto limit = herald::http::parse_limit(target, inspect_default_limit, inspect_max_limit);
    if (!limit) {
        reply(error_reply(limit.err()));
        return;
    }
    svc.presence.page(kind, target.param("cursor").value_or(""), *limit,
                      [kind, reply](model::result<presence::presence_page> r) {
                          if (!r) {
                              reply(error_reply(r.err()));
                              return;
                          }
                          reply({200, protocol::presence_page_json(kind == presence::subject::user, r->position, list_of(*r))});
                      });
}

void handle_presence(services& svc, const herald::http::request_target& target, api_callback reply) {
    auto limit = herald::http::parse_limit(target, inspect_default_limit, inspect_max_limit);
    if (!limit) {
        reply(error_reply(limit.err()));
        return;
    }
    const std::size_t n = *limit;
    // Users first: the position answered is the older of the two reads, so applying every webhook
    // after it can only repeat a transition the pages already show, never miss one.
    svc.presence.page(presence::subject::user, "", n, [&svc, n, reply](model::result<presence::presence_page> users) {
        if (!users) {
            reply(error_reply(users.err()));
            return;
        }
        svc.presence.page(presence::subject::channel, "", n,
                          [&svc, reply, users = std::move(*users)](model::result<presence::presence_page> channels) {
                              if (!channels) {
                                  reply(error_reply(channels.err()));
                                  return;
                              }
                              svc.presence.webhooks([&svc, reply, users, channels = std::move(*channels)](
                                                        std::vector<webhook_status> hooks) {
                                  std::vector<protocol::webhook_summary> shown;
                                  for (auto& h : hooks)
                                      shown.push_back({std::move(h.url), h.queue_depth, h.last_delivered_position,
                                                       std::move(h.last_delivered_id)});
                                  reply({200, protocol::presence_summary_json(svc.presence.node_id(), svc.presence.store_kind(),
                                                                             users.position, shown, list_of(users),
                                                                             list_of(channels))});
                              });
                          });
    });
}

}  // namespace herald::sidecar
