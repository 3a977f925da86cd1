// Resume planning: fingerprint checks first (channel set, epochs), then per-channel coverage.
#include "lib/node/resume.hpp"

namespace herald::node {

std::optional<since_spec> parse_since(std::string_view text) {
    since_spec s;
    if (text.empty()) return s;
    if (text == "earliest" || text == "latest") {
        s.mode = text == "latest" ? since_mode::latest : since_mode::earliest;
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

std::vector<channel_read> read_plan(const since_spec& since, const std::vector<std::string>& channels,
                                    const std::vector<bool>& keyed) {
    std::vector<channel_read> out(channels.size());
    for (std::size_t i = 0; i < channels.size(); ++i) {
        if (since.mode == since_mode::latest || (i < keyed.size() && keyed[i]))
            out[i].latest = true;
        else if (since.mode == since_mode::earliest)
            out[i].after = 0;
        else if (since.mode == since_mode::cursor && cursor_fits(since, channels))
            out[i].after = since.cursor.offsets[i];
    }
    return out;
}

namespace {
// A keyed channel's snapshot: its live keys' latest events (the history holds deletions too).
std::vector<model::event_ptr> snapshot(std::vector<model::event_ptr> events) {
    std::erase_if(events, [](const model::event_ptr& e) { return e->deleted; });
    return events;
}

// Catch-up by key from a cursor at `after`: the keys changed since, deletions included.
std::vector<model::event_ptr> changed_after(std::vector<model::event_ptr> events, std::uint64_t after) {
    std::erase_if(events, [after](const model::event_ptr& e) { return e->offset <= after; });
    return events;
}
}  // namespace

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
        if (h.keyed) {
            r.reset_reason = all_reset;
            if (r.reset_reason.empty() && since.mode == since_mode::cursor) {
                const std::uint64_t after = since.cursor.offsets[i];
                if (after > h.last_offset)
                    r.reset_reason = "bad_cursor";
                else if (after + 1 < h.first_available)
                    r.reset_reason = "history_gone";
                else
                    r.replay = changed_after(std::move(h.events), after);
            }
            if (r.replay.empty() && (since.mode != since_mode::cursor || !r.reset_reason.empty()))
                r.replay = snapshot(std::move(h.events));
            continue;
        }
        if (!all_reset.empty()) {
            r.reset_reason = all_reset;
            continue;
        }
        if (since.mode == since_mode::earliest || since.mode == since_mode::latest) {
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
