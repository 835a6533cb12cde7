-- Maekawa's quorum algorithm (1985).
--
-- Every process has a quorum, a set of processes any two of which share
-- at least one member, and is itself a voter with one vote. To enter, a
-- process asks its quorum with REQUEST and enters once every member has
-- LOCKED its vote for it; on leaving it sends RELEASE and each voter
-- gives its vote to the earliest waiting request, in (timestamp, id)
-- order. Two quorums share a voter, so two processes are never in at once.
--
-- The quorums here: node.members on a grid of ceil(sqrt(N)) columns, the
-- last row possibly short; a process's quorum is its row and its column.
-- Any two share a member (the one in the first's column and the second's
-- row, or the other way round when one of them is in the short row).
-- A process votes for itself without a message.
--
-- Messages per entry, with K the quorum's other members: 3K (REQUEST,
--   LOCKED, RELEASE).
-- Synchronization delay: 2 messages (RELEASE to a shared voter, LOCKED
--   to the next).
-- Channels: reliable and FIFO.
-- Order: none: a voter knows only the requests that reached it.
-- Ties between equal timestamps go to the smaller number (A3 before A12).
local M = {
  quorum = {},      -- our row and column, ourselves included
  -- as a requester:
  requesting = false,
  in_cs = false,
  ts = nil,         -- timestamp of our current request
  votes = {},       -- votes[j]: j LOCKED its vote for us
  -- as a voter:
  vote = nil,       -- the request our vote is locked for: {id =, ts =}
  waiting = {},     -- requests waiting for our vote, earliest first
}

local rank = {}
for i, id in ipairs(node.members) do rank[id] = i end
do
  local cols = math.ceil(math.sqrt(#node.members))
  local me = rank[node.id] - 1
  for i, id in ipairs(node.members) do
    local k = i - 1
    if math.floor(k / cols) == math.floor(me / cols) or k % cols == me % cols then
      table.insert(M.quorum, id)
    end
  end
end

-- a comes before b: smaller timestamp, ties broken by number.
local function before(a, b)
  return a.ts < b.ts or (a.ts == b.ts and rank[a.id] < rank[b.id])
end

local handle = {}   -- what we do on each message, as a voter or requester

-- tell sends a message, or calls our own handler when it is for us.
local function tell(to, what)
  if to == node.id then
    handle[what](node.id)
  else
    node.send(to, what)
  end
end

-- As a voter.

local function grant_next()
  M.vote = nil
  if #M.waiting > 0 then
    M.vote = table.remove(M.waiting, 1)
    tell(M.vote.id, "LOCKED")
  end
end

function handle.REQUEST(j, ts)
  local request = { id = j, ts = ts }
  if M.vote == nil then
    M.vote = request
    tell(j, "LOCKED")
    return
  end
  table.insert(M.waiting, request)
  table.sort(M.waiting, before)
end

function handle.RELEASE(j)
  grant_next()
end

-- As a requester.

function handle.LOCKED(j)
  M.votes[j] = true
end

for _, what in ipairs({ "REQUEST", "LOCKED", "RELEASE" }) do
  node.on(what, function(msg) handle[what](msg.sender, msg.ts) end)
end

local function all_voted()
  for _, j in ipairs(M.quorum) do
    if not M.votes[j] then return false end
  end
  return true
end

-- What we still wait for, as data: the voters whose LOCKED is missing;
-- for our own vote, whoever holds it (its RELEASE frees it).
local function waiting_for()
  local from, seen = {}, {}
  local function add(j)
    if not seen[j] then seen[j] = true; table.insert(from, j) end
  end
  for _, j in ipairs(M.quorum) do
    if not M.votes[j] then
      if j ~= node.id then
        add(j)
      elseif M.vote and M.vote.id ~= node.id then
        add(M.vote.id)
      end
    end
  end
  return { type = "LOCKED", from = from, label = "the votes of my quorum" }
end

function M.request()
  M.requesting = true
  M.votes = {}
  local others = {}
  for _, j in ipairs(M.quorum) do
    if j ~= node.id then table.insert(others, j) end
  end
  M.ts = node.broadcast(others, "REQUEST")
  handle.REQUEST(node.id, M.ts)           -- our own vote
  node.wait_until(all_voted, waiting_for)
  M.in_cs = true
end

function M.release()
  M.in_cs, M.requesting = false, false
  M.votes = {}
  for _, j in ipairs(M.quorum) do
    tell(j, "RELEASE")
  end
end

M.acquire = M.request

return M
