// Response bytes: status line, Content-Type, the given fields, CORS, Connection when it differs
// from the version's default, Content-Length, blank line, body.
#include "sidecar/response_bytes.hpp"

#include <boost/beast/http/status.hpp>
#include <charconv>

namespace herald::sidecar {

namespace {
void append_number(std::string& out, std::size_t n) {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
    (void)ec;
    out.append(digits, end);
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).append("\r\n");
}
}  // namespace

void render_reply(std::string& out, const http_reply& r, bool head, std::string_view allow_origin) {
    out.clear();
    out.append(r.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
    append_number(out, r.status);
    out.push_back(' ');
    out.append(boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(r.status)));
    out.append("\r\n");
    if (!r.content_type.empty()) append_field(out, "Content-Type", r.content_type);
    for (const auto& [name, value] : r.fields) append_field(out, name, value);
    if (!allow_origin.empty()) {
        append_field(out, "Access-Control-Allow-Origin", allow_origin);
        if (allow_origin != "*") {  // a cookie token: a credentialed client may read the reply too
            append_field(out, "Access-Control-Allow-Credentials", "true");
            append_field(out, "Vary", "Origin");
        }
    }
    if (r.version == 10 && r.keep_alive) append_field(out, "Connection", "keep-alive");
    if (r.version != 10 && !r.keep_alive) append_field(out, "Connection", "close");
    const bool no_body_status = r.status == 204 || r.status == 304 || r.status < 200;
    const bool length = head ? !no_body_status && r.content_type != "text/event-stream; charset=utf-8" : !no_body_status;
    if (length) {
        out.append("Content-Length: ");
        append_number(out, r.body.size());
        out.append("\r\n");
    }
    out.append("\r\n");
    if (!head) out.append(r.body);
}

}  // namespace herald::sidecar
