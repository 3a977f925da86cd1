// The Redis presence store's Lua scripts: each runs atomically in Redis, so every node sees one
// order of transitions and one sequence of positions. Names (user ids, channel names) only ever
// travel as ARGV values, never in script text.
// Key layout (Q = key prefix + "presence:"; k = "u" for users, "c" for channels):
//   Q node:<id>          hash    one node's counts: field "<k>:<name>" → that node's count (> 0)
//   Q sum:<k>            hash    name → the sum over nodes (> 0; absent when 0)
//   Q names:<k>          zset    the names with a sum above 0, all scored 0 (ZRANGEBYLEX pages)
//   Q seq                string  the position of the newest transition (INCR per transition)
//   Q nodes              set     the ids of registered nodes (added by apply and heartbeat)
//   Q alive:<id>         string  "1" with PX ttl: the node's heartbeat; gone = the node is dead
//   Q gone:<id>:<n>      hash    a dead node's counts being removed (its node:<id>, renamed at
//                                the sweep that found it dead, so a node that comes back starts a
//                                fresh node:<id> while its old counts are still being subtracted)
//   Q gone               set     the gone:<id>:<n> keys still holding counts
//   Q gone_seq           string  the <n> of gone keys
// Invariant: sum:<k>[name] = Σ over node:* and gone:* of field "<k>:<name>".
// A transition is returned as three values: its code (1 user_online, 2 user_offline,
// 3 channel_occupied, 4 channel_vacated), the name, its position.
// No state, no I/O: text only.
#pragma once

namespace herald::broker::redis_presence_scripts {

// Shared helpers, prepended to every script. change(): adds `delta` to the sum of `name` in `sums`,
// keeps `names` in step and appends the transition, if the sum crossed 0, to `out`.
inline constexpr const char* prelude = R"lua(
local function change(k, name, delta, sums, names, seq, out)
  if delta == 0 then return end
  local after = redis.call('HINCRBY', sums, name, string.format('%d', delta))
  local before = after - delta
  if after <= 0 then redis.call('HDEL', sums, name) end
  local code
  if before <= 0 and after > 0 then
    redis.call('ZADD', names, 0, name)
    code = (k == 'u') and 1 or 3
  elseif before > 0 and after <= 0 then
    redis.call('ZREM', names, name)
    code = (k == 'u') and 2 or 4
  else
    return
  end
  out[#out + 1] = code
  out[#out + 1] = name
  out[#out + 1] = redis.call('INCR', seq)
end
)lua";

// KEYS: node:<id>, alive:<id>, nodes, seq, sum:u, names:u, sum:c, names:c
// ARGV: id, heartbeat ttl ms (0: leave alive:<id> as it is), then (k, name, count) triples.
// Returns {fresh (1: the node was not registered, so its earlier counts are gone), transitions...}.
inline constexpr const char* apply = R"lua(
local ttl = tonumber(ARGV[2])
if ttl > 0 then redis.call('SET', KEYS[2], '1', 'PX', ttl) end
local out = {redis.call('SADD', KEYS[3], ARGV[1])}
for i = 3, #ARGV - 2, 3 do
  local k, name, count = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local field = k .. ':' .. name
  local old = tonumber(redis.call('HGET', KEYS[1], field) or '0') or 0
  if count > 0 then redis.call('HSET', KEYS[1], field, ARGV[i + 2]) else redis.call('HDEL', KEYS[1], field) end
  if k == 'u' then
    change(k, name, count - old, KEYS[5], KEYS[6], KEYS[4], out)
  else
    change(k, name, count - old, KEYS[7], KEYS[8], KEYS[4], out)
  end
end
return out
)lua";

// KEYS: alive:<id>, nodes
// ARGV: id, ttl ms
// Returns 1 when the node was not registered (fresh, or its counts were swept), else 0.
inline constexpr const char* heartbeat = R"lua(
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
return redis.call('SADD', KEYS[2], ARGV[1])
)lua";

// KEYS: alive:<id>, nodes
// ARGV: id, linger ms (<= 0: the node is dead now)
inline constexpr const char* retire = R"lua(
if tonumber(ARGV[2]) > 0 then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
else
  redis.call('DEL', KEYS[1])
end
redis.call('SADD', KEYS[2], ARGV[1])
return 1
)lua";

// KEYS: nodes, seq, sum:u, names:u, sum:c, names:c, gone, gone_seq
// ARGV: Q (the key prefix + "presence:"), budget (counts to remove in this run)
// Every registered node whose alive key is gone leaves `nodes` and its hash becomes a gone:<id>:<n>
// key; then the counts of gone keys are subtracted, about `budget` of them (whole HSCAN batches),
// each removed from its gone key as it is subtracted, so runs by several nodes at once subtract
// each count once. Returns {more (1: gone counts are left for another run), transitions...}.
inline constexpr const char* sweep = R"lua(
local q = ARGV[1]
local budget = tonumber(ARGV[2])
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', q .. 'alive:' .. id) == 0 then
    redis.call('SREM', KEYS[1], id)
    local node = q .. 'node:' .. id
    if redis.call('EXISTS', node) == 1 then
      local gone = q .. 'gone:' .. id .. ':' .. redis.call('INCR', KEYS[8])
      redis.call('RENAME', node, gone)
      redis.call('SADD', KEYS[7], gone)
    end
  end
end
local out = {0}
for _, gone in ipairs(redis.call('SMEMBERS', KEYS[7])) do
  if budget <= 0 then
    out[1] = 1
    break
  end
  local cursor = '0'
  repeat
    local scan = redis.call('HSCAN', gone, cursor, 'COUNT', 100)
    cursor = scan[1]
    local fields = scan[2]
    for i = 1, #fields - 1, 2 do
      local field, count = fields[i], tonumber(fields[i + 1]) or 0
      redis.call('HDEL', gone, field)
      local k, name = string.sub(field, 1, 1), string.sub(field, 3)
      if k == 'u' then
        change(k, name, -count, KEYS[3], KEYS[4], KEYS[2], out)
      elseif k == 'c' then
        change(k, name, -count, KEYS[5], KEYS[6], KEYS[2], out)
      end
      budget = budget - 1
    end
  until cursor == '0' or budget <= 0
  if redis.call('EXISTS', gone) == 0 then
    redis.call('SREM', KEYS[7], gone)
  else
    out[1] = 1
  end
end
return out
)lua";

// KEYS: names:<k>, sum:<k>, seq
// ARGV: min ("-" or "(" .. after), count (limit + 1)
// Returns {position, name, sum, name, sum, ...} in name order.
inline constexpr const char* page = R"lua(
local names = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], '+', 'LIMIT', 0, tonumber(ARGV[2]))
local out = {tonumber(redis.call('GET', KEYS[3]) or '0') or 0}
if #names == 0 then return out end
local sums = redis.call('HMGET', KEYS[2], unpack(names))
for i, name in ipairs(names) do
  out[#out + 1] = name
  out[#out + 1] = tonumber(sums[i] or '0') or 0
end
return out
)lua";

}  // namespace herald::broker::redis_presence_scripts
