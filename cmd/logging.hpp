// The serve logger: text lines for people (coloured on a terminal), or one JSON object per line
// ({"ts","level","msg"}, UTC) for log shippers. Messages never carry secrets: callers log key
// counts and sources, never key material or tokens.
#pragma once

#include <memory>
#include <spdlog/logger.h>
#include <string>

namespace herald::cmd {

std::shared_ptr<spdlog::logger> make_logger(const std::string& format, const std::string& level);

}  // namespace herald::cmd
