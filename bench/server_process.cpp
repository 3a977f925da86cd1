// server_process: forks and execs `herald serve` for the benchmark, reaps it, and reads its CPU
// time and RSS from /proc; also turns its /metrics text and its log into report fields.
#include "bench/server_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "bench/bench_common.hpp"

namespace herald::bench {

bool server_process::alive() {
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

std::string server_process::describe() const {
    if (!exited) return "running";
    if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return std::string("signal ") + strsignal(WTERMSIG(status));
    return "unknown";
}

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

long read_rss_kib(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
    return -1;
}

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

nlohmann::ordered_json parse_metrics(const std::string& text) {
    auto m = nlohmann::ordered_json::object();
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

nlohmann::ordered_json server_log_summary(const std::string& path) {
    std::ifstream f(path);
    std::string line;
    std::size_t lines = 0, warn = 0, error = 0;
    auto sample = nlohmann::ordered_json::array();
    while (std::getline(f, line)) {
        ++lines;
        bool w = line.find(" warning ") != std::string::npos || line.find(" warn ") != std::string::npos;
        bool e = line.find(" error ") != std::string::npos || line.find(" critical ") != std::string::npos;
        warn += w;
        error += e;
        if ((w || e) && sample.size() < 5) sample.push_back(line.substr(0, 300));
    }
    return {{"path", path}, {"lines", lines}, {"warnings", warn}, {"errors", error}, {"sample", sample}};
}

}  // namespace herald::bench
