// Start-up of authentication: builds the access policy from configuration, refuses unsafe
// setups (an internal listener off loopback with no API key) with an error saying how to fix
// them, and logs what is enforced (never a secret). Throws std::runtime_error on a bad setup.
#pragma once

#include <memory>
#include <spdlog/logger.h>

#include "lib/auth/access_policy.hpp"
#include "lib/config/config.hpp"
#include "lib/config/options.hpp"
#include "lib/util/clock.hpp"

namespace herald::sidecar {

std::unique_ptr<auth::access_policy> make_access_policy(const config::config& cfg, const util::clock& clock);
// Every problem make_access_policy would throw for (unreadable key files, bad patterns, empty
// keys, an internal listener off loopback without an API key), for check-config.
std::vector<config::problem> check_access_setup(const config::config& cfg);
// Logs what is enforced (or, loudly, that nothing is); called once the listeners are bound.
void announce_access_policy(const config::config& cfg, const auth::access_policy& policy, spdlog::logger& log);

}  // namespace herald::sidecar
