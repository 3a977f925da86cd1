// Framing and origin checks ahead of routing; see request_guard.hpp.
#include "sidecar/request_guard.hpp"

#include "lib/util/ascii.hpp"

#include "lib/auth/browser_rules.hpp"
#include "lib/http/credentials.hpp"

namespace herald::sidecar {

namespace {

// RFC 9112 §6.3: a request whose Transfer-Encoding does not end in chunked has no knowable length.
// Only the last field's last coding counts.
bool transfer_encoding_ok(const request_fields& fields) {
    if (!fields.has_transfer_encoding) return true;
    std::string_view v = fields.transfer_encoding_last;
    auto comma = v.rfind(',');
    return util::iequals(util::trim_ows(comma == std::string_view::npos ? v : v.substr(comma + 1)), "chunked");
}
}  // namespace

std::optional<model::error> guard_request(const request& req, listener_kind kind, const config::config& cfg,
                                          const auth::access_policy& auth) {
    const auto& fields = req.fields;
    const auto hosts = fields.hosts;
    if (hosts > 1) return model::errors::bad_request("the request carries " + std::to_string(hosts) + " Host headers");
    if (hosts == 0 && req.version >= 11) return model::errors::bad_request("an HTTP/1.1 request needs a Host header");
    if (!transfer_encoding_ok(fields))
        return model::errors::bad_request("Transfer-Encoding '" + std::string(fields.transfer_encoding) +
                                          "' does not end in chunked");
    if (kind != listener_kind::internal_listener) return std::nullopt;
    if (hosts == 1 && !auth::internal_host_allowed(fields.host, cfg.internal_hosts))
        return model::errors::host_not_allowed(std::string(fields.host));
    if (auth::browser_cross_origin(fields.origin, fields.sec_fetch_site)) {
        auto key = herald::http::bearer_token(fields.authorization);
        if (!auth.publisher_keys() || !key || auth.check_api_key(key)) return model::errors::cross_origin_refused();
    }
    return std::nullopt;
}

}  // namespace herald::sidecar
