// Runs the real `herald` binary (HERALD_BINARY) as a child process: arguments, extra environment,
// stdin bytes; captures stdout and stderr; waits with a timeout; sends signals.
// HERALD_* variables of the test's own environment are not passed on, so runs are hermetic.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <sys/types.h>
#include <thread>
#include <vector>

namespace herald::test {

using namespace std::chrono_literals;

struct process_result {
    int exit_code = -1;  // -1 when killed by a signal or still running at the timeout
    int signal = 0;
    bool timed_out = false;
    std::string out, err;
};

class process {
public:
    // Starts HERALD_BINARY with args (without argv[0]). Its stdin gets stdin_data, then EOF; with
    // keep_stdin_open it stays open after stdin_data for write_stdin() until close_stdin().
    explicit process(const std::vector<std::string>& args, const std::string& stdin_data = {},
                     const std::map<std::string, std::string>& env = {}, bool keep_stdin_open = false);
    ~process();  // SIGKILL if still running, then reap
    process(const process&) = delete;
    process& operator=(const process&) = delete;

    pid_t pid() const { return pid_; }
    void kill(int sig);
    bool write_stdin(const std::string& data);  // false once stdin is closed or the child is gone
    void close_stdin();
    // Waits for exit; on timeout the child is killed (SIGKILL) and timed_out set.
    process_result wait(std::chrono::milliseconds timeout = 30s);
    // Snapshots of the output so far.
    std::string out();
    std::string err();
    // Polls until stdout (or stderr) contains needle.
    bool wait_out(const std::string& needle, std::chrono::milliseconds timeout = 10s);
    bool wait_err(const std::string& needle, std::chrono::milliseconds timeout = 10s);
    bool running();

private:
    void reap(bool block);

    pid_t pid_ = -1;
    int status_ = 0;
    bool exited_ = false;
    std::mutex mutex_;
    std::string out_, err_;
    std::thread out_reader_, err_reader_, in_writer_;
    int stdin_fd_ = -1;  // the write end, while kept open
};

// Runs to completion and returns the result (the binary is killed after the timeout).
process_result run_herald(const std::vector<std::string>& args, const std::string& stdin_data = {},
                          const std::map<std::string, std::string>& env = {},
                          std::chrono::milliseconds timeout = 30s);

}  // namespace herald::test
