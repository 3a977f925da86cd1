// broker/memory_broker, inspection beyond the shared contract (info and list_channels are tested
// for both brokers in broker_conformance_test.cpp): an unknown channel has no info, idempotent
// repeats are not counted as publishes, and listed entries carry their info.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lib/broker/memory_broker.hpp"
#include "tests/support/manual_clock.hpp"

namespace herald::broker {
namespace {

model::publish_request request(std::string channel, std::string key = "") {
    model::publish_request r;
    r.channel = std::move(channel);
    r.data = "x";
    r.kind = model::data_kind::text;
    r.idempotency_key = std::move(key);
    return r;
}

struct MemoryBrokerInspectTest : ::testing::Test {
    test::manual_clock clock;
    memory_broker_options opts;
    std::unique_ptr<memory_broker> broker;

    memory_broker& make() {
        broker = std::make_unique<memory_broker>(clock, opts);
        return *broker;
    }
    void publish(const std::string& channel, const std::string& key = "") {
        bool called = false;
        broker->publish(request(channel, key), [&](model::result<model::publish_result> r) {
            called = true;
            EXPECT_TRUE(r.ok());
        });
        EXPECT_TRUE(called);
    }
    std::optional<channel_info> info(const std::string& channel) {
        std::optional<model::result<std::optional<channel_info>>> out;
        broker->info(channel, [&](model::result<std::optional<channel_info>> r) { out.emplace(std::move(r)); });
        EXPECT_TRUE(out && out->ok()) << "info did not call back inline with a value";
        return out && out->ok() ? out->value() : std::nullopt;
    }
    std::vector<std::string> list(const std::string& prefix, const std::string& after, std::size_t limit) {
        std::optional<model::result<std::vector<channel_info>>> out;
        broker->list_channels(prefix, after, limit,
                              [&](model::result<std::vector<channel_info>> r) { out.emplace(std::move(r)); });
        EXPECT_TRUE(out && out->ok()) << "list_channels did not call back inline with a value";
        std::vector<std::string> names;
        if (out && out->ok())
            for (const auto& c : out->value()) names.push_back(c.channel);
        return names;
    }
};

using names = std::vector<std::string>;

TEST_F(MemoryBrokerInspectTest, InfoOfAnUnknownChannelIsNone) {
    make();
    EXPECT_FALSE(info("never").has_value());
    EXPECT_EQ(list("", "", 10), names{});
}

TEST_F(MemoryBrokerInspectTest, IdempotentRepeatsAreNotCountedAsPublishes) {
    make();
    publish("news", "k1");
    publish("news", "k1");
    publish("news", "k2");
    EXPECT_EQ(info("news")->publishes, 2u);
}

TEST_F(MemoryBrokerInspectTest, ListedEntriesCarryTheirInfo) {
    make();
    publish("a");
    publish("b");
    publish("b");
    std::optional<model::result<std::vector<channel_info>>> out;
    broker->list_channels("", "", 10, [&](model::result<std::vector<channel_info>> r) { out.emplace(std::move(r)); });
    ASSERT_TRUE(out && out->ok());
    ASSERT_EQ(out->value().size(), 2u);
    EXPECT_EQ(out->value()[0].last_offset, 1u);
    EXPECT_EQ(out->value()[1].channel, "b");
    EXPECT_EQ(out->value()[1].last_offset, 2u);
    EXPECT_EQ(out->value()[1].history_size, 2u);
    EXPECT_EQ(out->value()[1].publishes, 2u);
}

}  // namespace
}  // namespace herald::broker
