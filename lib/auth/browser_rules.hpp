// Which browsers may reach what: the Origin allow-list for credentialed (cookie) requests on the
// public listener, and the rules that keep browsers off the internal listener (cross-site
// requests without an API key, Host names a DNS-rebinding page would send). Pure functions over
// header values; no state, safe from any thread.
//
// Public listener, by Origin (absent for same-origin GETs and for non-browser clients):
// - no allow-list configured: any Origin gets `Access-Control-Allow-Origin: *` (never credentials);
// - an allow-list: a listed Origin gets itself echoed with credentials, any other none at all;
// - a stream whose token came from the cookie is refused when it carries an unlisted Origin.
// Internal listener: never CORS; a request with Origin or Sec-Fetch-Site cross-site/same-site
// must present a valid API key; Host must be a loopback name, an IP literal or a configured name.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace herald::auth {

// How the public listener answers one Origin.
enum class cors_grant {
    none,         // no Access-Control-Allow-* headers
    any,          // Access-Control-Allow-Origin: *
    credentialed  // the Origin echoed, Access-Control-Allow-Credentials: true, Vary: Origin
};

// True when `origin` is on `allowed` (scheme and host compare case-insensitively, exactly).
bool origin_listed(std::string_view origin, const std::vector<std::string>& allowed);

// The CORS answer for a request's Origin header value ("" when absent).
cors_grant cors_for(std::string_view origin, const std::vector<std::string>& allowed);
// The Access-Control-Allow-Origin value cors_for grants: "*", the origin itself, or "" for none.
std::string allow_origin_value(std::string_view origin, const std::vector<std::string>& allowed);

// True when a browser says the request comes from another site or origin: an Origin header, or
// Sec-Fetch-Site cross-site / same-site. Same-origin and user-initiated ("none") are not.
bool browser_cross_origin(std::string_view origin, std::string_view sec_fetch_site);

// True when the Host header value names this machine the way a local tool or probe would:
// localhost (or *.localhost), an IPv4 or [IPv6] literal, or one of `names` (case-insensitive);
// an optional :port is ignored. An empty or malformed Host is not allowed.
bool internal_host_allowed(std::string_view host, const std::vector<std::string>& names);

}  // namespace herald::auth
