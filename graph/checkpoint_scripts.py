"""The Lua scripts of the session store: one round trip for a commit, one for a read.

Each script runs atomically on the Redis server. They name some keys in their body
(a pointer's target, old checkpoints read from the version hash), so the session store
needs a single Redis (or a primary with replicas), not a cluster: the documented limit.

The version hash `session:{tenant}:{wa_id}` holds, besides `version` and `checkpoint`
(the committed checkpoint's key):

- `kept`: the checkpoint keys kept for inspection, newest first (`keep_last` of them),
  so pruning deletes by key instead of searching the index;
- `recent`: the message ids of the last turns committed (newest first, bounded), so a
  turn is known to be committed after its `turn:processed` marker is gone (the marker
  holds the replies only until the outbox has them).

Both lists are joined with newlines (message ids and keys contain none).
"""

from __future__ import annotations

# The `recent` list with the ids of a turn just committed in front: `ids` is one message id,
# or the newline-joined ids of a burst answered as one turn (all are kept, past `kept`).
REMEMBER = """
local function remember(ids, recent, kept)
  local list, new = {}, {}
  for id in string.gmatch(ids, '[^\\n]+') do
    list[#list + 1] = id
    new[id] = true
  end
  local bound = math.max(kept, #list)
  for id in string.gmatch(recent, '[^\\n]+') do
    if #list >= bound then break end
    if not new[id] then list[#list + 1] = id end
  end
  return table.concat(list, '\\n')
end
"""

# KEYS: 1 lock, 2 version hash, 3 latest pointer, 4 processed marker, 5 new checkpoint key,
#       6 in-flight claim (orchestrated:{msg_id}; optional)
# ARGV: 1 lock token, 2 expected version ("" = none yet), 3 new version, 4 document (JSON),
#       5 session ttl ms, 6 processed ttl ms ("" = do not mark), 7 marker value,
#       8 baseline version, 9 keep_last, 10 msg id(s) ("" = none; a burst's ids joined
#       with newlines), 11 recent ids kept,
#       12 "1" = release the lock with the commit
COMMIT = (
    REMEMBER
    + """
local holder = redis.call('GET', KEYS[1])
if holder ~= ARGV[1] then
  return {'lock_lost', holder and 'another worker' or 'nobody', ''}
end
local fence = redis.call('HMGET', KEYS[2], 'version', 'kept', 'recent', 'checkpoint')
local current = fence[1] or ''
if current ~= ARGV[2] then
  return {'stale', current, ''}
end
if current ~= '' and tonumber(ARGV[3]) < tonumber(current) then
  return {'backwards', current, ''}
end
redis.call('JSON.SET', KEYS[5], '$', ARGV[4])
redis.call('PEXPIRE', KEYS[5], ARGV[5])
redis.call('SET', KEYS[3], KEYS[5], 'PX', ARGV[5])
local kept, gone = {KEYS[5]}, {}
for key in string.gmatch(fence[2] or fence[4] or '', '[^\\n]+') do
  if key ~= KEYS[5] then
    if #kept < tonumber(ARGV[9]) then kept[#kept + 1] = key else gone[#gone + 1] = key end
  end
end
local advanced = ARGV[6] ~= '' and tonumber(ARGV[3]) > tonumber(ARGV[8])
local recent = fence[3] or ''
if advanced and ARGV[10] ~= '' then
  recent = remember(ARGV[10], recent, tonumber(ARGV[11]))
end
redis.call('HSET', KEYS[2], 'version', ARGV[3], 'checkpoint', KEYS[5],
  'kept', table.concat(kept, '\\n'), 'recent', recent)
redis.call('PEXPIRE', KEYS[2], ARGV[5])
local released = ''
if advanced then
  redis.call('SET', KEYS[4], ARGV[7], 'PX', ARGV[6])
  if KEYS[6] then gone[#gone + 1] = KEYS[6] end
  if ARGV[12] == '1' then
    gone[#gone + 1] = KEYS[1]
    released = '1'
  end
end
if #gone > 0 then redis.call('DEL', unpack(gone)) end
return {'ok', current, released}
"""
)

# KEYS: 1 latest pointer or checkpoint key; ARGV: 1 "latest" (KEYS[1] is the pointer) or "id"
READ = """
local key = KEYS[1]
if ARGV[1] == 'latest' then
  key = redis.call('GET', KEYS[1])
  if not key then return false end
end
return redis.call('JSON.GET', key)
"""

# The part shared by the controller's scripts once the session lock is held: a committed
# turn is reported ('done' with the marker's replies, or 'committed' when only the recent
# list still knows it); otherwise the committed version and the checkpoint document.
# KEYS: 1 processed marker, 2 version hash, 3 latest pointer; ARGV[1]: msg id
LOAD_BODY = """
local key = fence[2]
if not key then key = redis.call('GET', KEYS[3]) end
local document = ''
if key then document = redis.call('JSON.GET', key) or '' end
return {'go', fence[1] or '', document}
"""

SEEN = """
local marker = redis.call('GET', KEYS[1])
if marker then return {'done', marker} end
local fence = redis.call('HMGET', KEYS[2], 'version', 'checkpoint', 'recent')
if fence[3] then
  for id in string.gmatch(fence[3], '[^\\n]+') do
    if id == ARGV[1] then return {'committed', ''} end
  end
end
"""

# Under the lock (a turn that waited in line, or a later turn of the same hold).
LOAD = SEEN + LOAD_BODY

# KEYS: 1 processed marker, 2 version hash, 3 latest pointer, 4 claim, 5 lock, 6 lock queue
# ARGV: 1 msg id, 2 claim ttl ms, 3 lock token, 4 lock ttl ms
# The first step of a turn: already committed? claim it; take the lock if nobody holds it
# or waits for it (else 'busy': the caller joins the line); then read what LOAD reads.
BEGIN = (
    SEEN
    + """
if not redis.call('SET', KEYS[4], '1', 'NX', 'PX', ARGV[2]) then return {'claimed', ''} end
if redis.call('ZCARD', KEYS[6]) ~= 0 then return {'busy', ''} end
if not redis.call('SET', KEYS[5], ARGV[3], 'NX', 'PX', ARGV[4]) then return {'busy', ''} end
"""
    + LOAD_BODY
)

# KEYS: 1 processed marker, 2 version hash, 3 claim; ARGV: 1 marker value, 2 marker ttl ms,
#       3 msg id(s) as in COMMIT ("" = none), 4 recent ids kept
# A turn that ended without advancing the version (nothing for the commit to mark).
MARK_DONE = (
    REMEMBER
    + """
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if ARGV[3] ~= '' and redis.call('EXISTS', KEYS[2]) == 1 then
  local recent = redis.call('HGET', KEYS[2], 'recent') or ''
  redis.call('HSET', KEYS[2], 'recent', remember(ARGV[3], recent, tonumber(ARGV[4])))
end
redis.call('DEL', KEYS[3])
return 1
"""
)
