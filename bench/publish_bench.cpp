// publish_bench: the publish path with no subscriber. Starts the real `herald serve` (or targets
// an external server, e.g. Nchan, with --url and --server-pid), drives C keep-alive HTTP/1.1
// publisher connections from one epoll thread, one request in flight on each, and prints one
// JSON line: publishes/s and the server's CPU per publish split into user and kernel time (from
// /proc/PID/stat over the measured window), with the machine's other load in the same window.
// See bench/README.md, "Publish path".
#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <fcntl.h>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <netdb.h>
#include <netinet/tcp.h>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "bench/bench_common.hpp"
#include "bench/bench_options.hpp"
#include "bench/publish_bench_options.hpp"
#include "bench/server_process.hpp"

namespace herald::bench {
namespace {

using ojson = nlohmann::ordered_json;

struct cpu_split {
    double user_us = 0, kernel_us = 0;
    bool ok = true;
};

// utime and stime of a process (all its threads), from /proc/PID/stat.
cpu_split read_cpu_split(pid_t pid) {
    cpu_split c;
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto rp = all.rfind(')');
    if (rp == std::string::npos) {
        c.ok = false;
        return c;
    }
    std::istringstream in(all.substr(rp + 2));
    std::vector<std::string> tok;
    std::string t;
    while (in >> t && tok.size() < 13) tok.push_back(t);
    if (tok.size() < 13) {
        c.ok = false;
        return c;
    }
    const double tick_us = 1e6 / double(sysconf(_SC_CLK_TCK));
    c.user_us = std::stod(tok[11]) * tick_us;
    c.kernel_us = std::stod(tok[12]) * tick_us;
    return c;
}

cpu_split read_cpu_split(const std::vector<pid_t>& pids) {
    cpu_split sum;
    for (pid_t p : pids) {
        auto c = read_cpu_split(p);
        sum.ok = sum.ok && c.ok;
        sum.user_us += c.user_us;
        sum.kernel_us += c.kernel_us;
    }
    return sum;
}

cpu_split self_cpu_split() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    cpu_split c;
    c.user_us = double(ru.ru_utime.tv_sec) * 1e6 + double(ru.ru_utime.tv_usec);
    c.kernel_us = double(ru.ru_stime.tv_sec) * 1e6 + double(ru.ru_stime.tv_usec);
    return c;
}

// Busy CPU of the whole machine (all CPUs), µs, from the first line of /proc/stat.
double machine_busy_us() {
    std::ifstream f("/proc/stat");
    std::string cpu;
    f >> cpu;
    double v[10] = {};
    for (double& x : v) f >> x;
    double total = 0;
    for (int i = 0; i < 8; ++i) total += v[i];  // guest time is already in user
    double busy = total - v[3] - v[4];          // minus idle and iowait
    return busy * 1e6 / double(sysconf(_SC_CLK_TCK));
}

double load_avg_1m() {
    std::ifstream f("/proc/loadavg");
    double l = -1;
    f >> l;
    return l;
}

struct target {
    std::string host = "127.0.0.1";
    int port = 0;
    std::string path;  // may hold {ch}
};

target parse_url(const std::string& url) {
    target t;
    std::string rest = url.substr(7);  // after http://
    auto slash = rest.find('/');
    std::string hostport = rest.substr(0, slash);
    t.path = slash == std::string::npos ? "/" : rest.substr(slash);
    auto colon = hostport.rfind(':');
    t.host = hostport.substr(0, colon);
    t.port = colon == std::string::npos ? 80 : std::stoi(hostport.substr(colon + 1));
    return t;
}

int connect_to(const target& t) {
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (getaddrinfo(t.host.c_str(), std::to_string(t.port).c_str(), &hints, &res) != 0 || !res) return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rc = fd < 0 ? -1 : connect(fd, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    if (rc != 0) {
        if (fd >= 0) close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

struct connection {
    int fd = -1;
    std::string path;     // request target
    std::string channel;  // for the JSON envelope
    std::string out;
    std::size_t sent = 0;
    std::string in;
    std::int64_t sent_at = 0;
    bool in_flight = false;
    bool failed = false;
};

struct stats {
    std::size_t replies = 0;  // 2xx in the current phase
    std::size_t errors = 0;
    std::map<std::string, std::size_t> error_samples;
    std::vector<std::uint32_t> rtt_us;
    int first_status = 0;
    std::string first_body;
};

class publisher_pool {
public:
    publisher_pool(const publish_options& o, const target& t) : o_(o), t_(t) {
        ep_ = epoll_create1(EPOLL_CLOEXEC);
        pad_.assign(o.payload_bytes, 'x');
    }
    ~publisher_pool() {
        for (auto& c : conns_)
            if (c.fd >= 0) close(c.fd);
        close(ep_);
    }

    // Opens every connection; false (with a reason) when one cannot be opened.
    bool open_all(std::string& why) {
        conns_.resize(o_.connections);
        for (std::size_t i = 0; i < conns_.size(); ++i) {
            auto& c = conns_[i];
            c.channel = o_.channels == 1 ? o_.channel : o_.channel + "-" + std::to_string(i % o_.channels);
            if (!o_.url.empty()) {
                c.path = t_.path;
                for (auto p = c.path.find("{ch}"); p != std::string::npos; p = c.path.find("{ch}"))
                    c.path.replace(p, 4, c.channel);
            } else {
                c.path = o_.api == publish_api::raw ? "/v1/channels/" + c.channel + "/events" : "/v1/publish";
            }
            c.fd = connect_to(t_);
            if (c.fd < 0) {
                why = "connect to " + t_.host + ":" + std::to_string(t_.port) + " failed: " + errno_name(errno);
                return false;
            }
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u64 = i;
            epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev);
        }
        return true;
    }

    void start() {
        for (std::size_t i = 0; i < conns_.size(); ++i) send_next(i);
    }

    // Runs until `until` (monotonic ns) or until the phase has `max_replies` 2xx replies (0: no cap).
    void run(std::int64_t until, std::size_t max_replies) {
        epoll_event evs[64];
        while (!g_interrupted.load() && now_ns() < until && (max_replies == 0 || st.replies < max_replies) &&
               now_ns() < g_deadline_ns.load()) {
            int n = epoll_wait(ep_, evs, 64, 10);
            for (int k = 0; k < n; ++k) on_event(evs[k].data.u64, evs[k].events);
            if (live() == 0) break;
        }
    }

    // Stops sending, waits for the replies in flight (bounded).
    void drain(double seconds) {
        stopping_ = true;
        std::int64_t until = now_ns() + std::int64_t(seconds * 1e9);
        epoll_event evs[64];
        while (now_ns() < until && in_flight() > 0) {
            int n = epoll_wait(ep_, evs, 64, 10);
            for (int k = 0; k < n; ++k) on_event(evs[k].data.u64, evs[k].events);
        }
    }

    std::size_t live() const {
        std::size_t n = 0;
        for (auto& c : conns_) n += c.fd >= 0;
        return n;
    }
    std::size_t in_flight() const {
        std::size_t n = 0;
        for (auto& c : conns_) n += c.fd >= 0 && c.in_flight;
        return n;
    }

    stats st;

private:
    void fail(std::size_t i, const std::string& why) {
        auto& c = conns_[i];
        ++st.errors;
        ++st.error_samples[why];
        if (c.fd >= 0) {
            epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
            close(c.fd);
        }
        c.fd = -1;
        c.in_flight = false;
    }

    void send_next(std::size_t i) {
        auto& c = conns_[i];
        if (stopping_ || c.fd < 0) return;
        std::string body = "{\"i\":" + std::to_string(seq_++) + ",\"pad\":\"";
        std::size_t pad = o_.payload_bytes > body.size() + 2 ? o_.payload_bytes - body.size() - 2 : 1;
        body.append(pad_, 0, pad).append("\"}");
        if (o_.url.empty() && o_.api == publish_api::json)
            body = "{\"channel\":\"" + c.channel + "\",\"data\":" + body + "}";
        c.out.clear();
        c.out.append("POST ").append(c.path).append(" HTTP/1.1\r\nHost: ").append(t_.host);
        c.out.append("\r\nContent-Type: application/json\r\nContent-Length: ").append(std::to_string(body.size()));
        c.out.append("\r\n\r\n").append(body);
        c.sent = 0;
        c.in_flight = true;
        c.sent_at = now_ns();
        flush(i);
    }

    void flush(std::size_t i) {
        auto& c = conns_[i];
        while (c.sent < c.out.size()) {
            ssize_t n = send(c.fd, c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
            if (n > 0) {
                c.sent += std::size_t(n);
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno == EAGAIN) {
                epoll_event ev{};
                ev.events = EPOLLIN | EPOLLOUT;
                ev.data.u64 = i;
                epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
                return;
            }
            fail(i, "send failed: " + errno_name(errno));
            return;
        }
    }

    void on_event(std::size_t i, std::uint32_t events) {
        auto& c = conns_[i];
        if (c.fd < 0) return;
        if (events & EPOLLOUT) {
            flush(i);
            if (c.fd >= 0 && c.sent == c.out.size()) {
                epoll_event ev{};
                ev.events = EPOLLIN;
                ev.data.u64 = i;
                epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
            }
        }
        if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP))) return;
        char buf[16384];
        for (;;) {
            ssize_t n = recv(c.fd, buf, sizeof buf, 0);
            if (n > 0) {
                c.in.append(buf, std::size_t(n));
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno == EAGAIN) break;
            fail(i, n == 0 ? "connection closed by the server" : "recv failed: " + errno_name(errno));
            return;
        }
        while (c.fd >= 0 && parse_one(i)) {
        }
    }

    // One complete response at the front of c.in: account for it, send the next request.
    bool parse_one(std::size_t i) {
        auto& c = conns_[i];
        auto head_end = c.in.find("\r\n\r\n");
        if (head_end == std::string::npos) {
            if (c.in.size() > 65536) fail(i, "response head over 64 KiB");
            return false;
        }
        if (c.in.size() < 12 || c.in.compare(0, 5, "HTTP/") != 0) {
            fail(i, "not an HTTP response: " + c.in.substr(0, 60));
            return false;
        }
        int status = 0;
        std::from_chars(c.in.data() + 9, c.in.data() + 12, status);
        std::string head = c.in.substr(0, head_end);
        for (auto& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        std::size_t body_start = head_end + 4, body_len = 0, total = 0;
        bool close_after = head.find("\r\nconnection: close") != std::string::npos;
        if (auto cl = head.find("\r\ncontent-length:"); cl != std::string::npos) {
            auto p = head.c_str() + cl + 17;
            while (*p == ' ') ++p;
            std::from_chars(p, head.c_str() + head.size(), body_len);
            total = body_start + body_len;
            if (c.in.size() < total) return false;
        } else if (head.find("\r\ntransfer-encoding: chunked") != std::string::npos) {
            auto end = c.in.find("\r\n0\r\n\r\n", head_end);
            if (c.in.compare(body_start, 5, "0\r\n\r\n") == 0) end = head_end;  // empty body
            if (end == std::string::npos) return false;
            total = end + 7;
            body_len = end > body_start ? end - body_start : 0;
        } else if (status == 204 || status == 304) {
            total = body_start;
        } else {
            fail(i, "response with neither Content-Length nor chunked body");
            return false;
        }
        std::int64_t back = now_ns();
        if (st.first_status == 0) {
            st.first_status = status;
            st.first_body = c.in.substr(body_start, std::min<std::size_t>(body_len, 300));
        }
        if (status >= 200 && status < 300) {
            ++st.replies;
            st.rtt_us.push_back(std::uint32_t(std::min<std::int64_t>((back - c.sent_at) / 1000, 0xffffffff)));
        } else {
            ++st.errors;
            ++st.error_samples["status " + std::to_string(status) + ": " +
                               c.in.substr(body_start, std::min<std::size_t>(body_len, 120))];
        }
        c.in.erase(0, total);
        c.in_flight = false;
        if (close_after) {
            fail(i, "server closed the keep-alive connection (Connection: close)");
            return false;
        }
        send_next(i);
        return true;
    }

    const publish_options& o_;
    target t_;
    int ep_;
    std::string pad_;
    std::vector<connection> conns_;
    std::uint64_t seq_ = 0;
    bool stopping_ = false;
};

int run(const publish_options& o) {
    g_deadline_ns = now_ns() + std::int64_t(o.time_limit_s * 1e9);
    ojson out;
    std::vector<std::string> problems;
    const bool external = !o.url.empty();

    target t;
    server_process srv;
    std::vector<pid_t> pids = o.server_pids;
    int internal_port = 0;
    if (external) {
        t = parse_url(o.url);
        if (!read_cpu_split(pids).ok) {
            std::cerr << "publish_bench: cannot read /proc/PID/stat of --server-pid\n";
            return 1;
        }
    } else {
        if (access(o.herald.c_str(), X_OK) != 0) {
            std::cerr << "publish_bench: herald binary '" << o.herald << "' is not executable (use --herald PATH)\n";
            return 2;
        }
        auto [public_port, iport] = free_ports();
        internal_port = iport;
        options so;  // spawn_herald takes fanout_bench's options: only these fields are read
        so.herald = o.herald;
        so.threads = o.threads;
        so.log_level = o.log_level;
        so.server_log = o.server_log;
        so.server_args = o.server_args;
        srv = spawn_herald(so, public_port, internal_port, 0);
        pids = {srv.pid};
        t.port = internal_port;
        bool up = false;
        for (std::int64_t until = now_ns() + 10'000'000'000; now_ns() < until && !expired();) {
            std::string body;
            if (http_get(internal_port, "/readyz", body, 1) == 200) {
                up = true;
                break;
            }
            if (!srv.alive()) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        if (!up) {
            std::cerr << "publish_bench: herald did not come up ready (" << srv.describe() << "); log: " << o.server_log
                      << "\n";
            if (srv.alive()) {
                kill(srv.pid, SIGKILL);
                waitpid(srv.pid, nullptr, 0);
            }
            return 1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    auto server_alive = [&] { return external ? read_cpu_split(pids).ok : srv.alive(); };

    double load_before = load_avg_1m();
    publisher_pool pool(o, t);
    std::string why;
    bool opened = pool.open_all(why);
    stats warm;
    std::int64_t w0 = 0, w1 = 0;
    cpu_split s0, s1, me0, me1;
    double busy0 = 0, busy1 = 0;
    if (opened) {
        pool.start();
        if (o.warmup_s > 0) pool.run(now_ns() + std::int64_t(o.warmup_s * 1e9), 0);
        warm = std::move(pool.st);
        pool.st = stats{};
        pool.st.first_status = warm.first_status;
        pool.st.first_body = warm.first_body;
        s0 = read_cpu_split(pids);
        me0 = self_cpu_split();
        busy0 = machine_busy_us();
        w0 = now_ns();
        pool.run(o.count > 0 ? g_deadline_ns.load() : w0 + std::int64_t(o.duration_s * 1e9), o.count);
        w1 = now_ns();
        s1 = read_cpu_split(pids);
        me1 = self_cpu_split();
        busy1 = machine_busy_us();
        pool.drain(5);
    } else {
        problems.push_back(why);
    }
    double load_after = load_avg_1m();
    bool timed_out = g_interrupted.load() || now_ns() >= g_deadline_ns.load();

    ojson metrics = ojson::object();
    std::string stop_note;
    if (!external) {
        if (srv.alive()) {
            std::string body;
            if (http_get(internal_port, "/metrics", body, 5) == 200) {
                auto all = parse_metrics(body);
                for (auto& [k, v] : all.items())  // the non-zero counters; no histogram or label rows
                    if (k.find('{') == std::string::npos && v != 0.0) metrics[k] = v;
            }
            kill(srv.pid, SIGTERM);
            std::int64_t until = now_ns() + 10'000'000'000;
            while (srv.alive() && now_ns() < until) std::this_thread::sleep_for(std::chrono::milliseconds(10));
            if (srv.alive()) {
                stop_note = "did not stop in time after SIGTERM; killed";
                kill(srv.pid, SIGKILL);
                waitpid(srv.pid, &srv.status, 0);
                srv.exited = true;
            } else {
                stop_note = srv.describe();
            }
        } else {
            stop_note = "died during the run: " + srv.describe();
            problems.push_back("herald " + stop_note);
        }
    } else if (!server_alive()) {
        problems.push_back("the external server process is gone");
    }

    auto& st = pool.st;
    const double window_s = double(std::max<std::int64_t>(w1 - w0, 1)) / 1e9;
    const double n = double(std::max<std::size_t>(st.replies, 1));
    const double su = s1.user_us - s0.user_us, sk = s1.kernel_us - s0.kernel_us;
    const double cu = me1.user_us - me0.user_us, ck = me1.kernel_us - me0.kernel_us;
    const double other_s = ((busy1 - busy0) - (su + sk) - (cu + ck)) / 1e6;
    if (timed_out) problems.push_back(g_interrupted ? "interrupted" : "time limit hit");
    if (st.errors) problems.push_back(std::to_string(st.errors) + " errors");
    if (pool.live() < o.connections)
        problems.push_back(std::to_string(o.connections - pool.live()) + " connections lost");

    if (!o.label.empty()) out["label"] = o.label;
    out["target"] = external ? o.url : std::string("herald");
    if (!external) out["api"] = o.api == publish_api::raw ? "raw" : "json";
    out["connections"] = o.connections;
    out["channels"] = o.channels;
    out["publishes"] = st.replies;
    out["publishes_per_s"] = std::round(double(st.replies) / window_s);
    out["server_cpu_us_per_publish"] = {{"user", round3(su / n)}, {"kernel", round3(sk / n)}, {"total", round3((su + sk) / n)}};
    out["server_cpu_s"] = {{"user", round3(su / 1e6)}, {"kernel", round3(sk / 1e6)}};
    out["window_s"] = round3(window_s);
    out["client_cpu_us_per_publish"] = {{"user", round3(cu / n)}, {"kernel", round3(ck / n)}};
    out["other_cpu_s"] = round3(other_s);
    out["load_avg"] = {{"before", load_before}, {"after", load_after}};
    std::vector<std::uint32_t> rtt = st.rtt_us;
    out["rtt_us"] = {{"p50", percentile(rtt, 0.5)}, {"p99", percentile(rtt, 0.99)}, {"max", percentile(rtt, 1.0)}};
    out["errors"] = st.errors;
    out["error_samples"] = st.error_samples;
    out["warmup"] = {{"seconds", o.warmup_s}, {"publishes", warm.replies}, {"errors", warm.errors}};
    out["reply"] = {{"status", st.first_status}, {"body", st.first_body}};
    out["payload_bytes"] = o.payload_bytes;
    if (!external) {
        out["threads"] = o.threads;
        out["server_metrics"] = metrics;
        out["server_stop"] = stop_note;
        out["server_log"] = server_log_summary(o.server_log);
    } else {
        out["server_pids"] = pids;
    }
    out["problems"] = problems;
    std::cout << out.dump() << std::endl;
    return problems.empty() ? 0 : 1;
}

}  // namespace
}  // namespace herald::bench

int main(int argc, char** argv) {
    using namespace herald::bench;
    publish_options o = parse_publish_args(argc, argv);
    return run_tool("publish_bench", [&] { return run(o); });
}
