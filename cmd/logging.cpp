// Text and JSON log formats on stderr; the message is escaped by a custom pattern flag in both
// (control bytes in text lines, JSON string rules and valid UTF-8 in JSON lines).
#include "cmd/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "lib/util/log_text.hpp"

namespace herald::cmd {

namespace {

// %* in a pattern: the message as the inside of a JSON string, always valid UTF-8.
class json_message final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        std::string out;
        util::append_log_json(out, std::string_view(msg.payload.data(), msg.payload.size()));
        dest.append(out.data(), out.data() + out.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<json_message>(); }
};

// %* in the text pattern: the message with control bytes escaped, so one log call is one line.
class text_message final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        std::string out;
        util::append_log_text(out, std::string_view(msg.payload.data(), msg.payload.size()));
        dest.append(out.data(), out.data() + out.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<text_message>(); }
};

}  // namespace

std::shared_ptr<spdlog::logger> make_logger(const std::string& format, const std::string& level) {
    auto log = std::make_shared<spdlog::logger>("herald", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    log->set_level(spdlog::level::from_str(level));
    if (format == "json") {
        auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
        f->add_flag<json_message>('*').set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%*"})");
        log->set_formatter(std::move(f));
    } else {
        auto f = std::make_unique<spdlog::pattern_formatter>();
        f->add_flag<text_message>('*').set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %*");
        log->set_formatter(std::move(f));
    }
    return log;
}

}  // namespace herald::cmd
