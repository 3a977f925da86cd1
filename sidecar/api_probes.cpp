// Probe and metrics answers; see api_probes.hpp.
#include "sidecar/api_probes.hpp"

namespace herald::sidecar {

probe_reply healthz(const services& svc) {
    return {200, "application/json", svc.stopping.load() ? R"({"status":"stopping"})" : R"({"status":"ok"})"};
}

probe_reply readyz(const services& svc) {
    const bool draining = svc.stopping.load();
    const bool broker_up = svc.node.broker().healthy();
    if (!draining && broker_up) return {200, "application/json", R"({"status":"ready"})"};
    return {503, "application/json", draining ? R"({"status":"draining"})" : R"({"status":"broker_unavailable"})"};
}

probe_reply metrics_page(services& svc) {
    metrics::gauges g;
    g.channels = svc.node.hub().channel_count();
    g.subscriptions = svc.node.hub().subscription_count();
    g.history_events = svc.node.broker().stats().history_events;
    g.broker_kind = svc.node.broker().kind();
    g.broker_up = svc.node.broker().healthy();
    g.draining = svc.stopping.load();
    g.busiest = svc.node.hub().busiest(svc.cfg().metrics_top_channels);
    return {200, "text/plain; version=0.0.4; charset=utf-8", svc.metrics.render(g)};
}

}  // namespace herald::sidecar
