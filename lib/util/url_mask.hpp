// One rule for showing a URL that may carry credentials (broker URLs in logs, errors, check-config):
// the credentials are everything between "://" and the LAST '@' (as the Redis URL parser reads
// them, so a password may hold '@' and ':'); the password (after the first ':') becomes ***, and
// credentials with no ':' are masked whole. Pure function.
#pragma once

#include <string>
#include <string_view>

namespace herald::util {

std::string mask_url_credentials(std::string_view url);

}  // namespace herald::util
