// The Redis broker's Lua scripts: each runs atomically in Redis, so every node sees one order.
// Key layout (P = key prefix, default "herald:"; ch = channel name):
//   P epoch                 string   the stream epoch new channels take (drawn when absent, so a Redis
//                                    that restarted empty yields a new one)
//   P channels              zset     every channel ever published to (score 0, name order)
//   P m:<ch>                hash     epoch, offset (last assigned), publishes, last_at (ms)
//   P h:<ch>                list     the history: event JSON, oldest first, offsets contiguous,
//                                    each starting {"published_at":<ms>,... so age is read cheaply
//   P i:<len(ch)>:<ch>:<key> string  an idempotency key: "<expires_at ms>:<offset>:<epoch>", PX window
//   pubsub P ev:<ch>                 the same event JSON, published in the same script
// Times come from the broker's clock (ARGV), never from Redis, so a manual clock drives them in tests.
// No state, no I/O: text only.
#pragma once

namespace herald::broker::redis_scripts {

// Shared helpers, prepended to every script.
inline constexpr const char* prelude = R"lua(
local function trim_expired(hkey, now, ttl)
  if ttl <= 0 then return end
  while true do
    local head = redis.call('LINDEX', hkey, 0)
    if not head then return end
    local t = tonumber(string.match(head, '^{"published_at":(%-?%d+)'))
    if t == nil or t > now - ttl then return end
    redis.call('LPOP', hkey)
  end
end
local function global_epoch(ekey, token)
  local e = redis.call('GET', ekey)
  if not e then
    redis.call('SET', ekey, token)
    e = token
  end
  return e
end
local function describe(mkey, hkey, now, ttl)
  local m = redis.call('HMGET', mkey, 'epoch', 'offset', 'publishes', 'last_at')
  if not m[1] then return nil end
  trim_expired(hkey, now, ttl)
  local len = redis.call('LLEN', hkey)
  local last = tonumber(m[2])
  return {m[1], last, last - len + 1, len, tonumber(m[3]) or 0, tonumber(m[4]) or 0}
end
)lua";

// KEYS: meta, history, channels, epoch[, idempotency key]
// ARGV: channel, fresh epoch token, now ms, history size, history ttl ms, idempotency window ms,
//       event JSON after the position ("channel":..,"name":..,"kind":..,"data":..}), pubsub channel
// → {duplicate 0|1, offset, epoch}
inline constexpr const char* publish = R"lua(
local now = tonumber(ARGV[3])
if KEYS[5] then
  local prev = redis.call('GET', KEYS[5])
  if prev then
    local exp, off, ep = string.match(prev, '^(%-?%d+):(%d+):(.*)$')
    if exp and tonumber(exp) > now then return {1, tonumber(off), ep} end
  end
end
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  epoch = global_epoch(KEYS[4], ARGV[2])
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'offset', 0, 'publishes', 0, 'last_at', 0)
  redis.call('ZADD', KEYS[3], 0, ARGV[1])
end
local off = redis.call('HINCRBY', KEYS[1], 'offset', 1)
redis.call('HINCRBY', KEYS[1], 'publishes', 1)
redis.call('HSET', KEYS[1], 'last_at', ARGV[3])
local ev = '{"published_at":' .. ARGV[3] .. ',"offset":' .. off .. ',"epoch":"' .. epoch .. '",' .. ARGV[7]
trim_expired(KEYS[2], now, tonumber(ARGV[5]))
local size = tonumber(ARGV[4])
if size > 0 then
  redis.call('RPUSH', KEYS[2], ev)
  redis.call('LTRIM', KEYS[2], -size, -1)
end
if KEYS[5] then
  local window = tonumber(ARGV[6])
  redis.call('SET', KEYS[5], string.format('%d:%d:%s', now + window, off, epoch), 'PX', math.max(1, window))
end
redis.call('PUBLISH', ARGV[8], ev)
return {0, off, epoch}
)lua";

// KEYS: meta, history, epoch
// ARGV: fresh epoch token, now ms, history ttl ms, after (-1: position only), limit
// → {epoch, last offset, first available, event JSON...}
inline constexpr const char* read = R"lua(
local m = redis.call('HMGET', KEYS[1], 'epoch', 'offset')
if not m[1] then
  return {global_epoch(KEYS[3], ARGV[1]), 0, 1}
end
trim_expired(KEYS[2], tonumber(ARGV[2]), tonumber(ARGV[3]))
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

// KEYS: meta, history   ARGV: now ms, history ttl ms
// → {} for an unknown channel, else {epoch, last offset, first available, history size, publishes, last_at}
inline constexpr const char* info = R"lua(
return describe(KEYS[1], KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2])) or {}
)lua";

// KEYS: channels   ARGV: prefix, ZRANGEBYLEX min ("[prefix" or "(after"), limit, now ms, ttl ms, key prefix
// → flat: per channel {name, epoch, last offset, first available, history size, publishes, last_at}
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

}  // namespace herald::broker::redis_scripts
