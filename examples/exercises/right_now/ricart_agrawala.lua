-- Ricart and Agrawala's mutual exclusion algorithm (1981).
--
-- To enter, a process sends a REQUEST to every peer, then waits for a
-- REPLY from each. A process that receives a REQUEST replies at once,
-- unless it is inside the critical section or is itself requesting and
-- its Lamport clock is earlier than the request's (ties broken by id):
-- then it defers the reply until it leaves.
-- Messages per entry: 2(N-1) = (N-1) REQUEST + (N-1) REPLY.
local M = {
  requesting = false,
  in_cs = false,
  replies = {},    -- peers that replied to our current request
  deferred = {},   -- peers whose REPLY we hold back until we leave
}

-- Ties go to the smaller id by its number within the group: A3 before
-- A12 (docs/lua-api.md, "Ties"); as strings "A12" would come first.
local function id_before(a, b)
  return tonumber(a:sub(2)) < tonumber(b:sub(2))
end

-- We come before the request stamped (ts, id).
local function ours_first(ts, id)
  local mine = node.clock.now()
  return mine < ts or (mine == ts and id_before(node.id, id))
end

local function all_replied()
  for _, peer in ipairs(node.peers) do
    if not M.replies[peer] then return false end
  end
  return true
end

local function waiting_for()
  local missing = {}
  for _, peer in ipairs(node.peers) do
    if not M.replies[peer] then table.insert(missing, peer) end
  end
  return { type = "REPLY", from = missing }
end

node.on("REQUEST", function(msg)
  if M.in_cs or (M.requesting and ours_first(msg.ts, msg.sender)) then
    table.insert(M.deferred, msg.sender)
  else
    node.send(msg.sender, "REPLY")
  end
end)

node.on("REPLY", function(msg)
  M.replies[msg.sender] = true
end)

function M.request()
  M.requesting = true
  M.replies = {}
  node.broadcast(node.peers, "REQUEST")
  node.wait_until(all_replied, waiting_for)
  M.requesting = false
  M.in_cs = true
end

function M.release()
  M.in_cs = false
  for _, peer in ipairs(M.deferred) do
    node.send(peer, "REPLY")
  end
  M.deferred = {}
end

return M
