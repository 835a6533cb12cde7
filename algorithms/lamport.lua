-- Lamport's mutual exclusion algorithm (Lamport, 1978).
--
-- Every process keeps a queue of requests ordered by (timestamp, id).
-- To enter, a process timestamps a REQUEST, sends it to every peer and
-- puts it in its own queue. It may enter once
--   1. its own request heads its queue, and
--   2. it has heard from every peer since (a REPLY, stamped later).
-- On leaving it removes its request and tells everybody with RELEASE.
-- Channels must be FIFO (the runtime guarantees it).
-- Messages per entry: 3(N-1) = (N-1) REQUEST + (N-1) REPLY + (N-1) RELEASE.
local M = {
  queue = {},      -- pending requests {ts = ..., id = ...}, oldest first
  replies = {},    -- peers that replied to our current request
  mine = nil,      -- our own pending request
}

-- Ties go to the smaller id by its number within the group: A3 before
-- A12 (docs/lua-api.md, "Ties"); as strings "A12" would come first.
local function id_before(a, b)
  return tonumber(a:sub(2)) < tonumber(b:sub(2))
end

-- a comes before b: smaller timestamp, ties broken by id.
local function before(a, b)
  return a.ts < b.ts or (a.ts == b.ts and id_before(a.id, b.id))
end

local function enqueue(request)
  table.insert(M.queue, request)
  table.sort(M.queue, before)
end

local function remove(id)
  for i, request in ipairs(M.queue) do
    if request.id == id then
      table.remove(M.queue, i)
      return
    end
  end
end

-- What we still wait for, as data: the trace, the REPL and the checks
-- read it (a deadlock is drawn from it).
local function waiting_for()
  local missing = {}
  for _, peer in ipairs(node.peers) do
    if not M.replies[peer] then table.insert(missing, peer) end
  end
  if #missing > 0 then
    return { type = "REPLY", from = missing }
  end
  return { type = "RELEASE", from = { M.queue[1].id } }
end

local function may_enter()
  for _, peer in ipairs(node.peers) do
    if not M.replies[peer] then return false end
  end
  return M.queue[1] == M.mine
end

node.on("REQUEST", function(msg)
  enqueue({ ts = msg.ts, id = msg.sender })
  node.send(msg.sender, "REPLY")
end)

node.on("REPLY", function(msg)
  M.replies[msg.sender] = true
end)

node.on("RELEASE", function(msg)
  remove(msg.sender)
end)

function M.request()
  M.replies = {}
  local ts = node.broadcast(node.peers, "REQUEST")
  M.mine = { ts = ts, id = node.id }
  enqueue(M.mine)
  node.wait_until(may_enter, waiting_for)
end

function M.release()
  remove(node.id)
  M.mine = nil
  node.broadcast(node.peers, "RELEASE")
end

return M
