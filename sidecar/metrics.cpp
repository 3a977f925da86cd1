// Prometheus text rendering for herald's counters.
#include "sidecar/metrics.hpp"

#include <cstdio>

namespace herald::sidecar {

namespace {
void emit(std::string& out, const char* name, const char* type, const char* help, double value) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
    out.append(name).append(" ");
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", value);
    out.append(buf).append("\n");
}
}  // namespace

void latency_histogram::observe(std::chrono::nanoseconds d) {
    const double seconds = std::chrono::duration<double>(d).count();
    std::size_t i = 0;
    while (i < bucket_count && seconds > bounds_seconds[i]) ++i;
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(static_cast<std::uint64_t>(d.count() > 0 ? d.count() : 0), std::memory_order_relaxed);
}

void latency_histogram::render(std::string& out, const char* name, const char* help) const {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" histogram\n");
    std::uint64_t cumulative = 0;
    char line[160];
    for (std::size_t i = 0; i <= bucket_count; ++i) {
        cumulative += buckets_[i].load(std::memory_order_relaxed);
        if (i < bucket_count)
            std::snprintf(line, sizeof line, "%s_bucket{le=\"%g\"} %llu\n", name, bounds_seconds[i],
                          static_cast<unsigned long long>(cumulative));
        else
            std::snprintf(line, sizeof line, "%s_bucket{le=\"+Inf\"} %llu\n", name, static_cast<unsigned long long>(cumulative));
        out.append(line);
    }
    std::snprintf(line, sizeof line, "%s_sum %.9f\n%s_count %llu\n", name,
                  static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9, name,
                  static_cast<unsigned long long>(cumulative));
    out.append(line);
}

void metrics::count_auth_refusal(const std::string& code) {
    for (std::size_t i = 0; i < auth_reason_count; ++i)
        if (code == auth_reasons[i]) {
            auth_refusals[i].fetch_add(1, std::memory_order_relaxed);
            return;
        }
}

std::string metrics::render(const gauges& g) const {
    std::string out;
    double deliveries = 0, bytes_out = 0;
    for (std::size_t i = 0; i < shard_count; ++i) {
        deliveries += static_cast<double>(per_shard[i].deliveries.load(std::memory_order_relaxed));
        bytes_out += static_cast<double>(per_shard[i].bytes_out.load(std::memory_order_relaxed));
    }
    auto v = [](const auto& a) { return static_cast<double>(a.load(std::memory_order_relaxed)); };
    emit(out, "herald_connections_accepted_total", "counter", "TCP connections accepted.", v(connections_accepted));
    emit(out, "herald_connections_rejected_total", "counter", "Connections refused over limits.max_connections or limits.max_internal_connections.",
         v(connections_rejected));
    emit(out, "herald_connections_open", "gauge", "Open connections on both listeners.", v(connections_open));
    emit(out, "herald_internal_connections_open", "gauge", "Open connections on the internal listener.",
         v(internal_connections_open));
    emit(out, "herald_reply_timeouts_total", "counter", "API requests answered 503 because the broker did not answer in time.",
         v(reply_timeouts));
    emit(out, "herald_sse_streams_open", "gauge", "Open SSE streams.", v(sse_streams_open));
    emit(out, "herald_sse_streams_total", "counter", "SSE streams opened.", v(sse_streams_total));
    emit(out, "herald_ws_connections_open", "gauge", "Open WebSocket connections.", v(ws_open));
    emit(out, "herald_ws_connections_total", "counter", "WebSocket connections opened.", v(ws_total));
    emit(out, "herald_ws_handshake_failures_total", "counter", "WebSocket upgrades refused or failed.",
         v(ws_handshake_failures));
    emit(out, "herald_publishes_total", "counter", "Events published.", v(publishes));
    emit(out, "herald_publish_errors_total", "counter", "Publish items refused.", v(publish_errors));
    emit(out, "herald_publishes_duplicate_total", "counter", "Publishes answered from an idempotency key.",
         v(publishes_duplicate));
    emit(out, "herald_deliveries_total", "counter", "Events queued to subscriber connections.", deliveries);
    emit(out, "herald_bytes_out_total", "counter", "Bytes written to stream connections.", bytes_out);
    emit(out, "herald_slow_consumer_disconnects_total", "counter", "Streams closed for passing the outbox limit.",
         v(slow_consumer_disconnects));
    emit(out, "herald_slow_consumer_replaced_total", "counter",
         "Events a slow consumer never got because a newer event of their key replaced them (slow_consumer conflate).",
         v(slow_consumer_replaced));
    emit(out, "herald_slow_consumer_dropped_total", "counter",
         "Events dropped from slow consumers' backlogs (slow_consumer drop_oldest), each announced by herald.gap.",
         v(slow_consumer_dropped));
    emit(out, "herald_gaps_sent_total", "counter", "herald.gap events sent to slow consumers.", v(gaps_sent));
    emit(out, "herald_conflated_events_total", "counter",
         "Events of conflated channels never sent because a newer event of their key replaced them within the window.",
         v(conflated_events));
    emit(out, "herald_resets_total", "counter", "herald.reset events sent to resuming clients.", v(resets_sent));
    emit(out, "herald_http_requests_total", "counter", "HTTP requests handled.", v(http_requests));
    emit(out, "herald_http_client_errors_total", "counter", "HTTP replies with a 4xx status.", v(http_errors_4xx));
    emit(out, "herald_http_server_errors_total", "counter", "HTTP replies with a 5xx status.", v(http_errors_5xx));
    emit(out, "herald_requests_too_large_total", "counter", "Requests over a header or body limit.",
         v(requests_too_large));
    emit(out, "herald_request_timeouts_total", "counter", "Requests not read within limits.request_timeout.",
         v(request_timeouts));
    publish_latency.render(out, "herald_publish_duration_seconds",
                           "Time from a publish request to its broker result, per event.");
    emit(out, "herald_user_disconnects_total", "counter", "Connections ended by POST /v1/users/{id}/disconnect.",
         v(user_disconnects));
    emit(out, "herald_tokens_expired_total", "counter", "Open streams ended because their token expired.",
         v(tokens_expired));
    emit(out, "herald_webhook_items_sent_total", "counter",
         "Lifecycle webhook items the app acknowledged with a 2xx (resyncs included).", v(webhook_items_sent));
    emit(out, "herald_webhook_retries_total", "counter", "Lifecycle webhook POSTs that retried a failed batch.",
         v(webhook_retries));
    emit(out, "herald_webhook_failures_total", "counter",
         "Lifecycle webhook POSTs that failed (non-2xx answer, timeout or connection error).", v(webhook_failures));
    emit(out, "herald_webhook_resyncs_total", "counter",
         "Lifecycle webhook resync items made because a queue overflowed or the app stayed unreachable.",
         v(webhook_resyncs));
    emit(out, "herald_webhook_queue_depth", "gauge", "Lifecycle webhook items waiting, summed over endpoints.",
         v(webhook_queue_depth));
    emit(out, "herald_presence_transitions_total", "counter",
         "Presence transitions this node learned of: users online/offline, channels occupied/vacated.",
         v(presence_transitions));
    emit(out, "herald_presence_store_errors_total", "counter",
         "Presence counts the store did not take (Redis down); they are retried.", v(presence_store_errors));
    emit(out, "herald_occupancy_notices_total", "counter", "herald.occupancy events queued to subscribers.",
         v(occupancy_notices));
    emit(out, "herald_occupancy_skipped_total", "counter",
         "herald.occupancy events not queued because the subscriber's outbox was full.", v(occupancy_skipped));
    out.append("# HELP herald_auth_refusals_total Requests and commands refused by authentication or authorization.\n");
    out.append("# TYPE herald_auth_refusals_total counter\n");
    for (std::size_t i = 0; i < auth_reason_count; ++i) {
        char line[128];
        std::snprintf(line, sizeof line, "herald_auth_refusals_total{reason=\"%s\"} %llu\n", auth_reasons[i],
                      static_cast<unsigned long long>(auth_refusals[i].load(std::memory_order_relaxed)));
        out.append(line);
    }
    emit(out, "herald_channels", "gauge", "Channels with local subscribers.", static_cast<double>(g.channels));
    emit(out, "herald_subscriptions", "gauge", "Channel subscriptions held by local connections.",
         static_cast<double>(g.subscriptions));
    emit(out, "herald_history_events", "gauge", "Events held in history.", static_cast<double>(g.history_events));
    out.append("# HELP herald_broker_up Whether the broker answers (1) or not (0).\n# TYPE herald_broker_up gauge\n");
    out.append("herald_broker_up{broker=\"").append(g.broker_kind).append("\"} ").append(g.broker_up ? "1" : "0").append("\n");
    emit(out, "herald_draining", "gauge", "1 while the server drains after SIGTERM (/readyz answers 503).",
         g.draining ? 1 : 0);
    // Per-channel figures for the busiest channels only, so label cardinality stays bounded.
    out.append("# HELP herald_channel_subscribers Local subscribers of the busiest channels (--metrics-top-channels).\n");
    out.append("# TYPE herald_channel_subscribers gauge\n");
    for (const auto& [name, n] : g.busiest)
        out.append("herald_channel_subscribers{channel=\"").append(name).append("\"} ").append(std::to_string(n)).append("\n");
    return out;
}

}  // namespace herald::sidecar
