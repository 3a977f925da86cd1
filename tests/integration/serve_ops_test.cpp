// Operating `herald serve` as a process: settings from a config file, variables and flags with
// their precedence, every invalid setting reported at once, check-config, JSON log lines, SIGHUP
// reload without dropping streams, and the SIGTERM drain (readyz 503, every SSE and WebSocket
// client told to come back, exit 0; a second signal stops at once).
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/support/cli_support.hpp"
#include "tests/support/ws_client.hpp"
#include "tests/support/temp_file.hpp"

namespace herald::test {
namespace {

std::string addr(unsigned short port) { return "127.0.0.1:" + std::to_string(port); }

// Whether a TCP connection to 127.0.0.1:port is accepted.
bool accepts(unsigned short port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

// Starts serve and waits for its start-up hints; the ports it reports.
struct running {
    explicit running(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {})
        : p(args, {}, env) {
        ok = p.wait_err("subscribe: curl");
        pub = public_port_from_log(p.err());
        internal = internal_port_from_log(p.err());
    }
    process p;
    bool ok = false;
    unsigned short pub = 0, internal = 0;
};

TEST(ServeConfig, FlagsBeatVariablesWhichBeatTheFile) {
    const auto file_port = free_port(), env_port = free_port(), flag_port = free_port();
    temp_file cfg(R"({"public":")" + addr(file_port) + R"(","internal":"127.0.0.1:0","history":{"size":3}})");
    {
        running s({"serve", "--config", cfg.path()});
        ASSERT_TRUE(s.ok) << s.p.err();
        EXPECT_EQ(s.pub, file_port) << s.p.err();
        s.p.kill(SIGTERM);
        EXPECT_EQ(s.p.wait(quick).exit_code, 0);
    }
    {
        running s({"serve"}, {{"HERALD_CONFIG", cfg.path()}, {"HERALD_PUBLIC", addr(env_port)}});
        ASSERT_TRUE(s.ok) << s.p.err();
        EXPECT_EQ(s.pub, env_port) << s.p.err();
        s.p.kill(SIGTERM);
        EXPECT_EQ(s.p.wait(quick).exit_code, 0);
    }
    {
        running s({"serve", "--config", cfg.path(), "--public", addr(flag_port)}, {{"HERALD_PUBLIC", addr(env_port)}});
        ASSERT_TRUE(s.ok) << s.p.err();
        EXPECT_EQ(s.pub, flag_port) << s.p.err();
        // The file's other settings still hold: history keeps 3 events.
        auto url = "http://127.0.0.1:" + std::to_string(s.internal);
        for (int i = 0; i < 5; ++i) ASSERT_EQ(run_herald({"publish", "h", std::to_string(i), "--url", url}, {}, {}, quick).exit_code, 0);
        auto tail = run_herald({"tail", "h", "--since", "earliest", "--count", "3", "--url", url}, {}, {}, quick);
        EXPECT_EQ(tail.out, "h #3: 2\nh #4: 3\nh #5: 4\n") << describe(tail);
        s.p.kill(SIGTERM);
        EXPECT_EQ(s.p.wait(quick).exit_code, 0);
    }
}

TEST(ServeConfig, EveryInvalidSettingIsReportedAtOnceAndExits2) {
    temp_file cfg(R"({"limits":{"max_body_bytes":"big","typo":1},"log":{"level":"loud"}})");
    auto r = run_herald({"serve", "--config", cfg.path(), "--history-ttl", "soon", "--internal", "127.0.0.1:0"},
                        {}, {{"HERALD_THREADS", "-3"}}, quick);
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    for (const std::string& needle :
         std::vector<std::string>{cfg.path() + ": limits.max_body_bytes: got big", cfg.path() + ": limits.typo",
                                  cfg.path() + ": log.level: got loud", "--history-ttl: history.ttl: got soon",
                                  "HERALD_THREADS: threads: got -3"})
        EXPECT_NE(r.err.find(needle), std::string::npos) << needle << "\n" << r.err;
    EXPECT_NE(r.err.find("check-config"), std::string::npos) << r.err;
}

TEST(CheckConfig, ValidFilePrintsTheSettingsAndExits0) {
    temp_file cfg(R"({"public":":9000","history":{"ttl":"30m"},"auth":{"api_key":["s3cret"],"public_channels":["news"]}})");
    auto r = run_herald({"check-config", cfg.path()}, {}, {}, quick);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find(": ok"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("history.ttl"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("1800000"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("s3cret"), std::string::npos) << "secrets are never printed:\n" << r.out;
    auto j = run_herald({"check-config", cfg.path(), "--json"}, {}, {}, quick);
    ASSERT_EQ(j.exit_code, 0) << describe(j);
    auto doc = parse_json(j.out);
    EXPECT_EQ(doc["ok"], true);
    EXPECT_EQ(doc["settings"]["public"], ":9000");
    EXPECT_EQ(doc["settings"]["auth.api_key"], "*** (1)");
}

TEST(CheckConfig, ReportsEveryProblemWithKeyAndValue) {
    temp_file cfg(R"({"internal":"0.0.0.0:8081","limits":{"outbox_bytes":12,"max_channels":"many"},"nope":{"x":1},
                      "auth":{"jwt_public_key":["/nonexistent/k.pem"],"public_channels":["a*b"]},
                      "shutdown":{"drain_window":"1m","timeout":"30s"}})");
    auto r = run_herald({"check-config", cfg.path()}, {}, {}, quick);
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    for (const std::string& needle :
         std::vector<std::string>{"limits.outbox_bytes: got 12: out of range", "limits.max_channels: got many", "nope: got {\"x\":1}",
          "auth.jwt_public_key: got /nonexistent/k.pem", "auth.public_channels: got a*b",
          "shutdown.drain_window: got 60000", "internal: got 0.0.0.0:8081", "7 problem(s)"})
        EXPECT_NE(r.err.find(needle), std::string::npos) << needle << "\n" << r.err;
    auto j = run_herald({"check-config", cfg.path(), "--json"}, {}, {}, quick);
    EXPECT_EQ(j.exit_code, 1);
    auto doc = parse_json(j.out);
    EXPECT_EQ(doc["ok"], false);
    EXPECT_EQ(doc["problems"].size(), 7u) << j.out;
    auto missing = run_herald({"check-config", "/nonexistent/herald.json"}, {}, {}, quick);
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.err.find("cannot read"), std::string::npos) << missing.err;
    temp_file broken("{\"public\": ");
    auto bad_json = run_herald({"check-config", broken.path()}, {}, {}, quick);
    EXPECT_EQ(bad_json.exit_code, 1);
    EXPECT_NE(bad_json.err.find("not valid JSON"), std::string::npos) << bad_json.err;
}

TEST(ServeLogs, JsonFormatWritesOneObjectPerLine) {
    running s({"serve", "--public", "127.0.0.1:0", "--internal", "127.0.0.1:0", "--log-format", "json", "--drain-window",
               "0"});
    ASSERT_TRUE(s.ok) << s.p.err();
    s.p.kill(SIGTERM);
    auto r = s.p.wait(quick);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    auto lines = split_lines(r.err);
    ASSERT_GE(lines.size(), 4u) << r.err;
    for (const auto& line : lines) {
        auto j = json::parse(line, nullptr, false);
        ASSERT_TRUE(j.is_object()) << line;
        EXPECT_TRUE(j.contains("ts") && j.contains("level") && j.contains("msg")) << line;
    }
}

// Attacker-chosen text reaches the log through refusals: a decoded path with CR/LF and an escape
// sequence, a JWT header with a forged alg. Text lines escape them; JSON lines stay valid UTF-8.
void send_forgeries(unsigned short pub, unsigned short internal) {
    // %0a2026-12-06T00:00:00.000 info admin ... would start a forged line; \x1b[2J clears a terminal.
    raw_request(internal, "GET /v1/stats%0a2026-12-06T00:00:00.000%20info%20forged%1b[2J%ff%fe HTTP/1.1\r\n"
                          "Host: evil.example\r\nConnection: close\r\n\r\n");
    // A token whose header is {"alg":"x\ninfo forged","typ":"JWT"}: refused, and the log names the alg.
    const std::string token = "eyJhbGciOiJ4XG5pbmZvIGZvcmdlZCIsInR5cCI6IkpXVCJ9.e30.c2ln";
    raw_request(pub, "GET /v1/sse?channel=news&token=" + token + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
}

TEST(ServeLogs, TextLinesCannotBeForged) {
    running s({"serve", "--public", "127.0.0.1:0", "--internal", "127.0.0.1:0", "--drain-window", "0", "--jwt-secret",
               std::string(32, 's')});
    ASSERT_TRUE(s.ok) << s.p.err();
    send_forgeries(s.pub, s.internal);
    ASSERT_TRUE(s.p.wait_err("host_not_allowed")) << s.p.err();
    ASSERT_TRUE(s.p.wait_err("invalid_token")) << s.p.err();
    s.p.kill(SIGTERM);
    auto r = s.p.wait(quick);
    for (const auto& line : split_lines(r.err)) {
        EXPECT_NE(line.rfind("2026-12-06T00:00:00.000", 0), 0u) << "a forged line: " << line;
        EXPECT_EQ(line.find('\x1b'), std::string::npos) << line;
    }
    EXPECT_NE(r.err.find("\\n2026-12-06T00:00:00.000 info forged\\x1b[2J"), std::string::npos) << r.err;
}

TEST(ServeLogs, JsonLinesStayValidWhateverTheInput) {
    running s({"serve", "--public", "127.0.0.1:0", "--internal", "127.0.0.1:0", "--log-format", "json", "--drain-window",
               "0", "--jwt-secret", std::string(32, 's')});
    ASSERT_TRUE(s.ok) << s.p.err();
    send_forgeries(s.pub, s.internal);
    ASSERT_TRUE(s.p.wait_err("host_not_allowed")) << s.p.err();
    ASSERT_TRUE(s.p.wait_err("invalid_token")) << s.p.err();
    s.p.kill(SIGTERM);
    auto r = s.p.wait(quick);
    for (const auto& line : split_lines(r.err)) {
        auto j = json::parse(line, nullptr, false);  // nlohmann refuses invalid UTF-8 too
        ASSERT_TRUE(j.is_object()) << line;
    }
}

TEST(ServeReload, SighupAppliesKeysAndLogLevelWithoutDroppingStreams) {
    temp_file cfg(R"({"public":"127.0.0.1:0","internal":"127.0.0.1:0"})");
    running s({"serve", "--config", cfg.path(), "--drain-window", "200"});
    ASSERT_TRUE(s.ok) << s.p.err();
    const auto url = "http://127.0.0.1:" + std::to_string(s.internal);
    sse_client sub(s.pub, sse_target({"news"}));
    ASSERT_TRUE(sub.ok());
    cfg.write(R"({"public":"127.0.0.1:1","internal":"127.0.0.1:0","log":{"level":"debug"},"auth":{"api_key":["k1"]}})");
    s.p.kill(SIGHUP);
    ASSERT_TRUE(s.p.wait_err("settings reloaded")) << s.p.err();
    EXPECT_NE(s.p.err().find("'public' changed but needs a restart"), std::string::npos) << s.p.err();
    auto refused = run_herald({"publish", "news", "x", "--url", url}, {}, {}, quick);
    EXPECT_EQ(refused.exit_code, 1) << describe(refused);
    auto ok = run_herald({"publish", "news", "after reload", "--url", url, "--api-key", "k1"}, {}, {}, quick);
    EXPECT_EQ(ok.exit_code, 0) << describe(ok);
    ASSERT_TRUE(sub.wait_events(1)) << sub.body();  // the stream opened before the reload lives on
    EXPECT_EQ(sub.events()[0].data, "after reload");
    EXPECT_TRUE(eventually([&] { return s.p.err().find("debug") != std::string::npos; })) << s.p.err();
    // A bad file is refused as a whole: the key stays.
    cfg.write(R"({"limits":{"max_body_bytes":"x"},"auth":{"api_key":[]}})");
    s.p.kill(SIGHUP);
    ASSERT_TRUE(s.p.wait_err("nothing changed")) << s.p.err();
    EXPECT_EQ(run_herald({"publish", "news", "y", "--url", url}, {}, {}, quick).exit_code, 1);
    s.p.kill(SIGTERM);
    EXPECT_EQ(s.p.wait(quick).exit_code, 0);
}

TEST(ServeDrain, SigtermTellsEveryClientToComeBackThenExits0) {
    running s({"serve", "--public", "127.0.0.1:0", "--internal", "127.0.0.1:0", "--drain-window", "1500"});
    ASSERT_TRUE(s.ok) << s.p.err();
    std::vector<std::unique_ptr<sse_client>> sse;
    std::vector<std::unique_ptr<ws_client>> ws;
    for (int i = 0; i < 4; ++i) sse.push_back(std::make_unique<sse_client>(s.pub, sse_target({"news"})));
    for (int i = 0; i < 3; ++i) ws.push_back(std::make_unique<ws_client>(s.pub, "/v1/ws?channel=news"));
    for (auto& w : ws) ASSERT_TRUE(w->wait_op("subscribed"));
    const auto url = "http://127.0.0.1:" + std::to_string(s.internal);
    ASSERT_EQ(run_herald({"publish", "news", "before", "--url", url}, {}, {}, quick).exit_code, 0);
    for (auto& c : sse) ASSERT_TRUE(c->wait_events(1));
    s.p.kill(SIGTERM);
    ASSERT_TRUE(s.p.wait_err("draining")) << s.p.err();
    // While draining: not ready, the public listener is closed, the internal one still serves.
    auto ready = raw_request(s.internal, "GET /readyz HTTP/1.1\r\nHost: localhost\r\n\r\n");
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->status, 503u) << ready->body;
    EXPECT_FALSE(accepts(s.pub)) << "the public listener still accepts while draining";
    for (auto& c : sse) {
        auto bye = c->wait_for([](const auto& e) { return e.event == "herald.disconnect"; }, 5s);
        ASSERT_TRUE(bye) << c->body();
        auto d = parse_json(bye->data);
        EXPECT_EQ(d["code"], 1012);
        EXPECT_EQ(d["reconnect"], true);
        EXPECT_FALSE(d["cursor"].get<std::string>().empty());
        EXPECT_NE(c->body().rfind("retry: "), std::string::npos);
        EXPECT_TRUE(c->wait_closed());
    }
    for (auto& w : ws) {
        ASSERT_TRUE(w->wait_closed(5s));
        EXPECT_EQ(w->close_code(), 1012);
    }
    auto r = s.p.wait(quick);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.err.find("stopped"), std::string::npos) << r.err;
}

TEST(ServeDrain, ASecondSignalStopsAtOnce) {
    running s({"serve", "--public", "127.0.0.1:0", "--internal", "127.0.0.1:0", "--drain-window", "60s",
               "--shutdown-timeout", "120s"});
    ASSERT_TRUE(s.ok) << s.p.err();
    sse_client sub(s.pub, sse_target({"news"}));
    ASSERT_TRUE(sub.ok());
    s.p.kill(SIGTERM);
    ASSERT_TRUE(s.p.wait_err("draining")) << s.p.err();
    s.p.kill(SIGTERM);
    auto r = s.p.wait(quick);  // far sooner than the 60 s window
    EXPECT_FALSE(r.timed_out) << describe(r);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.err.find("second signal"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace herald::test
