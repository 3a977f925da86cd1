// Resume planning: fingerprint checks first (channel set, epochs), then per-channel coverage.
#include "lib/node/resume.hpp"

namespace herald::node {

std::optional<since_spec> parse_since(std::string_view text) {
    since_spec s;
    if (text.empty()) return s;
    if (text == "earliest") {
        s.mode = since_mode::earliest;
        return s;
    }
    auto c = protocol::parse_cursor(text);
    if (!c) return std::nullopt;
    s.mode = since_mode::cursor;
    s.cursor = std::move(*c);
    return s;
}

namespace {
bool cursor_fits(const since_spec& since, const std::vector<std::string>& channels) {
    return since.cursor.offsets.size() == channels.size() &&
           since.cursor.names_fp == protocol::names_fingerprint(channels);
}
}  // namespace

std::vector<std::optional<std::uint64_t>> read_plan(const since_spec& since, const std::vector<std::string>& channels) {
    std::vector<std::optional<std::uint64_t>> out(channels.size());
    for (std::size_t i = 0; i < channels.size(); ++i) {
        if (since.mode == since_mode::earliest)
            out[i] = 0;
        else if (since.mode == since_mode::cursor && cursor_fits(since, channels))
            out[i] = since.cursor.offsets[i];
    }
    return out;
}

std::vector<channel_resume> plan_resume(const since_spec& since, const std::vector<std::string>& channels,
                                        std::vector<broker::channel_history> histories) {
    std::vector<channel_resume> out(histories.size());
    std::string all_reset;
    if (since.mode == since_mode::bad_cursor || (since.mode == since_mode::cursor && !cursor_fits(since, channels))) {
        all_reset = "bad_cursor";
    } else if (since.mode == since_mode::cursor && !since.any_epoch) {
        std::vector<std::string> epochs;
        for (const auto& h : histories) epochs.push_back(h.epoch);
        if (protocol::epochs_fingerprint(epochs) != since.cursor.epochs_fp) all_reset = "epoch_changed";
    }
    for (std::size_t i = 0; i < histories.size(); ++i) {
        auto& h = histories[i];
        auto& r = out[i];
        r.epoch = h.epoch;
        r.resume_offset = h.last_offset;
        if (!all_reset.empty()) {
            r.reset_reason = all_reset;
            continue;
        }
        if (since.mode == since_mode::earliest) {
            r.replay = std::move(h.events);
        } else if (since.mode == since_mode::cursor) {
            std::uint64_t after = since.cursor.offsets[i];
            if (after > h.last_offset)
                r.reset_reason = "bad_cursor";
            else if (after + 1 < h.first_available)
                r.reset_reason = "history_gone";
            else
                r.replay = std::move(h.events);
        }
    }
    return out;
}

}  // namespace herald::node
