// Fuzzes the JSON config file path (lib/config/options apply_json, validate, show_value,
// format_problem). No exception may escape; every problem says what is wrong;
// secrets never show; a Redis broker URL shows with exactly its password masked; numbers and
// choices shown by show_value read back to the same setting.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fuzz/fuzz_check.hpp"
#include "lib/broker/redis_url.hpp"
#include "lib/config/options.hpp"

using namespace herald;
using config::value_kind;

namespace {

void check_problems(const std::vector<config::problem>& problems) {
    for (const auto& p : problems) {
        FUZZ_CHECK(!p.message.empty(), "a problem without a message");  // the key may be "" as written
        FUZZ_CHECK(!config::format_problem(p).empty(), "an empty problem line");
        if (const auto* spec = config::find_option(p.key); spec && spec->secret)
            FUZZ_CHECK(p.value == "***", "a problem shows a secret");
    }
}

void check_broker(config::config& cfg) {
    const auto* spec = config::find_option("broker");
    FUZZ_CHECK(spec, "no broker option");
    const auto url = broker::parse_redis_url(cfg.broker);
    if (!url || url->password.empty()) return;
    const auto shown = config::show_value(cfg, *spec);
    const std::string expected =
        "redis://" + url->user + ":***@" + cfg.broker.substr(cfg.broker.rfind('@') + 1);
    FUZZ_CHECK(shown == expected, "the broker URL does not show with exactly its password masked");
}

void check_read_back(config::config& cfg) {
    for (const auto& spec : config::options()) {
        const auto shown = config::show_value(cfg, spec);
        if (spec.secret) {
            FUZZ_CHECK(shown == "(none)" || shown.starts_with("***"), "show_value shows a secret");
            continue;
        }
        if (spec.kind != value_kind::count && spec.kind != value_kind::millis && spec.kind != value_kind::choice)
            continue;
        config::config fresh;
        std::vector<config::problem> problems;
        if (spec.kind == value_kind::choice && shown == "(none)") continue;
        FUZZ_CHECK(config::set_from_text(fresh, spec, shown, "read back", problems), "a shown value is refused");
        FUZZ_CHECK(config::show_value(fresh, spec) == shown, "a shown value reads back differently");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto doc = nlohmann::json::parse(fuzz::as_text(data, size), nullptr, false);
    if (doc.is_discarded()) return 0;
    config::config cfg;
    std::vector<config::problem> problems;
    config::apply_json(cfg, doc, "fuzz.json", problems);
    for (const auto& p : problems) FUZZ_CHECK(p.source == "fuzz.json", "a file problem without its source");
    if (!doc.is_object()) FUZZ_CHECK(!problems.empty(), "a non-object config was accepted");
    config::validate(cfg, problems);
    check_problems(problems);
    check_broker(cfg);
    check_read_back(cfg);
    return 0;
}
