-- Suzuki and Kasami's broadcast token algorithm (1985).
--
-- There is one token, and only its holder may enter. A process that
-- wants to enter without it numbers its request (its n-th) and
-- broadcasts REQUEST {n = ...}. Everybody keeps RN[j], the highest
-- request number heard from j. The token carries LN[j], the number of
-- j's last request that was served, and a queue of processes waiting
-- for it. RN[j] = LN[j] + 1 means j waits.
--
-- On leaving, the holder marks its own request served, appends every
-- waiting j that is not queued yet (in node.members order, starting
-- after itself), and sends the token to the head of the queue; with an
-- empty queue it keeps the token. A holder outside the critical section
-- that hears a new request sends the token at once.
--
-- Messages per entry: 0 when the token is already here, else N:
--   (N-1) REQUEST + 1 TOKEN.
-- Synchronization delay: 1 message (the TOKEN goes straight to the next).
-- Channels: reliable; need not be FIFO (an old request is recognized by
--   its number). node.members[1] holds the token at the start.
-- Order: first come, first served as requests reach the holder; not
--   (timestamp, id) order.
-- Heavyweights: acquire/release are request/release. Every heavyweight
--   asks once per round, so every group gets its turn, in the order the
--   requests reach the token, not necessarily round the ring.
local M = {
  RN = {},          -- RN[j]: the highest request number heard from j
  token = nil,      -- while we hold it: {LN = {j = n, ...}, queue = {...}}
  busy = false,     -- we asked for the critical section and have not left it
}

for _, id in ipairs(node.members) do M.RN[id] = 0 end
if node.members[1] == node.id then
  M.token = { LN = {}, queue = {} }
  for _, id in ipairs(node.members) do M.token.LN[id] = 0 end
end

local function give(to)
  local token = M.token
  M.token = nil
  node.send(to, "TOKEN", token)
end

local function queued(id)
  for _, j in ipairs(M.token.queue) do
    if j == id then return true end
  end
  return false
end

-- The others, starting after us: the token goes round when all wait.
local function others()
  local all, me = node.members, 1
  for i, id in ipairs(all) do
    if id == node.id then me = i end
  end
  local out = {}
  for k = 1, #all - 1 do
    table.insert(out, all[(me + k - 1) % #all + 1])
  end
  return out
end

node.on("REQUEST", function(msg)
  local j, n = msg.sender, msg.payload.n
  if n > M.RN[j] then M.RN[j] = n end
  if M.token and not M.busy and M.RN[j] == M.token.LN[j] + 1 then
    give(j)
  end
end)

function M.request()
  M.busy = true
  if M.token then return end
  M.RN[node.id] = M.RN[node.id] + 1
  node.broadcast(node.peers, "REQUEST", { n = M.RN[node.id] })
  -- The token comes from whoever holds it: any of the others.
  M.token = node.receive("TOKEN", node.peers).payload
end

function M.release()
  M.busy = false
  local token = M.token
  token.LN[node.id] = M.RN[node.id]
  for _, j in ipairs(others()) do
    if M.RN[j] == token.LN[j] + 1 and not queued(j) then
      table.insert(token.queue, j)
    end
  end
  if #token.queue > 0 then
    give(table.remove(token.queue, 1))
  end
end

M.acquire = M.request

return M
