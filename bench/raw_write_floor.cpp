// raw_write_floor: times 100-byte write()s to loopback TCP socket pairs, round-robin, with the
// readers drained between rounds outside the timed part. Thread CPU time, not wall time.
#include "bench/raw_write_floor.hpp"

#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include "bench/bench_common.hpp"

namespace herald::bench {

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

}  // namespace herald::bench
