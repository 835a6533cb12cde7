-- Ricart and Agrawala's mutual exclusion algorithm (1981).
--
-- To enter, a process timestamps a REQUEST and sends it to every peer,
-- then waits for a REPLY from each. A process that receives a REQUEST
-- replies at once, unless it is inside the critical section or is itself
-- requesting with an earlier (timestamp, id): then it defers the reply
-- until it leaves.
-- Messages per entry: 2(N-1) = (N-1) REQUEST + (N-1) REPLY.
local M = {
  requesting = false,
  in_cs = false,
  ts = nil,        -- timestamp of our current request
  replies = {},    -- peers that replied to it
  deferred = {},   -- peers whose REPLY we hold back until we leave
}

-- Our request comes before the one stamped (ts, id).
local function ours_first(ts, id)
  return M.ts < ts or (M.ts == ts and node.id < id)
end

local function all_replied()
  for _, peer in ipairs(node.peers) do
    if not M.replies[peer] then return false end
  end
  return true
end

-- What we still wait for, as data: the trace, the REPL and the checks
-- read it (a deadlock is drawn from it).
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
  M.ts = node.broadcast(node.peers, "REQUEST")
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
