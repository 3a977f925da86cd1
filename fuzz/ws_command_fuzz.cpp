// Fuzzes the WebSocket command parser (lib/protocol/ws_codec parse_ws_command). No exception may
// escape. A refusal must carry a known code and render as an {"op":"error"} object echoing the
// id; an accepted command, written back out as JSON, must parse to the same command, and its
// reply must be valid JSON.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "fuzz/fuzz_check.hpp"
#include "lib/model/channel.hpp"
#include "lib/protocol/ws_codec.hpp"

using namespace herald::protocol;
using nlohmann::json;

namespace {

const char* op_name(ws_op op) {
    switch (op) {
        case ws_op::subscribe: return "subscribe";
        case ws_op::unsubscribe: return "unsubscribe";
        case ws_op::ping: return "ping";
        case ws_op::refresh: return "refresh";
    }
    return "?";
}

json to_json(const ws_command& c) {
    json j = {{"op", op_name(c.op)}};
    if (!c.id.empty()) j["id"] = json::parse(c.id);
    if (c.op == ws_op::subscribe || c.op == ws_op::unsubscribe) j["channel"] = c.channel;
    if (c.op == ws_op::refresh) j["token"] = c.token;
    if (c.since) {
        j["since"] = {{"offset", c.since->offset}};
        if (c.since->epoch) j["since"]["epoch"] = *c.since->epoch;
    }
    return j;
}

bool same(const ws_command& a, const ws_command& b) {
    const bool since_same = a.since.has_value() == b.since.has_value() &&
                            (!a.since || (a.since->offset == b.since->offset && a.since->epoch == b.since->epoch));
    return a.op == b.op && a.id == b.id && a.channel == b.channel && a.token == b.token && since_same;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = herald::fuzz::as_text(data, size);
    ws_command cmd;
    auto err = parse_ws_command(text, cmd);
    if (err) {
        const auto& code = err->error.code;
        FUZZ_CHECK(code == "invalid_json" || code == "invalid_command" || code == "unknown_op" ||
                       code == "invalid_channel" || code == "invalid_since",
                   "unknown error code");
        FUZZ_CHECK(err->error.status == 400, "command errors are 400");
        const auto reply = json::parse(ws_error_json(err->id, err->error), nullptr, false);
        FUZZ_CHECK(reply.is_object() && reply["op"] == "error" && reply["code"] == code, "error reply not JSON");
        FUZZ_CHECK(err->id.empty() ? !reply.contains("id") : reply["id"].dump() == err->id, "error reply lost the id");
        return 0;
    }
    if (cmd.op == ws_op::subscribe || cmd.op == ws_op::unsubscribe)
        FUZZ_CHECK(!herald::model::validate_channel(cmd.channel), "accepted an invalid channel");
    FUZZ_CHECK(!cmd.since || cmd.op == ws_op::subscribe, "since on a command other than subscribe");

    const auto reply = json::parse(ws_reply_json(op_name(cmd.op), cmd.id, ""), nullptr, false);
    FUZZ_CHECK(reply.is_object() && reply["op"] == op_name(cmd.op), "reply not JSON");

    ws_command again;
    FUZZ_CHECK(!parse_ws_command(to_json(cmd).dump(), again), "re-encoded command refused");
    FUZZ_CHECK(same(cmd, again), "re-encoded command parsed differently");
    return 0;
}
