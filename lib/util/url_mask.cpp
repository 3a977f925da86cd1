// Credential masking for URLs; see url_mask.hpp.
#include "lib/util/url_mask.hpp"

namespace herald::util {

std::string mask_url_credentials(std::string_view url) {
    auto scheme = url.find("://");
    if (scheme == std::string_view::npos) return std::string(url);
    auto rest = url.substr(scheme + 3);
    auto at = rest.rfind('@');
    if (at == std::string_view::npos) return std::string(url);
    auto cred = rest.substr(0, at);
    auto colon = cred.find(':');
    std::string out(url.substr(0, scheme + 3));
    if (colon != std::string_view::npos) out.append(cred.substr(0, colon)).append(":");
    out.append("***@").append(rest.substr(at + 1));
    return out;
}

}  // namespace herald::util
