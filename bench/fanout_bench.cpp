// fanout_bench: spawns the real `herald serve`, opens N SSE subscribers on one channel from a
// single-threaded epoll client, publishes M timestamped events over the internal API and prints
// one JSON line: deliveries/s, latency, server CPU per delivery, server RSS per idle connection,
// and the raw loopback write() floor measured in the same run (so figures compare as ratios).
#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <map>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#ifndef HERALD_DEFAULT_BINARY
#define HERALD_DEFAULT_BINARY "herald"
#endif

namespace {

using ojson = nlohmann::ordered_json;

std::int64_t now_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::int64_t thread_cpu_ns() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

double self_cpu_us() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

std::atomic<bool> g_interrupted{false};
pid_t g_server_pid = -1;  // killed if the run ends by an exception
std::int64_t g_deadline_ns = 0;
bool expired() { return g_interrupted.load() || now_ns() >= g_deadline_ns; }

// ---------------------------------------------------------------- options

struct options {
    std::string herald = HERALD_DEFAULT_BINARY;
    std::size_t subscribers = 10000;
    std::size_t events = 200;
    double rate = 0;
    unsigned threads = 2;
    std::size_t connect_window = 500;
    double time_limit_s = 120;
    double drain_idle_s = 5;
    double connect_timeout_s = 10;
    std::size_t payload_bytes = 100;
    std::size_t raw_sockets = 1000;
    std::size_t raw_writes = 8000;
    std::string log_level = "warn";
    std::string server_log;
    std::string channel = "bench";
    std::vector<std::string> server_args;
};

const char* usage_text =
    "Usage: fanout_bench [options]\n"
    "\n"
    "Fan-out benchmark for herald: starts `herald serve` on free loopback ports, opens N SSE\n"
    "subscribers on one channel from a single-threaded epoll client, publishes M events of\n"
    "about 100 bytes (each carrying its send time) over the internal API with a keep-alive\n"
    "connection, and prints one JSON line of figures. Stops herald with SIGTERM at the end.\n"
    "Exit status: 0 run complete, 1 time limit hit / server died / setup failed, 2 usage error.\n"
    "\n"
    "Options:\n"
    "  --herald PATH          herald binary (default: " HERALD_DEFAULT_BINARY ")\n"
    "  --subscribers N        SSE subscribers on the channel (default 10000)\n"
    "  --events M             events to publish (default 200)\n"
    "  --rate R               publishes per second; 0 = as fast as possible (default 0)\n"
    "  --threads T            herald I/O threads (default 2)\n"
    "  --connect-window W     connects in flight at once (default 500)\n"
    "  --connect-timeout S    seconds one subscriber may take to get its stream head (default 10)\n"
    "  --time-limit S         total wall-clock limit in seconds (default 120)\n"
    "  --drain-idle S         stop waiting for deliveries after S seconds without one (default 5)\n"
    "  --payload-bytes B      size of each published body (default 100)\n"
    "  --raw-sockets K        loopback pairs for the raw write() floor (default 1000)\n"
    "  --raw-writes W         100-byte writes timed for the floor (default 8000)\n"
    "  --log-level L          herald --log-level (default warn)\n"
    "  --server-log PATH      herald's stderr/stdout (default /tmp/fanout_bench-PID.log)\n"
    "  --server-arg ARG       extra argument for `herald serve` (repeatable)\n"
    "  --help                 this text\n"
    "\n"
    "Examples:\n"
    "  fanout_bench                                     # 10,000 subscribers x 200 events, flat out\n"
    "  fanout_bench --rate 2 --events 20                # below saturation: time to the last subscriber\n"
    "  fanout_bench --subscribers 1000 --events 2000    # fewer subscribers, many events (coalescing)\n"
    "  fanout_bench --threads 1 --server-arg --outbox-bytes --server-arg 65536\n"
    "\n"
    "Output fields: deliveries, missing (= connected x events - deliveries), deliveries_per_s over\n"
    "the publish+drain window, latency_ms {p50,p99,max} from the payload timestamp to the read()\n"
    "that returned it (client lag included), time_to_last_ms per event, server_cpu_us_per_delivery\n"
    "(herald utime+stime over the publish+drain window / deliveries), rss_kib_per_idle_conn (herald\n"
    "VmRSS delta / connected subscribers; kernel socket memory is not in RSS), raw_write_us (CPU of\n"
    "one 100-byte write() to a loopback TCP socket with a draining reader, measured in this run).\n";

[[noreturn]] void usage_error(const std::string& msg) {
    std::cerr << "fanout_bench: " << msg << "\nTry 'fanout_bench --help'.\n";
    std::exit(2);
}

options parse_args(int argc, char** argv) {
    options o;
    auto num = [](const std::string& name, const std::string& v, double lo, double hi) {
        double d = 0;
        try {
            std::size_t used = 0;
            d = std::stod(v, &used);
            if (used != v.size()) throw std::invalid_argument(v);
        } catch (const std::exception&) {
            usage_error(name + ": '" + v + "' is not a number");
        }
        if (d < lo || d > hi) usage_error(name + ": " + v + " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
        return d;
    };
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i], v;
        if (a == "--help" || a == "-h") {
            std::cout << usage_text;
            std::exit(0);
        }
        auto eq = a.find('=');
        bool has_inline = a.rfind("--", 0) == 0 && eq != std::string::npos;
        if (has_inline) {
            v = a.substr(eq + 1);
            a = a.substr(0, eq);
        }
        auto value = [&]() -> std::string {
            if (has_inline) return v;
            if (i + 1 >= argc) usage_error(a + " needs a value");
            return argv[++i];
        };
        if (a == "--herald") o.herald = value();
        else if (a == "--subscribers") o.subscribers = std::size_t(num(a, value(), 1, 1e6));
        else if (a == "--events") o.events = std::size_t(num(a, value(), 1, 1e7));
        else if (a == "--rate") o.rate = num(a, value(), 0, 1e7);
        else if (a == "--threads") o.threads = unsigned(num(a, value(), 1, 256));
        else if (a == "--connect-window") o.connect_window = std::size_t(num(a, value(), 1, 1e6));
        else if (a == "--connect-timeout") o.connect_timeout_s = num(a, value(), 0.1, 3600);
        else if (a == "--time-limit") o.time_limit_s = num(a, value(), 1, 86400);
        else if (a == "--drain-idle") o.drain_idle_s = num(a, value(), 0.1, 3600);
        else if (a == "--payload-bytes") o.payload_bytes = std::size_t(num(a, value(), 40, 60000));
        else if (a == "--raw-sockets") o.raw_sockets = std::size_t(num(a, value(), 1, 5000));
        else if (a == "--raw-writes") o.raw_writes = std::size_t(num(a, value(), 0, 1e7));
        else if (a == "--log-level") o.log_level = value();
        else if (a == "--server-log") o.server_log = value();
        else if (a == "--server-arg") o.server_args.push_back(value());
        else usage_error("unknown option '" + a + "'");
    }
    if (o.server_log.empty()) o.server_log = "/tmp/fanout_bench-" + std::to_string(getpid()) + ".log";
    return o;
}

// ---------------------------------------------------------------- small helpers

std::string errno_name(int e) {
    switch (e) {
        case ECONNREFUSED: return "ECONNREFUSED";
        case ECONNRESET: return "ECONNRESET";
        case ETIMEDOUT: return "ETIMEDOUT";
        case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
        case EMFILE: return "EMFILE";
        case ENFILE: return "ENFILE";
        case EPIPE: return "EPIPE";
        case EAGAIN: return "EAGAIN";
        default: return "errno " + std::to_string(e);
    }
}

sockaddr_in loopback(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    return a;
}

// Two distinct free loopback ports (bound together so they differ; released before use).
std::pair<int, int> free_ports() {
    int fds[2];
    int ports[2];
    for (int k = 0; k < 2; ++k) {
        fds[k] = socket(AF_INET, SOCK_STREAM, 0);
        auto a = loopback(0);
        if (fds[k] < 0 || bind(fds[k], reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
            throw std::runtime_error("cannot bind a loopback port: " + std::string(strerror(errno)));
        socklen_t len = sizeof a;
        getsockname(fds[k], reinterpret_cast<sockaddr*>(&a), &len);
        ports[k] = ntohs(a.sin_port);
    }
    close(fds[0]);
    close(fds[1]);
    return {ports[0], ports[1]};
}

int connect_blocking(int port, double timeout_s) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    timeval tv{static_cast<time_t>(timeout_s), static_cast<suseconds_t>((timeout_s - std::floor(timeout_s)) * 1e6)};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto a = loopback(port);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

bool send_all(int fd, std::string_view s) {
    while (!s.empty()) {
        ssize_t n = send(fd, s.data(), s.size(), MSG_NOSIGNAL);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) continue;
            return false;
        }
        s.remove_prefix(std::size_t(n));
    }
    return true;
}

// Reads one HTTP/1.1 response with Content-Length (herald always sends one). `carry` keeps
// bytes read past the response. Returns the status (0 on failure) and fills `body`.
int read_response(int fd, std::string& carry, std::string& body) {
    char buf[8192];
    std::size_t head_end;
    while ((head_end = carry.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return 0;
        carry.append(buf, std::size_t(n));
        if (carry.size() > 65536) return 0;
    }
    int status = 0;
    if (carry.size() < 12 || carry.compare(0, 5, "HTTP/") != 0) return 0;
    std::from_chars(carry.data() + 9, carry.data() + 12, status);
    std::size_t length = 0;
    std::string head = carry.substr(0, head_end);
    for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto cl = head.find("\r\ncontent-length:");
    if (cl != std::string::npos) {
        auto p = head.c_str() + cl + 17;
        while (*p == ' ') ++p;
        std::from_chars(p, head.c_str() + head.size(), length);
    }
    std::size_t total = head_end + 4 + length;
    while (carry.size() < total) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return 0;
        carry.append(buf, std::size_t(n));
    }
    body = carry.substr(head_end + 4, length);
    carry.erase(0, total);
    return status;
}

// One GET with Connection: close. Returns status (0 on failure).
int http_get(int port, const std::string& path, std::string& body, double timeout_s = 5) {
    int fd = connect_blocking(port, timeout_s);
    if (fd < 0) return 0;
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    int status = 0;
    std::string carry;
    if (send_all(fd, req)) status = read_response(fd, carry, body);
    close(fd);
    return status;
}

long read_rss_kib(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
    return -1;
}

// utime + stime of a process, in microseconds.
double read_cpu_us(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto rp = all.rfind(')');
    if (rp == std::string::npos) return -1;
    std::istringstream in(all.substr(rp + 2));
    std::vector<std::string> tok;
    std::string t;
    while (in >> t && tok.size() < 13) tok.push_back(t);
    if (tok.size() < 13) return -1;
    double ticks = std::stod(tok[11]) + std::stod(tok[12]);
    return ticks * 1e6 / double(sysconf(_SC_CLK_TCK));
}

double percentile(std::vector<std::uint32_t>& v, double p) {
    if (v.empty()) return 0;
    std::size_t k = std::min(v.size() - 1, std::size_t(p * double(v.size() - 1) + 0.5));
    std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(k), v.end());
    return v[k];
}

double round3(double x) { return std::round(x * 1000) / 1000; }

// ---------------------------------------------------------------- raw write() floor

// CPU of one 100-byte write() to a loopback TCP socket: round-robin over K connected pairs,
// TCP_NODELAY like herald, readers drained between rounds (outside the timed part).
double raw_write_floor(std::size_t sockets, std::size_t writes) {
    if (writes == 0) return 0;
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto a = loopback(0);
    if (lfd < 0 || bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(lfd, 4096) != 0)
        throw std::runtime_error("raw floor: cannot listen on loopback");
    socklen_t len = sizeof a;
    getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len);
    int port = ntohs(a.sin_port);
    std::vector<int> writers, readers;
    for (std::size_t k = 0; k < sockets; ++k) {
        int c = connect_blocking(port, 5);
        int s = c >= 0 ? accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC) : -1;
        if (c < 0 || s < 0) {
            if (c >= 0) close(c);
            break;
        }
        int one = 1;
        setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(c, F_SETFL, O_NONBLOCK);
        writers.push_back(s);
        readers.push_back(c);
    }
    close(lfd);
    if (writers.empty()) throw std::runtime_error("raw floor: no loopback pair could be made");
    char msg[100];
    std::memset(msg, 'x', sizeof msg);
    static char sink[65536];
    auto drain = [&] {
        for (int r : readers)
            while (read(r, sink, sizeof sink) > 0) {
            }
    };
    for (int w : writers) (void)!write(w, msg, sizeof msg);  // warm-up round, not timed
    drain();
    std::int64_t cpu = 0;
    std::size_t done = 0;
    while (done < writes) {
        std::int64_t t0 = thread_cpu_ns();
        std::size_t k = 0;
        for (; k < writers.size() && done < writes; ++k, ++done) (void)!write(writers[k], msg, sizeof msg);
        cpu += thread_cpu_ns() - t0;
        drain();
    }
    for (int fd : writers) close(fd);
    for (int fd : readers) close(fd);
    return double(cpu) / 1000.0 / double(writes);
}

// ---------------------------------------------------------------- herald process

struct server_process {
    pid_t pid = -1;
    bool exited = false;
    int status = 0;

    bool alive() {
        if (pid < 0 || exited) return false;
        int st = 0;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) {
            exited = true;
            status = st;
            return false;
        }
        return true;
    }
    std::string describe() const {
        if (!exited) return "running";
        if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
        if (WIFSIGNALED(status)) return std::string("signal ") + strsignal(WTERMSIG(status));
        return "unknown";
    }
};

server_process spawn_herald(const options& o, int public_port, int internal_port, std::size_t max_conns) {
    std::vector<std::string> args = {o.herald,
                                     "serve",
                                     "--public",
                                     "127.0.0.1:" + std::to_string(public_port),
                                     "--internal",
                                     "127.0.0.1:" + std::to_string(internal_port),
                                     "--threads",
                                     std::to_string(o.threads),
                                     "--log-level",
                                     o.log_level};
    if (max_conns > 20000) {
        args.push_back("--max-connections");
        args.push_back(std::to_string(max_conns));
    }
    for (const auto& a : o.server_args) args.push_back(a);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int logfd = open(o.server_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (logfd < 0) throw std::runtime_error("cannot open server log " + o.server_log + ": " + strerror(errno));
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + strerror(errno));
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(logfd, 1);
        dup2(logfd, 2);
        signal(SIGPIPE, SIG_DFL);
        execv(argv[0], argv.data());
        std::fprintf(stderr, "fanout_bench: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(logfd);
    server_process p;
    p.pid = pid;
    g_server_pid = pid;
    return p;
}

// ---------------------------------------------------------------- subscribers

enum class sub_state : std::uint8_t { idle, connecting, awaiting_head, awaiting_id, live, failed, closed };

struct subscriber {
    int fd = -1;
    sub_state state = sub_state::idle;
    std::int32_t last_index = -1;
    std::uint32_t received = 0;
    std::int64_t started_ns = 0;
    std::string partial;  // head bytes, then an incomplete SSE line
};

struct run_stats {
    std::size_t ready = 0, failed = 0, in_flight = 0;
    std::map<std::string, std::size_t> failure_reasons;
    std::size_t deliveries = 0, duplicates = 0, out_of_order = 0, unparsed = 0, early_data = 0;
    std::size_t closed_while_live = 0, closed_on_stop = 0, disconnect_events = 0;
    std::int64_t last_delivery_ns = 0;
    std::vector<std::uint32_t> latencies_us;
    std::vector<std::uint32_t> event_count;
    std::vector<std::int64_t> event_max_ns;
};

class client {
public:
    client(const options& o, int port) : o_(o), port_(port), subs_(o.subscribers) {
        ep_ = epoll_create1(EPOLL_CLOEXEC);
        if (ep_ < 0) throw std::runtime_error("epoll_create1 failed");
        stats.event_count.assign(o.events, 0);
        stats.event_max_ns.assign(o.events, 0);
        stats.latencies_us.reserve(std::min<std::size_t>(o.subscribers * o.events, 50'000'000));
        request_ = "GET /v1/sse?channel=" + o.channel +
                   " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nUser-Agent: fanout_bench\r\n\r\n";
    }
    ~client() {
        close_all();
        close(ep_);
    }

    run_stats stats;
    bool stopping = false;  // herald was asked to stop: closed streams are expected

    // Opens all subscribers, at most connect_window at once; returns when each is live or failed.
    void connect_all(server_process& srv) {
        std::size_t next = 0;
        std::int64_t last_scan = now_ns();
        while (stats.ready + stats.failed < subs_.size()) {
            while (stats.in_flight < o_.connect_window && next < subs_.size()) start(next++);
            poll(5);
            std::int64_t now = now_ns();
            if (now - last_scan > 100'000'000) {
                last_scan = now;
                auto limit = std::int64_t(o_.connect_timeout_s * 1e9);
                for (std::size_t i = 0; i < next; ++i) {
                    auto& s = subs_[i];
                    bool pending = s.state == sub_state::connecting || s.state == sub_state::awaiting_head ||
                                   s.state == sub_state::awaiting_id;
                    if (pending && now - s.started_ns > limit) fail(i, "timeout waiting for stream head");
                }
                if (!srv.alive()) return;
            }
            if (expired()) return;
        }
    }

    std::size_t live() const { return stats.ready - stats.closed_while_live; }

    void poll(int timeout_ms) {
        epoll_event evs[1024];
        int n = epoll_wait(ep_, evs, 1024, timeout_ms);
        for (int k = 0; k < n; ++k) on_event(evs[k].data.u32, evs[k].events);
    }

    void close_all() {
        for (auto& s : subs_)
            if (s.fd >= 0) {
                close(s.fd);
                s.fd = -1;
            }
    }

private:
    void start(std::size_t i) {
        auto& s = subs_[i];
        s.started_ns = now_ns();
        s.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (s.fd < 0) {
            s.state = sub_state::failed;
            ++stats.failed;
            ++stats.failure_reasons["socket: " + errno_name(errno)];
            return;
        }
        ++stats.in_flight;
        s.state = sub_state::connecting;
        auto a = loopback(port_);
        int r = connect(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        if (r != 0 && errno != EINPROGRESS) {
            fail(i, "connect: " + errno_name(errno));
            return;
        }
        epoll_event ev{};
        ev.events = EPOLLOUT | EPOLLIN;
        ev.data.u32 = static_cast<std::uint32_t>(i);
        epoll_ctl(ep_, EPOLL_CTL_ADD, s.fd, &ev);
    }

    void fail(std::size_t i, const std::string& why) {
        auto& s = subs_[i];
        if (s.state == sub_state::live && stopping) {
            ++stats.closed_on_stop;
            s.state = sub_state::closed;
        } else if (s.state == sub_state::live) {
            ++stats.closed_while_live;
            ++stats.failure_reasons["closed while live: " + why];
            s.state = sub_state::closed;
        } else {
            ++stats.failed;
            --stats.in_flight;
            ++stats.failure_reasons[why];
            s.state = sub_state::failed;
        }
        if (s.fd >= 0) {
            close(s.fd);  // also removes it from the epoll set
            s.fd = -1;
        }
        s.partial.clear();
        s.partial.shrink_to_fit();
    }

    void on_event(std::uint32_t i, std::uint32_t events) {
        auto& s = subs_[i];
        if (s.fd < 0) return;
        if (s.state == sub_state::connecting) {
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) {
                fail(i, "connect: " + errno_name(err ? err : ECONNRESET));
                return;
            }
            if (!(events & EPOLLOUT)) return;
            ssize_t n = send(s.fd, request_.data(), request_.size(), MSG_NOSIGNAL);
            if (n != ssize_t(request_.size())) {
                fail(i, "send request: " + errno_name(n < 0 ? errno : EAGAIN));
                return;
            }
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u32 = i;
            epoll_ctl(ep_, EPOLL_CTL_MOD, s.fd, &ev);
            s.state = sub_state::awaiting_head;
            return;
        }
        ssize_t n = read(s.fd, buf_, sizeof buf_);
        if (n > 0) {
            feed(i, buf_, std::size_t(n), now_ns());
        } else if (n == 0) {
            fail(i, "server closed the stream");
        } else if (errno != EAGAIN && errno != EINTR) {
            fail(i, "read: " + errno_name(errno));
        }
    }

    void feed(std::size_t i, const char* p, std::size_t n, std::int64_t now) {
        auto& s = subs_[i];
        if (s.state == sub_state::awaiting_head) {
            s.partial.append(p, n);
            auto end = s.partial.find("\r\n\r\n");
            if (end == std::string::npos) {
                if (s.partial.size() > 16384) fail(i, "response head too long");
                return;
            }
            if (s.partial.compare(0, 12, "HTTP/1.1 200") != 0) {
                fail(i, "status " + s.partial.substr(9, 3));
                return;
            }
            std::string rest = s.partial.substr(end + 4);
            s.partial.clear();
            s.state = sub_state::awaiting_id;
            feed_lines(i, rest.data(), rest.size(), now);
            return;
        }
        feed_lines(i, p, n, now);
    }

    void feed_lines(std::size_t i, const char* p, std::size_t n, std::int64_t now) {
        auto& s = subs_[i];
        const char* end = p + n;
        if (!s.partial.empty()) {
            auto nl = static_cast<const char*>(std::memchr(p, '\n', n));
            if (!nl) {
                s.partial.append(p, n);
                if (s.partial.size() > 1 << 20) fail(i, "SSE line too long");
                return;
            }
            s.partial.append(p, std::size_t(nl - p));
            std::string line = std::move(s.partial);
            s.partial.clear();
            on_line(i, line, now);
            p = nl + 1;
        }
        while (p < end) {
            auto nl = static_cast<const char*>(std::memchr(p, '\n', std::size_t(end - p)));
            if (!nl) {
                s.partial.assign(p, std::size_t(end - p));
                return;
            }
            on_line(i, std::string_view(p, std::size_t(nl - p)), now);
            p = nl + 1;
        }
    }

    static std::optional<std::int64_t> field(std::string_view line, std::string_view key) {
        auto k = line.find(key);
        if (k == std::string_view::npos) return std::nullopt;
        std::int64_t v = 0;
        auto b = line.data() + k + key.size();
        auto r = std::from_chars(b, line.data() + line.size(), v);
        if (r.ec != std::errc()) return std::nullopt;
        return v;
    }

    void on_line(std::size_t i, std::string_view line, std::int64_t now) {
        auto& s = subs_[i];
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.rfind("data:", 0) == 0) {
            if (s.state != sub_state::live) {
                ++stats.early_data;
                return;
            }
            auto idx = field(line, "\"i\":");
            auto t = field(line, "\"t\":");
            if (!idx || !t || *idx < 0 || std::size_t(*idx) >= stats.event_count.size()) {
                ++stats.unparsed;
                return;
            }
            auto ev = std::int32_t(*idx);
            if (ev <= s.last_index) {
                ++stats.duplicates;
                return;
            }
            if (ev != s.last_index + 1) ++stats.out_of_order;
            s.last_index = ev;
            ++s.received;
            ++stats.deliveries;
            std::int64_t lat = now - *t;
            stats.latencies_us.push_back(static_cast<std::uint32_t>(std::clamp<std::int64_t>(lat / 1000, 0, UINT32_MAX)));
            ++stats.event_count[std::size_t(ev)];
            stats.event_max_ns[std::size_t(ev)] = std::max(stats.event_max_ns[std::size_t(ev)], lat);
            stats.last_delivery_ns = now;
        } else if (line.rfind("id:", 0) == 0) {
            if (s.state == sub_state::awaiting_id) {  // the stream's start position: it is live
                s.state = sub_state::live;
                --stats.in_flight;
                ++stats.ready;
                s.partial.shrink_to_fit();
            }
        } else if (line == "event: herald.disconnect") {
            ++stats.disconnect_events;
        }
    }

    const options& o_;
    int port_;
    int ep_ = -1;
    std::vector<subscriber> subs_;
    std::string request_;
    char buf_[256 * 1024];
};

// ---------------------------------------------------------------- publisher

struct publisher_result {
    std::size_t published = 0, errors = 0;
    std::map<std::string, std::size_t> error_samples;
    std::int64_t first_send_ns = 0, last_reply_ns = 0;
    std::vector<std::uint32_t> rtt_us;
};

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
                if (left > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<std::int64_t>(left, 50'000'000)));
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
            ++res.error_samples[status == 0 ? "no reply (connection failed)" : "status " + std::to_string(status) + ": " + body.substr(0, 120)];
            if (status == 0) {
                close(fd);
                fd = -1;
            }
        }
    }
    if (fd >= 0) close(fd);
    done.store(true);
}

// ---------------------------------------------------------------- main

ojson parse_metrics(const std::string& text) {
    ojson m = ojson::object();
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        auto sp = line.find(' ');
        if (sp == std::string::npos) continue;
        std::string name = line.substr(0, sp);
        if (name.rfind("herald_", 0) == 0) name = name.substr(7);
        try {
            m[name] = std::stod(line.substr(sp + 1));
        } catch (const std::exception&) {
        }
    }
    return m;
}

ojson server_log_summary(const std::string& path) {
    std::ifstream f(path);
    std::string line;
    std::size_t lines = 0, warn = 0, error = 0;
    ojson sample = ojson::array();
    while (std::getline(f, line)) {
        ++lines;
        bool w = line.find(" warning ") != std::string::npos || line.find(" warn ") != std::string::npos;
        bool e = line.find(" error ") != std::string::npos || line.find(" critical ") != std::string::npos;
        warn += w;
        error += e;
        if ((w || e) && sample.size() < 5) sample.push_back(line.substr(0, 300));
    }
    return ojson{{"path", path}, {"lines", lines}, {"warnings", warn}, {"errors", error}, {"sample", sample}};
}

int run(const options& o) {
    g_deadline_ns = now_ns() + std::int64_t(o.time_limit_s * 1e9);
    ojson out;
    bool ok = true;
    std::vector<std::string> problems;

    // File descriptors: the subscribers live in this process; herald has its own limit.
    rlimit rl{};
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    if (o.subscribers + 64 > rl.rlim_cur) {
        std::cerr << "fanout_bench: " << o.subscribers << " subscribers need more open files than the limit of "
                  << rl.rlim_cur << " (keep it at most " << (rl.rlim_cur > 64 ? rl.rlim_cur - 64 : 0) << ")\n";
        return 2;
    }
    if (access(o.herald.c_str(), X_OK) != 0) {
        std::cerr << "fanout_bench: herald binary '" << o.herald << "' is not executable (use --herald PATH)\n";
        return 2;
    }

    // The floor first, before herald runs, so nothing competes with it.
    std::size_t raw_sockets = std::min<std::size_t>(o.raw_sockets, (rl.rlim_cur - 64) / 2);
    double raw_us = raw_write_floor(raw_sockets, o.raw_writes);

    auto [public_port, internal_port] = free_ports();
    auto srv = spawn_herald(o, public_port, internal_port, o.subscribers + 64);
    auto stop_server = [&]() -> std::string {
        if (!srv.alive()) return srv.describe();
        kill(srv.pid, SIGTERM);
        return "";
    };

    // Wait for /healthz on the internal listener.
    bool up = false;
    for (std::int64_t until = now_ns() + 10'000'000'000; now_ns() < until && !expired();) {
        std::string body;
        if (http_get(internal_port, "/healthz", body, 1) == 200) {
            up = true;
            break;
        }
        if (!srv.alive()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!up) {
        std::cerr << "fanout_bench: herald did not come up (" << srv.describe() << "); log: " << o.server_log << "\n";
        if (srv.alive()) {
            kill(srv.pid, SIGKILL);
            waitpid(srv.pid, nullptr, 0);
        }
        return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    long rss_start = read_rss_kib(srv.pid);

    // Connect phase.
    client cl(o, public_port);
    double cpu_c0 = read_cpu_us(srv.pid);
    std::int64_t c0 = now_ns();
    cl.connect_all(srv);
    std::int64_t c1 = now_ns();
    double cpu_c1 = read_cpu_us(srv.pid);
    // Let herald settle (history reads, flushes), still reading what arrives.
    for (std::int64_t until = now_ns() + 500'000'000; now_ns() < until && !expired();) cl.poll(10);
    long rss_connected = read_rss_kib(srv.pid);
    std::size_t connected = cl.stats.ready;
    if (cl.stats.failed) problems.push_back(std::to_string(cl.stats.failed) + " subscribers failed to connect");

    // Publish phase: a publisher thread with one keep-alive connection; this thread reads.
    publisher_result pub;
    std::atomic<bool> pub_done{false};
    std::size_t live_at_start = cl.live();
    double cpu_p0 = read_cpu_us(srv.pid);
    double self_p0 = self_cpu_us();
    std::int64_t p0 = now_ns();
    std::thread publisher;
    if (srv.alive() && !expired()) {
        publisher = std::thread(run_publisher, std::cref(o), internal_port, std::ref(pub), std::ref(pub_done));
        std::int64_t last_progress = now_ns();
        std::size_t last_count = 0;
        std::int64_t last_alive_check = now_ns();
        std::int64_t done_at = 0;
        for (;;) {
            cl.poll(10);
            std::int64_t now = now_ns();
            if (cl.stats.deliveries != last_count) {
                last_count = cl.stats.deliveries;
                last_progress = now;
            }
            if (now - last_alive_check > 100'000'000) {
                last_alive_check = now;
                if (!srv.alive()) break;
            }
            if (expired()) break;
            if (pub_done.load()) {
                if (done_at == 0) done_at = now;
                if (cl.stats.deliveries >= live_at_start * pub.published) break;
                if (now - std::max(last_progress, done_at) > std::int64_t(o.drain_idle_s * 1e9)) break;
            }
        }
    } else {
        pub_done.store(true);
    }
    double cpu_p1 = read_cpu_us(srv.pid);
    double self_p1 = self_cpu_us();
    std::int64_t p1 = now_ns();
    bool timed_out = expired();
    if (publisher.joinable()) {
        if (!pub_done.load()) g_deadline_ns = now_ns();  // tell it to stop
        publisher.join();
    }
    long rss_end = srv.alive() ? read_rss_kib(srv.pid) : -1;
    ojson metrics = ojson::object();
    if (srv.alive()) {
        std::string body;
        if (http_get(internal_port, "/metrics", body, 5) == 200) metrics = parse_metrics(body);
    }

    // Stop herald: SIGTERM, keep reading (streams get herald.disconnect), bounded wait.
    bool died = !srv.alive();
    std::string stop_note = died ? "died during the run: " + srv.describe() : "";
    cl.stopping = true;
    if (!died) {
        stop_server();
        std::int64_t until = now_ns() + (timed_out ? 3'000'000'000 : 15'000'000'000);
        while (srv.alive() && now_ns() < until) cl.poll(10);
        if (srv.alive()) {
            stop_note = "did not stop in time after SIGTERM; killed";
            kill(srv.pid, SIGKILL);
            waitpid(srv.pid, &srv.status, 0);
            srv.exited = true;
        } else {
            stop_note = srv.describe();
        }
    }
    cl.close_all();

    // Figures.
    auto& st = cl.stats;
    std::size_t expected = live_at_start * pub.published;
    std::size_t missing = expected > st.deliveries ? expected - st.deliveries : 0;
    std::int64_t window_end = st.last_delivery_ns ? st.last_delivery_ns : p1;
    std::int64_t window_start = pub.first_send_ns ? pub.first_send_ns : p0;
    double window_s = double(std::max<std::int64_t>(window_end - window_start, 1)) / 1e9;
    std::vector<std::uint32_t> ttl_us;
    std::size_t complete_events = 0;
    for (std::size_t e = 0; e < pub.published + pub.errors && e < st.event_count.size(); ++e) {
        if (st.event_count[e] == 0) continue;
        if (st.event_count[e] >= live_at_start) ++complete_events;
        ttl_us.push_back(std::uint32_t(st.event_max_ns[e] / 1000));
    }
    double server_cpu_us = cpu_p1 - cpu_p0;
    double cpu_per_delivery = st.deliveries ? server_cpu_us / double(st.deliveries) : 0;
    double kib_per_conn = connected ? double(rss_connected - rss_start) / double(connected) : 0;

    if (timed_out) {
        ok = false;
        problems.push_back(g_interrupted ? "interrupted" : "time limit hit");
    }
    if (died) {
        ok = false;
        problems.push_back("herald " + stop_note);
    }
    if (missing) problems.push_back(std::to_string(missing) + " deliveries missing");
    if (pub.errors) problems.push_back(std::to_string(pub.errors) + " publishes failed");
    if (st.closed_while_live) problems.push_back(std::to_string(st.closed_while_live) + " streams closed while live");

    out["subscribers"] = o.subscribers;
    out["events"] = pub.published;
    out["deliveries"] = st.deliveries;
    out["missing"] = missing;
    out["deliveries_per_s"] = std::round(double(st.deliveries) / window_s);
    out["latency_ms"] = {{"p50", round3(percentile(st.latencies_us, 0.50) / 1000)},
                         {"p99", round3(percentile(st.latencies_us, 0.99) / 1000)},
                         {"max", round3(percentile(st.latencies_us, 1.0) / 1000)}};
    out["server_cpu_us_per_delivery"] = round3(cpu_per_delivery);
    out["rss_kib_per_idle_conn"] = round3(kib_per_conn);
    out["connect_failures"] = st.failed;
    out["raw_write_us"] = round3(raw_us);
    out["rate"] = o.rate;
    // Context for reading the figures above.
    out["cpu_per_delivery_vs_raw_write"] = raw_us > 0 ? round3(cpu_per_delivery / raw_us) : 0.0;
    out["time_to_last_ms"] = {{"p50", round3(percentile(ttl_us, 0.50) / 1000)},
                              {"max", round3(percentile(ttl_us, 1.0) / 1000)},
                              {"events_fully_delivered", complete_events}};
    out["connected"] = connected;
    out["expected_deliveries"] = expected;
    out["duplicates"] = st.duplicates;
    out["out_of_order"] = st.out_of_order;
    out["window_s"] = round3(window_s);
    out["server_cpu_s"] = round3(server_cpu_us / 1e6);
    out["client_cpu_us_per_delivery"] = st.deliveries ? round3((self_p1 - self_p0) / double(st.deliveries)) : 0.0;
    out["connect"] = {{"per_s", std::round(double(connected) / std::max(1e-9, double(c1 - c0) / 1e9))},
                      {"seconds", round3(double(c1 - c0) / 1e9)},
                      {"server_cpu_us_per_conn", connected ? round3((cpu_c1 - cpu_c0) / double(connected)) : 0.0},
                      {"window", o.connect_window},
                      {"failure_reasons", st.failure_reasons}};
    out["server_rss_kib"] = {{"start", rss_start}, {"connected", rss_connected}, {"end", rss_end}};
    std::vector<std::uint32_t> rtt = pub.rtt_us;
    out["publish"] = {{"errors", pub.errors},
                      {"error_samples", pub.error_samples},
                      {"rtt_ms_p50", round3(percentile(rtt, 0.5) / 1000)},
                      {"rtt_ms_p99", round3(percentile(rtt, 0.99) / 1000)},
                      {"payload_bytes", o.payload_bytes}};
    out["streams_closed_while_live"] = st.closed_while_live;
    out["stop"] = {{"disconnect_events", st.disconnect_events}, {"streams_closed", st.closed_on_stop}};
    out["threads"] = o.threads;
    out["raw_sockets"] = raw_sockets;
    out["timed_out"] = timed_out;
    out["server_stop"] = stop_note;
    out["server_metrics"] = metrics;
    out["server_log"] = server_log_summary(o.server_log);
    out["problems"] = problems;
    std::cout << out.dump() << std::endl;
    return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    options o = parse_args(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa{};
    sa.sa_handler = [](int) { g_interrupted.store(true); };
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    try {
        return run(o);
    } catch (const std::exception& e) {
        std::cerr << "fanout_bench: " << e.what() << "\n";
        if (g_server_pid > 0 && waitpid(g_server_pid, nullptr, WNOHANG) == 0) {
            kill(g_server_pid, SIGKILL);
            waitpid(g_server_pid, nullptr, 0);
        }
        return 1;
    }
}
