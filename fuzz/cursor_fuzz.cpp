// Fuzzes stream cursors and `since` (lib/protocol/cursor parse_cursor, lib/node/resume
// parse_since and read_plan). A parsed cursor must survive encode → parse unchanged, parse_since
// must agree with parse_cursor (live, earliest and latest aside), read_plan must fit the channels
// and read a keyed channel's latest state, and a one-channel cursor built
// from the input's text must parse with the fingerprints it was built from.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_check.hpp"
#include "lib/node/resume.hpp"
#include "lib/protocol/cursor.hpp"

using namespace herald;
using protocol::cursor;

namespace {

bool same(const cursor& a, const cursor& b) {
    return a.names_fp == b.names_fp && a.epochs_fp == b.epochs_fp && a.offsets == b.offsets;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = fuzz::as_text(data, size);

    const auto c = protocol::parse_cursor(text);
    if (c) {
        FUZZ_CHECK(!c->offsets.empty(), "a cursor without offsets");
        const auto encoded = protocol::encode_cursor(*c);
        const auto again = protocol::parse_cursor(encoded);
        FUZZ_CHECK(again && same(*again, *c), "encode → parse changed the cursor");
        FUZZ_CHECK(encoded.size() <= text.size(), "the canonical form is longer than the input");
    }

    const auto since = node::parse_since(text);
    if (text.empty() || text == "earliest" || text == "latest") {
        const auto mode = text.empty()            ? node::since_mode::live
                          : text == "earliest" ? node::since_mode::earliest
                                               : node::since_mode::latest;
        FUZZ_CHECK(since && since->mode == mode, "live/earliest/latest not recognised");
    } else {
        FUZZ_CHECK(since.has_value() == c.has_value(), "parse_since and parse_cursor disagree");
        if (since) FUZZ_CHECK(since->mode == node::since_mode::cursor && same(since->cursor, *c), "since lost the cursor");
    }
    if (since) {
        const std::size_t n = since->mode == node::since_mode::cursor ? std::min<std::size_t>(since->cursor.offsets.size(), 64) : 3;
        std::vector<std::string> channels;
        for (std::size_t i = 0; i < n; ++i) channels.push_back("c" + std::to_string(i));
        std::vector<bool> keyed;
        for (std::size_t i = 0; i < n; ++i) keyed.push_back(i % 2 == 1);
        const auto plan = node::read_plan(*since, channels, keyed);
        FUZZ_CHECK(plan.size() == channels.size(), "read plan does not fit the channels");
        for (std::size_t i = 0; i < plan.size(); ++i)
            FUZZ_CHECK(plan[i].latest == (keyed[i] || since->mode == node::since_mode::latest),
                       "a keyed channel (or since=latest) does not read its latest state");
    }

    // The input as "channel\nepoch\noffset-ish": a one-channel cursor must name its fingerprints.
    const auto nl = text.find('\n');
    const std::string channel(text.substr(0, nl));
    const std::string epoch(nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1));
    const std::uint64_t offset = size;
    const auto one = protocol::parse_cursor(protocol::single_channel_cursor_prefix(channel, epoch) + std::to_string(offset));
    FUZZ_CHECK(one && one->offsets == std::vector<std::uint64_t>{offset}, "one-channel cursor does not parse");
    FUZZ_CHECK(one->names_fp == protocol::names_fingerprint({channel}), "one-channel cursor lost its names fingerprint");
    FUZZ_CHECK(one->epochs_fp == protocol::epochs_fingerprint({epoch}), "one-channel cursor lost its epochs fingerprint");
    return 0;
}
