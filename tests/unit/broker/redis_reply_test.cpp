// broker/redis_reply: the event JSON the publish script writes decodes into an event (text and
// JSON data), anything else is nullptr; reply text, integers (numbers or decimal strings) and
// array checks, with nullptr as "no reply".
#include "lib/broker/redis_reply.hpp"

#include <gtest/gtest.h>

#include <hiredis/hiredis.h>

#include <string>

namespace herald::broker {
namespace {

model::event_ptr decode(const std::string& s) { return decode_event(s.data(), s.size()); }

TEST(RedisReply, DecodesTheEventThePublishScriptWrites) {
    auto ev = decode(R"({"published_at":1700,"cost":66,"offset":3,"epoch":"ab12cd34","channel":"news",)"
                     R"("name":"update","kind":"text","data":"hi"})");
    ASSERT_TRUE(ev);
    EXPECT_EQ(ev->published_at, 1700);
    EXPECT_EQ(ev->offset, 3u);
    EXPECT_EQ(ev->epoch, "ab12cd34");
    EXPECT_EQ(ev->channel, "news");
    EXPECT_EQ(ev->name, "update");
    EXPECT_EQ(ev->kind, model::data_kind::text);
    EXPECT_EQ(ev->data, "hi");
    auto j = decode(R"({"published_at":1,"offset":1,"epoch":"e","channel":"c","name":"","kind":"json",)"
                    R"("data":"{\"a\":1}"})");
    ASSERT_TRUE(j);
    EXPECT_EQ(j->kind, model::data_kind::json);
    EXPECT_EQ(j->data, R"({"a":1})");
}

TEST(RedisReply, DecodesAKeyedEventAndADeletion) {
    auto ev = decode(R"({"published_at":1,"offset":2,"epoch":"e","channel":"c","name":"","kind":"json",)"
                     R"("data":"5","key":"un,\"key\":read"})");
    ASSERT_TRUE(ev);
    EXPECT_EQ(ev->key, "un,\"key\":read");
    EXPECT_FALSE(ev->deleted);
    auto gone = decode(R"({"published_at":1,"offset":3,"epoch":"e","channel":"c","name":"","kind":"json",)"
                       R"("data":"","key":"k","deleted":true})");
    ASSERT_TRUE(gone);
    EXPECT_TRUE(gone->deleted);
    EXPECT_FALSE(decode(R"({"published_at":1,"offset":3,"epoch":"e","channel":"c","name":"","kind":"json",)"
                        R"("data":"","key":7})"))
        << "a key that is not a string";
}

TEST(RedisReply, AnythingElseIsNotAnEvent) {
    EXPECT_FALSE(decode(""));
    EXPECT_FALSE(decode("not json"));
    EXPECT_FALSE(decode("[1,2]"));
    EXPECT_FALSE(decode(R"({"offset":1})")) << "fields missing";
    EXPECT_FALSE(decode(R"({"published_at":1,"offset":"one","epoch":"e","channel":"c","name":"","kind":"json",)"
                        R"("data":""})"))
        << "a field of the wrong type";
}

TEST(RedisReply, ReadsTextIntegersAndArrays) {
    char digits[] = "42";
    redisReply str{};
    str.type = REDIS_REPLY_STRING;
    str.str = digits;
    str.len = 2;
    redisReply num{};
    num.type = REDIS_REPLY_INTEGER;
    num.integer = -7;
    redisReply* items[] = {&str, &num};
    redisReply arr{};
    arr.type = REDIS_REPLY_ARRAY;
    arr.elements = 2;
    arr.element = items;

    EXPECT_EQ(reply_text(&str), "42");
    EXPECT_EQ(reply_text(&num), "");
    EXPECT_EQ(reply_text(nullptr), "");
    EXPECT_EQ(reply_integer(&str), 42);
    EXPECT_EQ(reply_integer(&num), -7);
    EXPECT_EQ(reply_integer(&arr), 0);
    EXPECT_EQ(reply_integer(nullptr), 0);
    EXPECT_TRUE(reply_is_array(&arr, 2));
    EXPECT_FALSE(reply_is_array(&arr, 3));
    EXPECT_FALSE(reply_is_array(&str, 0));
    EXPECT_FALSE(reply_is_array(nullptr, 0));
}

}  // namespace
}  // namespace herald::broker
