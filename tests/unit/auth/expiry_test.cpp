// auth/expiry: expiry_watch gives one notice a set time before exp and then one expired at exp,
// never both twice; a token first seen inside the notice window still gets its notice, one seen
// after exp goes straight to expired; renew (a refreshed token) starts over; no exp never fires.
#include "lib/auth/expiry.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

namespace herald::auth {
namespace {

using step = expiry_watch::step;

constexpr std::int64_t exp_ms = 1'700'000'060'000;
constexpr std::int64_t notice_ms = 10'000;
constexpr std::int64_t never = std::numeric_limits<std::int64_t>::max();

// Polls at every time in `times`, returning what each poll gave.
std::vector<step> poll_all(expiry_watch& w, const std::vector<std::int64_t>& times) {
    std::vector<step> out;
    for (auto t : times) out.push_back(w.poll(t));
    return out;
}

TEST(Expiry, ADefaultWatchNeverFires) {
    expiry_watch w;
    EXPECT_FALSE(w.exp());
    for (std::int64_t t : {std::int64_t{0}, exp_ms, never}) EXPECT_EQ(w.poll(t), step::none);
}

TEST(Expiry, ATokenWithoutExpNeverFires) {
    expiry_watch w(std::nullopt, notice_ms);
    EXPECT_FALSE(w.exp());
    for (std::int64_t t : {std::int64_t{0}, exp_ms, never}) EXPECT_EQ(w.poll(t), step::none);
}

TEST(Expiry, NoticeThenExpiredEachExactlyOnce) {
    expiry_watch w(exp_ms, notice_ms);
    EXPECT_EQ(w.exp(), exp_ms);
    EXPECT_EQ(w.poll(exp_ms - 60'000), step::none);
    EXPECT_EQ(w.poll(exp_ms - notice_ms - 1), step::none);
    EXPECT_EQ(w.poll(exp_ms - notice_ms), step::notice);  // the window opens at exp - notice
    EXPECT_EQ(w.poll(exp_ms - notice_ms), step::none);
    EXPECT_EQ(w.poll(exp_ms - 1), step::none);
    EXPECT_EQ(w.poll(exp_ms), step::expired);  // at exp, not after
    EXPECT_EQ(w.poll(exp_ms), step::none);
    EXPECT_EQ(w.poll(exp_ms + 3'600'000), step::none);
}

TEST(Expiry, SweepingEveryMillisecondGivesOneOfEach) {
    expiry_watch w(exp_ms, notice_ms);
    int notices = 0, expiries = 0;
    std::int64_t notice_at = 0, expired_at = 0;
    for (std::int64_t t = exp_ms - 2 * notice_ms; t <= exp_ms + notice_ms; t += 7) {
        switch (w.poll(t)) {
            case step::notice:
                ++notices;
                notice_at = t;
                break;
            case step::expired:
                ++expiries;
                expired_at = t;
                break;
            case step::none:
                break;
        }
    }
    EXPECT_EQ(notices, 1);
    EXPECT_EQ(expiries, 1);
    EXPECT_GE(notice_at, exp_ms - notice_ms);
    EXPECT_LT(notice_at, exp_ms - notice_ms + 7);
    EXPECT_GE(expired_at, exp_ms);
    EXPECT_LT(expired_at, exp_ms + 7);
}

TEST(Expiry, FirstPollInsideTheNoticeWindowGivesTheNotice) {
    expiry_watch w(exp_ms, notice_ms);
    EXPECT_EQ(poll_all(w, {exp_ms - 3'000, exp_ms - 2'000, exp_ms, exp_ms + 1}),
              (std::vector<step>{step::notice, step::none, step::expired, step::none}));
}

TEST(Expiry, FirstPollAfterExpGivesExpiredWithoutANotice) {
    expiry_watch w(exp_ms, notice_ms);
    EXPECT_EQ(poll_all(w, {exp_ms + 5'000, exp_ms + 6'000, exp_ms - 1'000}),
              (std::vector<step>{step::expired, step::none, step::none}));
}

TEST(Expiry, ZeroNoticeGoesStraightToExpired) {
    expiry_watch w(exp_ms, 0);
    EXPECT_EQ(poll_all(w, {exp_ms - 1, exp_ms, exp_ms + 1}),
              (std::vector<step>{step::none, step::expired, step::none}));
}

TEST(Expiry, RenewResetsBothSteps) {
    expiry_watch w(exp_ms, notice_ms);
    EXPECT_EQ(w.poll(exp_ms - 5'000), step::notice);
    const std::int64_t later = exp_ms + 3'600'000;
    w.renew(later);  // a refreshed token before exp
    EXPECT_EQ(w.exp(), later);
    EXPECT_EQ(w.poll(exp_ms), step::none);  // the old exp no longer ends the stream
    EXPECT_EQ(w.poll(later - notice_ms), step::notice);
    EXPECT_EQ(w.poll(later), step::expired);

    w.renew(later + 60'000);  // renewed after it fired: both steps are due again
    EXPECT_EQ(poll_all(w, {later + 60'000 - notice_ms, later + 60'000}),
              (std::vector<step>{step::notice, step::expired}));
}

TEST(Expiry, RenewWithoutExpStopsTheWatch) {
    expiry_watch w(exp_ms, notice_ms);
    EXPECT_EQ(w.poll(exp_ms - 1'000), step::notice);
    w.renew(std::nullopt);
    EXPECT_FALSE(w.exp());
    EXPECT_EQ(w.poll(exp_ms), step::none);
    EXPECT_EQ(w.poll(never), step::none);
}

TEST(Expiry, RenewKeepsTheNoticeLead) {
    expiry_watch w(exp_ms, notice_ms);
    w.renew(exp_ms + 100'000);
    EXPECT_EQ(w.poll(exp_ms + 100'000 - notice_ms - 1), step::none);
    EXPECT_EQ(w.poll(exp_ms + 100'000 - notice_ms), step::notice);
}

}  // namespace
}  // namespace herald::auth
