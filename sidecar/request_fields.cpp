// One pass over the header: known fields by Beast's enum, the others by a case-insensitive name.
#include "sidecar/request_fields.hpp"

#include <strings.h>

namespace herald::sidecar {

namespace {
namespace http = boost::beast::http;

bool named(std::string_view name, std::string_view want) {
    return name.size() == want.size() && strncasecmp(name.data(), want.data(), want.size()) == 0;
}

void first(std::string_view& slot, std::string_view value, bool& seen) {
    if (!seen) slot = value;
    seen = true;
}
}  // namespace

request_fields scan_fields(const request& req) {
    request_fields f;
    bool origin = false, site = false, authorization = false, cookie = false, type = false, key = false, last = false;
    for (const auto& field : req) {
        const std::string_view value = field.value();
        switch (field.name()) {
            case http::field::host:
                if (f.hosts++ == 0) f.host = value;
                break;
            case http::field::transfer_encoding:
                f.transfer_encoding = true;
                break;
            case http::field::origin:
                first(f.origin, value, origin);
                break;
            case http::field::sec_fetch_site:
                first(f.sec_fetch_site, value, site);
                break;
            case http::field::authorization:
                first(f.authorization, value, authorization);
                break;
            case http::field::cookie:
                first(f.cookie, value, cookie);
                break;
            case http::field::content_type:
                first(f.content_type, value, type);
                break;
            case http::field::unknown: {
                const std::string_view name = field.name_string();
                if (named(name, "Idempotency-Key"))
                    first(f.idempotency_key, value, key);
                else if (named(name, "Last-Event-ID"))
                    first(f.last_event_id, value, last);
                break;
            }
            default:
                break;
        }
    }
    return f;
}

}  // namespace herald::sidecar
