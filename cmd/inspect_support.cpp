// Shared pieces of the inspect commands: options, GET with named errors, tables, formatting.
#include "cmd/inspect_support.hpp"

#include <chrono>
#include <ctime>

#include "lib/client/http_client.hpp"

namespace herald::cmd {

void add_inspect_options(CLI::App* cmd, inspect_options& o) {
    cmd->add_option("--url", o.url, "Internal listener of the gateway")->envname("HERALD_URL")->default_str(default_url);
    cmd->add_option("--api-key", o.api_key, "API key, when the gateway requires one")->envname("HERALD_API_KEY");
    cmd->add_flag("--json", o.json_out, "Print the server's JSON document instead of a table");
}

namespace {
void print_error(context& ctx, const model::error& e) {
    ctx.err << "herald: " << e.message << "\n";
    if (!e.hint.empty()) ctx.err << "hint: " << e.hint << "\n";
}

// Display width of UTF-8 text: one column per code point (good enough for names and data).
std::size_t width(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}
}  // namespace

std::optional<ordered_json> inspect_get(context& ctx, const inspect_options& o, const std::string& target, int& exit_code) {
    auto url = client::parse_url(o.url.empty() ? default_url : o.url);
    if (!url) {
        print_error(ctx, url.err());
        exit_code = exit_usage;
        return std::nullopt;
    }
    client::header_list headers;
    if (!o.api_key.empty()) headers.emplace_back("Authorization", "Bearer " + o.api_key);
    auto reply = client::http_request(*url, "GET", target, {}, {}, headers);
    exit_code = exit_failure;
    if (!reply) {
        print_error(ctx, reply.err());
        return std::nullopt;
    }
    if (reply->status != 200) {
        print_error(ctx, client::reply_error(*reply));
        return std::nullopt;
    }
    auto j = ordered_json::parse(reply->body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        print_error(ctx, {"bad_reply", 0, "the reply from " + url->text + " is not a JSON object",
                          "is that address a herald internal listener?"});
        return std::nullopt;
    }
    exit_code = exit_ok;
    return j;
}

int usage_error(context& ctx, const std::string& message, const std::string& hint) {
    ctx.err << "herald: " << message << "\nhint: " << hint << "\n";
    return exit_usage;
}

void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& right) {
    std::vector<std::size_t> widths(header.size());
    for (std::size_t c = 0; c < header.size(); ++c) widths[c] = width(header[c]);
    for (const auto& r : rows)
        for (std::size_t c = 0; c < r.size() && c < widths.size(); ++c) widths[c] = std::max(widths[c], width(r[c]));
    auto line = [&](const std::vector<std::string>& cells) {
        std::string text;
        for (std::size_t c = 0; c < cells.size() && c < widths.size(); ++c) {
            const bool last = c + 1 == cells.size();
            const auto pad = std::string(widths[c] - width(cells[c]), ' ');
            if (c < right.size() && right[c])
                text += pad + cells[c];
            else
                text += cells[c] + (last ? "" : pad);
            if (!last) text += "  ";
        }
        while (!text.empty() && text.back() == ' ') text.pop_back();
        out << text << "\n";
    };
    line(header);
    for (const auto& r : rows) line(r);
}

std::string format_time(const ordered_json& ms) {
    if (!ms.is_number()) return "-";
    const auto v = ms.get<std::int64_t>();
    std::time_t secs = static_cast<std::time_t>(v / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%03d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(v % 1000));
    return buf;
}

std::string format_age(const ordered_json& ms) {
    if (!ms.is_number()) return "-";
    using namespace std::chrono;
    const auto now = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    const auto s = std::max<std::int64_t>(0, (now - ms.get<std::int64_t>()) / 1000);
    char buf[32];
    if (s < 60)
        std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(s));
    else if (s < 3600)
        std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
    else if (s < 86400)
        std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(s / 3600),
                      static_cast<long long>(s / 60 % 60));
    else
        std::snprintf(buf, sizeof buf, "%lldd%02lldh", static_cast<long long>(s / 86400),
                      static_cast<long long>(s / 3600 % 24));
    return buf;
}

std::string cell(const ordered_json& v) {
    if (v.is_null()) return "-";
    if (!v.is_string()) return v.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
    std::string out;
    for (unsigned char c : v.get_ref<const std::string&>()) {
        if (c == '\n')
            out += "\\n";
        else if (c == '\r')
            out += "\\r";
        else if (c == '\t')
            out += "\\t";
        else if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else
            out.push_back(static_cast<char>(c));
    }
    return out;
}

}  // namespace herald::cmd
