-- Ricart and Agrawala's algorithm with Roucairol and Carvalho's
-- optimisation (1983).
--
-- As in Ricart-Agrawala, a process asks its peers with REQUEST and
-- enters once each has replied; a REPLY is deferred while the process is
-- inside, or requesting with an earlier (timestamp, id). The optimisation:
-- a REPLY from j is a permission that stays with us until we reply to j.
-- So a process asks only the peers whose permission it lacks, and enters
-- at once when it holds them all.
--
-- Losing a permission while requesting: a REQUEST from j that comes
-- first makes us reply (j gets the permission) and ask j again.
-- A REQUEST carries its request's timestamp (payload.ts) so that a
-- request asked again later keeps its place.
--
-- At the start, of each pair the one earlier in node.members holds the
-- permission: A1 may enter with no message, A2 must ask A1, and so on.
-- Ties between equal timestamps go to the smaller number (A3 before
-- A12), the order of node.members.
--
-- Messages per entry: 0 to 2(N-1): a REQUEST and a REPLY per missing
--   permission.
-- Synchronization delay: 1 message (the deferred REPLY).
-- Channels: reliable; need not be FIFO (a REQUEST that overtakes the
--   same sender's REPLY is stamped later than the request that REPLY
--   answers, so it is deferred).
-- Order: (timestamp, id) among requests that reached each other: no
--   process enters after receiving an earlier request it has not served.
local M = {
  requesting = false,
  in_cs = false,
  ts = nil,        -- timestamp of our current request
  have = {},       -- have[j]: we hold j's permission
  deferred = {},   -- peers whose REPLY we hold back until we leave
}

local rank = {}    -- position in node.members: the id order for ties
for i, id in ipairs(node.members) do rank[id] = i end
for _, id in ipairs(node.peers) do
  M.have[id] = rank[node.id] < rank[id]
end

-- Our request comes before j's, stamped ts.
local function ours_first(ts, j)
  return M.ts < ts or (M.ts == ts and rank[node.id] < rank[j])
end

local function missing()
  local out = {}
  for _, peer in ipairs(node.peers) do
    if not M.have[peer] then table.insert(out, peer) end
  end
  return out
end

node.on("REQUEST", function(msg)
  local j, ts = msg.sender, msg.payload.ts
  if M.in_cs or (M.requesting and ours_first(ts, j)) then
    table.insert(M.deferred, j)
    return
  end
  M.have[j] = false
  node.send(j, "REPLY")
  if M.requesting then
    node.send(j, "REQUEST", { ts = M.ts })   -- we still want it back
  end
end)

node.on("REPLY", function(msg)
  M.have[msg.sender] = true
end)

function M.request()
  M.requesting = true
  M.ts = node.clock.tick()               -- the request is a local event
  local ask = missing()
  if #ask > 0 then
    node.broadcast(ask, "REQUEST", { ts = M.ts })
  end
  node.wait_until(function() return #missing() == 0 end, function()
    return { type = "REPLY", from = missing() }
  end)
  M.requesting = false
  M.in_cs = true
end

function M.release()
  M.in_cs = false
  for _, peer in ipairs(M.deferred) do
    M.have[peer] = false
    node.send(peer, "REPLY")
  end
  M.deferred = {}
end

M.acquire = M.request

return M
