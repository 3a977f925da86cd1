// raw_write_floor: the physical floor the benchmark's figures are compared with: CPU of one
// 100-byte write() to a loopback TCP socket (TCP_NODELAY, like herald), measured in the same
// run before herald starts, so results from different machines compare as ratios.
#pragma once

#include <cstddef>

namespace herald::bench {

// Round-robin over `sockets` connected pairs, readers drained between rounds (untimed).
// Returns µs of thread CPU per write; 0 when writes is 0. Throws when no pair can be made.
double raw_write_floor(std::size_t sockets, std::size_t writes);

}  // namespace herald::bench
