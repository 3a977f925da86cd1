// keyed_publisher: paces keyed_bench's batched publishes over one keep-alive connection, one
// request in flight (a late batch leaves at once, so the rate catches up), and reads each reply's
// per-item results.
#include "bench/keyed_publisher.hpp"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>
#include <unistd.h>

#include "bench/bench_common.hpp"

namespace herald::bench {

void run_keyed_publisher(const keyed_options& o, int port, keyed_publish_result& res, std::atomic<bool>& done) {
    const bool ticker = o.scenario == "ticker";
    const double per_s = ticker ? double(o.keys) * o.updates_per_key : o.incr_rate;
    const double interval_ns = 1e9 / o.batches_per_s;
    if (!ticker) res.acked.assign(o.channels, 0);
    std::mt19937_64 rng(13);
    std::uniform_int_distribution<std::size_t> pick(0, o.channels - 1);
    int fd = -1;
    std::string carry, body, req, payload;
    std::vector<std::size_t> batch_channels;
    std::size_t next_key = 0;
    double owed = 0;  // items due but not yet sent (fractional batches)
    const std::int64_t start = now_ns(), stop = start + std::int64_t(o.duration_s * 1e9);
    for (std::size_t b = 0; !expired(); ++b) {
        std::int64_t due = start + std::int64_t(double(b) * interval_ns);
        if (due >= stop || now_ns() >= stop) break;  // a late publisher stops on time too
        while (now_ns() < due && !expired())
            std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<std::int64_t>(due - now_ns(), 20'000'000)));
        owed += per_s / o.batches_per_s;
        auto n = std::size_t(owed);
        owed -= double(n);
        if (n == 0) continue;
        if (fd < 0) {
            fd = connect_blocking(port, 10);
            carry.clear();
            if (fd < 0) {
                ++res.errors;
                ++res.error_samples["connect to internal listener failed"];
                continue;
            }
        }
        std::int64_t t = now_ns();
        payload = "{\"events\":[";
        batch_channels.clear();
        for (std::size_t k = 0; k < n; ++k) {
            if (k) payload += ',';
            if (ticker) {
                std::size_t key = next_key++ % o.keys;
                payload += "{\"channel\":\"ticker:bench\",\"key\":\"k" + std::to_string(key) + "\",\"data\":{\"p\":" +
                           std::to_string(100000 + (b * 7 + key) % 5000) + ",\"t\":" + std::to_string(t) + "}}";
            } else {
                std::size_t ch = pick(rng);
                batch_channels.push_back(ch);
                payload += "{\"channel\":\"user:" + std::to_string(ch) + "\",\"key\":\"n\",\"incr\":1}";
            }
        }
        payload += "]}";
        req = "POST /v1/publish HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
              std::to_string(payload.size()) + "\r\n\r\n" + payload;
        if (res.first_send_ns == 0) res.first_send_ns = t;
        int status = send_all(fd, req) ? read_response(fd, carry, body) : 0;
        std::int64_t back = now_ns();
        ++res.requests;
        res.rtt_us.push_back(std::uint32_t((back - t) / 1000));
        if (status != 200) {
            res.errors += n;
            if (status == 0) res.unknown += n;
            ++res.error_samples[status == 0 ? "no reply (connection failed)"
                                            : "status " + std::to_string(status) + ": " + body.substr(0, 120)];
            if (status == 0) {
                close(fd);
                fd = -1;
            }
            continue;
        }
        res.last_reply_ns = back;
        if (ticker) {  // cheap: count the per-item errors
            std::size_t errs = 0;
            for (auto p = body.find("\"error\""); p != std::string::npos; p = body.find("\"error\"", p + 1)) ++errs;
            res.published += n - std::min(errs, n);
            res.errors += errs;
            if (errs) ++res.error_samples["item error: " + body.substr(body.find("\"error\""), 120)];
            continue;
        }
        auto reply = nlohmann::json::parse(body, nullptr, false);
        const auto* results = reply.is_object() && reply.contains("results") ? &reply["results"] : nullptr;
        for (std::size_t k = 0; k < n; ++k) {
            if (results && k < results->size() && (*results)[k].contains("value")) {
                ++res.published;
                ++res.acked[batch_channels[k]];
            } else {
                ++res.errors;
                ++res.error_samples[results && k < results->size() ? "item: " + (*results)[k].dump().substr(0, 120)
                                                                   : "reply without results"];
            }
        }
    }
    if (fd >= 0) close(fd);
    done.store(true);
}

}  // namespace herald::bench
