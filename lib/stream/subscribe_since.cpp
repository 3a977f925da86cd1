// Subscribe since: a one-channel cursor from the command's epoch and offset.
#include "lib/stream/subscribe_since.hpp"

namespace herald::stream {

node::since_spec subscribe_since(const std::string& channel, const std::optional<protocol::ws_since>& since) {
    node::since_spec out;
    if (!since) return out;
    if (since->latest) {
        out.mode = node::since_mode::latest;
        return out;
    }
    out.mode = node::since_mode::cursor;
    out.cursor.names_fp = protocol::names_fingerprint({channel});
    out.cursor.offsets = {since->offset};
    if (since->epoch)
        out.cursor.epochs_fp = protocol::epochs_fingerprint({*since->epoch});
    else if (since->offset == 0)
        out.mode = node::since_mode::earliest;
    else
        out.any_epoch = true;
    return out;
}

}  // namespace herald::stream
