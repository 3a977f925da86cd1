// Response bytes: status line, each field once in order, blank line, body.
#include "sidecar/response_bytes.hpp"

namespace herald::sidecar {

std::string response_bytes(const boost::beast::http::response<boost::beast::http::string_body>& res, bool with_body) {
    const auto reason = res.reason();
    std::string out;
    out.reserve(256 + (with_body ? res.body().size() : 0));
    out.append("HTTP/").append(std::to_string(res.version() / 10)).push_back('.');
    out.append(std::to_string(res.version() % 10)).push_back(' ');
    out.append(std::to_string(res.result_int())).push_back(' ');
    out.append(reason.data(), reason.size()).append("\r\n");
    for (const auto& f : res) {
        const auto name = f.name_string();
        const auto value = f.value();
        out.append(name.data(), name.size()).append(": ").append(value.data(), value.size()).append("\r\n");
    }
    out.append("\r\n");
    if (with_body) out.append(res.body());
    return out;
}

}  // namespace herald::sidecar
