// The Redis broker's Lua scripts: each runs atomically in Redis, so every node sees one order.
// Key layout (P = key prefix, default "herald:"; ch = channel name; keep = max(history ttl,
// idempotency window), 0 when history does not expire):
//   P epoch                 string   the stream epoch new channels take: drawn when absent (so a Redis
//                                    that restarted empty yields a new one), PX keep (so a channel that
//                                    expired and is created again never gets its old epoch back)
//   P channels              zset     the channels that have state (score 0, name order)
//   P seen                  zset     the same channels scored by their last publish (ms): the channel
//                                    cap counts it, prune() drops the names whose keys expired
//   P m:<ch>                hash     epoch, offset (last assigned), publishes, last_at (ms), bytes
//                                    (history cost), ttl and keep (ms: the channel's history age and
//                                    key lifetime as of its last publish, by its policy; reads, inspect
//                                    and touch use them); PEXPIRE keep, refreshed by every publish
//   P h:<ch>                list     the history: event JSON, oldest first, offsets contiguous, each
//                                    starting {"published_at":<ms>,"cost":<data bytes + 64>,... so age
//                                    and cost are read cheaply; PEXPIRE keep like the hash
//   P i:<len(ch)>:<ch>:<key> string  an idempotency key: "<expires_at ms>:<offset>:<epoch>", or
//                                    "<expires_at ms>:<offset>:v<counter value>:<epoch>" for an incr,
//                                    PX window
//   pubsub P ev:<ch>                 the same event JSON, published in the same script
// Keyed channels (a publish with a key; see broker.hpp), besides the above:
//   P k:<ch>                hash     key → that key's latest event JSON, deletions included
//   P ko:<ch>               zset     the deleted keys of k:, scored by their deletion's offset: past
//                                    max(max_keys, 1) of them the lowest go (from k: too)
//   P m:<ch> fields         keys     live keys (present once the channel took a keyed publish)
//                           floor    1 + the offset of the newest deletion forgotten (absent: 1)
//   A keyed event's JSON ends ,"kind":..,"data":<string>,"key":<string>[,"deleted":true]} (a
//   deletion: kind json, data ""; an incr: kind json, data the sum's digits), so the key, whether it
//   is a deletion and a counter's digits are read from its tail; other events carry neither field.
//   Expiry: while the channel has a live key, m:, k: and ko: have none (PERSIST at every publish;
//   touch leaves them so), so a counter outlives history.ttl and the channel keeps its epoch and
//   offset; h: still expires by keep and its events age by ttl (bytes restarts at 0 when h: is
//   gone). With no live key left, all four expire by keep like any channel's keys.
// Times in values come from the broker's clock (ARGV), so a manual clock drives history age and
// idempotency windows in tests; key expiry is Redis's own (real time).
// No state, no I/O: text only.
#pragma once

namespace herald::broker::redis_scripts {

// Shared helpers, prepended to every script.
inline constexpr const char* prelude = R"lua(
local function pop_oldest(hkey, mkey)
  local e = redis.call('LPOP', hkey)
  if e then
    local cost = tonumber(string.match(e, '^{"published_at":%-?%d+,"cost":(%d+)')) or #e
    redis.call('HINCRBY', mkey, 'bytes', -cost)
  end
end
local function trim_expired(hkey, mkey, now, ttl)
  if ttl <= 0 then return end
  while true do
    local head = redis.call('LINDEX', hkey, 0)
    if not head then return end
    local t = tonumber(string.match(head, '^{"published_at":(%-?%d+)'))
    if t == nil or t > now - ttl then return end
    pop_oldest(hkey, mkey)
  end
end
local function global_epoch(ekey, token, keep)
  local e = redis.call('GET', ekey)
  if not e then
    if keep > 0 then
      redis.call('SET', ekey, token, 'PX', keep)
    else
      redis.call('SET', ekey, token)
    end
    e = token
  end
  return e
end
-- Forgets up to n channels of the index not published to since `cutoff` (now - keep) whose keys
-- have expired. One whose keys are still there (its score is the publishing node's time, a little
-- before Redis set the expiry; or another node keeps longer) is scored again to come due when
-- its position expires.
local function prune(seen, channels, prefix, cutoff, now, n)
  local names = redis.call('ZRANGEBYSCORE', seen, '-inf', cutoff, 'LIMIT', 0, n)
  for i = 1, #names do
    local left = redis.call('PTTL', prefix .. 'm:' .. names[i])
    if left == -2 then
      redis.call('ZREM', seen, names[i])
      redis.call('ZREM', channels, names[i])
    elseif left >= 0 then
      redis.call('ZADD', seen, cutoff + left + 1, names[i])
    else
      redis.call('ZADD', seen, now, names[i])
    end
  end
  return #names
end
local function describe(mkey, hkey, now, ttl)
  local m = redis.call('HMGET', mkey, 'epoch', 'offset', 'publishes', 'last_at', 'ttl', 'keys')
  if not m[1] then return nil end
  trim_expired(hkey, mkey, now, tonumber(m[5]) or ttl)
  local len = redis.call('LLEN', hkey)
  local last = tonumber(m[2])
  return {m[1], last, last - len + 1, len, tonumber(m[3]) or 0, tonumber(m[4]) or 0, tonumber(m[6]) or 0}
end
)lua";

// KEYS: meta, history, channels, epoch, seen, keyed values, keyed deletions[, idempotency key]
// ARGV: channel, fresh epoch token, now ms, history size, history ttl ms, idempotency window ms,
//       event JSON after the position ("channel":..,"name":..,"kind":..,"data":..}; for a keyed
//       publish only "channel":..,"name":..), pubsub channel, history max bytes (0: none), this
//       event's cost, keep ms (0: no expiry), max channels, key prefix, 1 when keep is shorter than the
//       global one (the epoch key is then made to expire no later than this channel's keys, so the
//       channel, once expired, never comes back in its old epoch),
//       then for a keyed publish (ARGV[15] "" otherwise): key, key as a JSON string, op (set, incr,
//       remove), incr amount, max keys, kind (set), data as a JSON string (set).
//       History size, ttl, max bytes, keep and max keys are this channel's, by its policy.
// → {duplicate 0|1, offset, epoch[, counter value]}, {-1, channels held} when a new channel would
//   pass the cap, or {-2, refusal[, why]}: too_many_keys, not_a_counter (value|range), key_not_found
inline constexpr const char* publish = R"lua(
local now = tonumber(ARGV[3])
local keep = tonumber(ARGV[11])
if KEYS[8] then
  local prev = redis.call('GET', KEYS[8])
  if prev then
    local exp, off, v, ep = string.match(prev, '^(%-?%d+):(%d+):v(%-?%d+):(.*)$')
    if exp then
      if tonumber(exp) > now then return {1, tonumber(off), ep, v} end
    else
      exp, off, ep = string.match(prev, '^(%-?%d+):(%d+):(.*)$')
      if exp and tonumber(exp) > now then return {1, tonumber(off), ep} end
    end
  end
end
local m = redis.call('HMGET', KEYS[1], 'epoch', 'keys')
local epoch = m[1]
local live = tonumber(m[2])
if not epoch then
  local cap = tonumber(ARGV[12])
  if keep > 0 then prune(KEYS[5], KEYS[3], ARGV[13], now - keep, now, 100) end
  local held = redis.call('ZCARD', KEYS[5])
  if held >= cap and keep > 0 then
    prune(KEYS[5], KEYS[3], ARGV[13], now - keep, now, 1000)
    held = redis.call('ZCARD', KEYS[5])
  end
  if held >= cap then return {-1, held} end
  live = nil
end
local key, op = ARGV[15], ARGV[17]
local prev, was_live, sum = false, false, nil
if key ~= '' then
  if epoch then prev = redis.call('HGET', KEYS[6], key) end
  was_live = prev and string.sub(prev, -16) ~= ',"deleted":true}'
  if op == 'remove' then
    if not was_live then return {-2, 'key_not_found'} end
  else
    if op == 'incr' then
      local before = 0
      if was_live then
        local sign, digits = string.match(prev, ',"kind":"json","data":"(%-?)0*(%d+)","key":')
        before = digits and #digits <= 16 and tonumber(digits)
        if not before or before > 9007199254740991 then return {-2, 'not_a_counter', 'value'} end
        if sign == '-' then before = -before end
      end
      sum = before + tonumber(ARGV[18])
      if sum > 9007199254740991 or sum < -9007199254740991 then return {-2, 'not_a_counter', 'range'} end
    end
    if not was_live and (live or 0) >= tonumber(ARGV[19]) then return {-2, 'too_many_keys'} end
  end
end
if not epoch then
  epoch = global_epoch(KEYS[4], ARGV[2], keep)
  redis.call('DEL', KEYS[2], KEYS[6], KEYS[7])
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'offset', 0, 'publishes', 0, 'last_at', 0, 'bytes', 0)
  redis.call('ZADD', KEYS[3], 0, ARGV[1])
elseif live and redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('HSET', KEYS[1], 'bytes', 0)
end
redis.call('ZADD', KEYS[5], now, ARGV[1])
local off = redis.call('HINCRBY', KEYS[1], 'offset', 1)
redis.call('HINCRBY', KEYS[1], 'publishes', 1)
redis.call('HSET', KEYS[1], 'last_at', ARGV[3], 'ttl', ARGV[5], 'keep', ARGV[11])
if ARGV[14] == '1' and keep > 0 and redis.call('PTTL', KEYS[4]) > keep then redis.call('PEXPIRE', KEYS[4], keep) end
local body, cost = ARGV[7], ARGV[10]
if key ~= '' then
  if op == 'set' then
    body = body .. ',"kind":"' .. ARGV[20] .. '","data":' .. ARGV[21] .. ',"key":' .. ARGV[16] .. '}'
  elseif op == 'incr' then
    local text = string.format('%d', sum)
    cost = tostring(#text + 64)
    body = body .. ',"kind":"json","data":"' .. text .. '","key":' .. ARGV[16] .. '}'
  else
    cost = '64'
    body = body .. ',"kind":"json","data":"","key":' .. ARGV[16] .. ',"deleted":true}'
  end
end
local ev = '{"published_at":' .. ARGV[3] .. ',"cost":' .. cost .. ',"offset":' .. off .. ',"epoch":"' .. epoch ..
  '",' .. body
trim_expired(KEYS[2], KEYS[1], now, tonumber(ARGV[5]))
local size = tonumber(ARGV[4])
local max_bytes = tonumber(ARGV[9])
if size > 0 then
  redis.call('RPUSH', KEYS[2], ev)
  local bytes = redis.call('HINCRBY', KEYS[1], 'bytes', tonumber(cost))
  local len = redis.call('LLEN', KEYS[2])
  while len > 0 and (len > size or (max_bytes > 0 and bytes > max_bytes)) do
    pop_oldest(KEYS[2], KEYS[1])
    bytes = tonumber(redis.call('HGET', KEYS[1], 'bytes'))
    len = len - 1
  end
end
if key ~= '' then
  if prev and not was_live then redis.call('ZREM', KEYS[7], key) end
  redis.call('HSET', KEYS[6], key, ev)
  live = live or 0
  if op == 'remove' then
    live = live - 1
    redis.call('ZADD', KEYS[7], off, key)
  elseif not was_live then
    live = live + 1
  end
  redis.call('HSET', KEYS[1], 'keys', live)
  local over = redis.call('ZCARD', KEYS[7]) - math.max(tonumber(ARGV[19]), 1)
  if over > 0 then
    local gone = redis.call('ZPOPMIN', KEYS[7], over)
    local floor = tonumber(redis.call('HGET', KEYS[1], 'floor')) or 1
    for i = 1, #gone, 2 do
      redis.call('HDEL', KEYS[6], gone[i])
      floor = math.max(floor, tonumber(gone[i + 1]) + 1)
    end
    redis.call('HSET', KEYS[1], 'floor', floor)
  end
end
if keep > 0 then
  if live and live > 0 then
    redis.call('PERSIST', KEYS[1])
    redis.call('PERSIST', KEYS[6])
    redis.call('PERSIST', KEYS[7])
    redis.call('PEXPIRE', KEYS[2], keep)
  else
    redis.call('PEXPIRE', KEYS[1], keep)
    redis.call('PEXPIRE', KEYS[2], keep)
    if live then
      redis.call('PEXPIRE', KEYS[6], keep)
      redis.call('PEXPIRE', KEYS[7], keep)
    end
  end
end
if KEYS[8] then
  local window = tonumber(ARGV[6])
  local remembered
  if sum then
    remembered = string.format('%d:%d:v%d:%s', now + window, off, sum, epoch)
  else
    remembered = string.format('%d:%d:%s', now + window, off, epoch)
  end
  redis.call('SET', KEYS[8], remembered, 'PX', math.max(1, window))
end
redis.call('PUBLISH', ARGV[8], ev)
if sum then return {0, off, epoch, string.format('%d', sum)} end
return {0, off, epoch}
)lua";

// KEYS: meta, history, epoch
// ARGV: fresh epoch token, now ms, history ttl ms (when the channel has none of its own), after
//       (-1: position only), limit, keep ms
// → {epoch, last offset, first available, event JSON...}
inline constexpr const char* read = R"lua(
local m = redis.call('HMGET', KEYS[1], 'epoch', 'offset', 'ttl')
if not m[1] then
  return {global_epoch(KEYS[3], ARGV[1], tonumber(ARGV[6])), 0, 1}
end
trim_expired(KEYS[2], KEYS[1], tonumber(ARGV[2]), tonumber(m[3]) or tonumber(ARGV[3]))
local last = tonumber(m[2])
local len = redis.call('LLEN', KEYS[2])
local first = last - len + 1
local out = {m[1], last, first}
local after = tonumber(ARGV[4])
local limit = tonumber(ARGV[5])
if after >= 0 and len > 0 and limit > 0 then
  local start = after + 1 - first
  if start < 0 then start = 0 end
  if start < len then
    local stop = math.min(start + limit - 1, len - 1)
    local evs = redis.call('LRANGE', KEYS[2], start, stop)
    for i = 1, #evs do out[#out + 1] = evs[i] end
  end
end
return out
)lua";

// KEYS: meta, history, epoch, keyed values
// ARGV: fresh epoch token, now ms, history ttl ms (when the channel has none of its own), 1 when the
//       channel is keyed (by its limits), keep ms
// → {epoch, last offset, first available, event JSON...}: keyed, every key's latest event (deletions
//   included, in no particular order) and first available the floor; otherwise the newest event
//   history holds, if any
inline constexpr const char* read_latest = R"lua(
local m = redis.call('HMGET', KEYS[1], 'epoch', 'offset', 'ttl', 'floor')
if not m[1] then
  return {global_epoch(KEYS[3], ARGV[1], tonumber(ARGV[5])), 0, 1}
end
trim_expired(KEYS[2], KEYS[1], tonumber(ARGV[2]), tonumber(m[3]) or tonumber(ARGV[3]))
local last = tonumber(m[2])
if ARGV[4] == '1' then
  local out = {m[1], last, tonumber(m[4]) or 1}
  local evs = redis.call('HVALS', KEYS[4])
  for i = 1, #evs do out[#out + 1] = evs[i] end
  return out
end
local len = redis.call('LLEN', KEYS[2])
local out = {m[1], last, last - len + 1}
if len > 0 then out[4] = redis.call('LINDEX', KEYS[2], -1) end
return out
)lua";

// KEYS: meta, history   ARGV: now ms, history ttl ms
// → {} for an unknown channel, else {epoch, last offset, first available, history size, publishes, last_at,
//   live keys}
inline constexpr const char* info = R"lua(
return describe(KEYS[1], KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2])) or {}
)lua";

// KEYS: channels   ARGV: prefix, ZRANGEBYLEX min ("[prefix" or "(after"), limit, now ms, ttl ms, key prefix
// → flat: per channel {name, epoch, last offset, first available, history size, publishes, last_at,
//   live keys}
inline constexpr const char* list = R"lua(
local prefix = ARGV[1]
local names = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[2], '+', 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for i = 1, #names do
  local name = names[i]
  if string.sub(name, 1, #prefix) ~= prefix then break end
  local d = describe(ARGV[6] .. 'm:' .. name, ARGV[6] .. 'h:' .. name, tonumber(ARGV[4]), tonumber(ARGV[5]))
  if d then
    out[#out + 1] = name
    for j = 1, #d do out[#out + 1] = d[j] end
  end
end
return out
)lua";

// KEYS: seen, channels   ARGV: cutoff ms (now - keep), now ms, key prefix, at most this many
// → channels held after pruning
inline constexpr const char* sweep = R"lua(
prune(KEYS[1], KEYS[2], ARGV[3], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4]))
return redis.call('ZCARD', KEYS[1])
)lua";

// Keeps channels that have subscribers somewhere: their position and history keys live another
// keep, and the index counts them as recent, so a quiet channel someone watches keeps its epoch.
// ARGV: keep ms, now (ms), key prefix, then the channel names. A channel's own keep (its policy's,
// in its hash) wins over ARGV's. A keyed channel with live keys has no expiry on its hash and keyed
// keys and keeps none (only its history's moves); one without live keys has its keyed keys kept
// with its hash. Returns how many were still there.
inline constexpr const char* touch = R"lua(
local keep, now, prefix, n = tonumber(ARGV[1]), ARGV[2], ARGV[3], 0
for i = 4, #ARGV do
  local m = prefix .. 'm:' .. ARGV[i]
  local f = redis.call('HMGET', m, 'keep', 'keys')
  local k = tonumber(f[1]) or keep
  if k > 0 then
    local kept = false
    if f[2] and redis.call('PTTL', m) == -1 then
      kept = true
    elseif redis.call('PEXPIRE', m, k) == 1 then
      kept = true
      if f[2] then
        redis.call('PEXPIRE', prefix .. 'k:' .. ARGV[i], k)
        redis.call('PEXPIRE', prefix .. 'ko:' .. ARGV[i], k)
      end
    end
    if kept then
      redis.call('PEXPIRE', prefix .. 'h:' .. ARGV[i], k)
      redis.call('ZADD', prefix .. 'seen', now, ARGV[i])
      n = n + 1
    end
  end
end
return n
)lua";

}  // namespace herald::broker::redis_scripts
