// publisher: publishes the benchmark's timestamped events over one keep-alive connection,
// one request in flight at a time, reconnecting after a failed one.
#include "bench/publisher.hpp"

#include <algorithm>
#include <chrono>
#include <thread>
#include <unistd.h>

#include "bench/bench_common.hpp"

namespace herald::bench {

void run_publisher(const options& o, int port, publisher_result& res, std::atomic<bool>& done) {
    int fd = -1;
    std::string carry, body, req;
    const std::string pad_source(o.payload_bytes, 'x');
    std::int64_t start = now_ns();
    for (std::size_t i = 0; i < o.events && !expired(); ++i) {
        if (o.rate > 0) {
            std::int64_t due = start + std::int64_t(double(i) * 1e9 / o.rate);
            while (now_ns() < due && !expired()) {
                std::int64_t left = due - now_ns();
                if (left > 0)
                    std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<std::int64_t>(left, 50'000'000)));
            }
        }
        if (fd < 0) {
            fd = connect_blocking(port, 10);
            carry.clear();
            if (fd < 0) {
                ++res.errors;
                ++res.error_samples["connect to internal listener failed"];
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
                continue;
            }
        }
        std::int64_t t = now_ns();
        std::string payload = "{\"i\":" + std::to_string(i) + ",\"t\":" + std::to_string(t) + ",\"pad\":\"";
        std::size_t pad = o.payload_bytes > payload.size() + 2 ? o.payload_bytes - payload.size() - 2 : 1;
        payload.append(pad_source, 0, pad).append("\"}");
        req = "POST /v1/channels/" + o.channel +
              "/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
              std::to_string(payload.size()) + "\r\n\r\n" + payload;
        if (res.first_send_ns == 0) res.first_send_ns = t;
        int status = send_all(fd, req) ? read_response(fd, carry, body) : 0;
        std::int64_t back = now_ns();
        res.rtt_us.push_back(std::uint32_t((back - t) / 1000));
        if (status == 200) {
            ++res.published;
            res.last_reply_ns = back;
        } else {
            ++res.errors;
            ++res.error_samples[status == 0 ? "no reply (connection failed)"
                                            : "status " + std::to_string(status) + ": " + body.substr(0, 120)];
            if (status == 0) {
                close(fd);
                fd = -1;
            }
        }
    }
    if (fd >= 0) close(fd);
    done.store(true);
}

}  // namespace herald::bench
