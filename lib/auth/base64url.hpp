// base64url without padding (RFC 4648 §5), as JWS/JWT use it (RFC 7515 §2). Strict: any
// character outside the alphabet, padding, or a length no encoding produces is refused.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace herald::auth {

std::string base64url_encode(std::string_view bytes);
// nullopt when `text` is not canonical unpadded base64url.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace herald::auth
