// Probes and metrics on the internal listener: GET /healthz, /readyz and /metrics, answered from
// state that already exists (drain flag, broker health, counters). Any thread; no I/O.
#pragma once

#include <string>

#include "sidecar/services.hpp"

namespace herald::sidecar {

struct probe_reply {
    unsigned status = 200;
    std::string content_type;
    std::string body;
};

probe_reply healthz(const services& svc);
probe_reply readyz(const services& svc);
// Prometheus text. Per-channel figures name the busiest channels only, never user: channels.
probe_reply metrics_page(services& svc);

}  // namespace herald::sidecar
