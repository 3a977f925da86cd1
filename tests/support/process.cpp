// Child processes via posix_spawn (safe from a multi-threaded test), pipes drained by threads.
#include "tests/support/process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace herald::test {

namespace {
void drain(int fd, std::mutex& m, std::string& out) {
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        std::lock_guard lock(m);
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
}

bool write_all(int fd, std::string_view rest) {
    while (!rest.empty()) {
        ssize_t n = ::write(fd, rest.data(), rest.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}
}  // namespace

process::process(const std::vector<std::string>& args, const std::string& stdin_data,
                 const std::map<std::string, std::string>& env, bool keep_stdin_open) {
    // A child that exits without reading its stdin must not kill the test with SIGPIPE.
    static const bool sigpipe_ignored = [] { return std::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
    (void)sigpipe_ignored;
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
        ADD_FAILURE() << "pipe: " << std::strerror(errno);
        return;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);

    // The child starts with default signal handling and nothing blocked.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<std::string> argv_s{HERALD_BINARY};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);

    std::vector<std::string> env_s;
    for (char** e = environ; *e; ++e) {
        std::string_view kv(*e);
        auto name = kv.substr(0, kv.find('='));
        if (name.rfind("HERALD_", 0) == 0 || env.count(std::string(name))) continue;
        env_s.emplace_back(kv);
    }
    for (const auto& [k, v] : env) env_s.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);

    int rc = ::posix_spawn(&pid_, HERALD_BINARY, &fa, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    if (rc != 0) {
        ADD_FAILURE() << "posix_spawn " << HERALD_BINARY << ": " << std::strerror(rc);
        pid_ = -1;
        ::close(in[1]);
        ::close(out[0]);
        ::close(err[0]);
        return;
    }
    out_reader_ = std::thread([this, fd = out[0]] { drain(fd, mutex_, out_); });
    err_reader_ = std::thread([this, fd = err[0]] { drain(fd, mutex_, err_); });
    if (keep_stdin_open) stdin_fd_ = in[1];
    in_writer_ = std::thread([fd = in[1], data = stdin_data, keep_stdin_open] {
        write_all(fd, data);
        if (!keep_stdin_open) ::close(fd);
    });
}

bool process::write_stdin(const std::string& data) {
    if (in_writer_.joinable()) in_writer_.join();
    return stdin_fd_ >= 0 && write_all(stdin_fd_, data);
}

void process::close_stdin() {
    if (in_writer_.joinable()) in_writer_.join();
    if (stdin_fd_ >= 0) ::close(stdin_fd_);
    stdin_fd_ = -1;
}

process::~process() {
    close_stdin();
    if (pid_ > 0 && !exited_) {
        ::kill(pid_, SIGKILL);
        reap(true);
    }
    if (in_writer_.joinable()) in_writer_.join();
    if (out_reader_.joinable()) out_reader_.join();
    if (err_reader_.joinable()) err_reader_.join();
}

void process::reap(bool block) {
    if (pid_ <= 0 || exited_) return;
    int st = 0;
    pid_t r;
    do {
        r = ::waitpid(pid_, &st, block ? 0 : WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == pid_) {
        exited_ = true;
        status_ = st;
    }
}

bool process::running() {
    reap(false);
    return pid_ > 0 && !exited_;
}

void process::kill(int sig) {
    if (running()) ::kill(pid_, sig);
}

process_result process::wait(std::chrono::milliseconds timeout) {
    process_result r;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
    if (running()) {
        r.timed_out = true;
        ::kill(pid_, SIGKILL);
        reap(true);
    }
    // The pipes close when the child (and anything it spawned) is gone.
    if (out_reader_.joinable()) out_reader_.join();
    if (err_reader_.joinable()) err_reader_.join();
    if (in_writer_.joinable()) in_writer_.join();
    if (exited_) {
        if (WIFEXITED(status_)) r.exit_code = WEXITSTATUS(status_);
        if (WIFSIGNALED(status_)) r.signal = WTERMSIG(status_);
    }
    r.out = out();
    r.err = err();
    return r;
}

std::string process::out() {
    std::lock_guard lock(mutex_);
    return out_;
}

std::string process::err() {
    std::lock_guard lock(mutex_);
    return err_;
}

bool process::wait_out(const std::string& needle, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (out().find(needle) != std::string::npos) return true;
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(10ms);
    }
}

bool process::wait_err(const std::string& needle, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (err().find(needle) != std::string::npos) return true;
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(10ms);
    }
}

process_result run_herald(const std::vector<std::string>& args, const std::string& stdin_data,
                          const std::map<std::string, std::string>& env, std::chrono::milliseconds timeout) {
    process p(args, stdin_data, env);
    return p.wait(timeout);
}

}  // namespace herald::test
