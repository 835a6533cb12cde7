-- Naimi and Trehel's token algorithm with path reversal (1987; Naimi,
-- Trehel and Arnold 1996).
--
-- There is one token. Each process keeps `last`, the process it believes
-- asked for the token last (nil: itself, the root of the tree these
-- pointers form), and `next`, the process that asked after it and gets
-- the token when it leaves.
--
-- To enter without the token, a process sends REQUEST to `last` and
-- becomes the root (last = nil). A process that receives a request for
-- j (payload.requester):
--   - if it is the root: j comes after it (next = j) when it wants or
--     uses the critical section; otherwise it holds the token idle and
--     sends it to j;
--   - otherwise it forwards the request to its own `last`;
-- and in both cases it sets last = j: the path the request took now
-- points at j (the path reversal that keeps it short).
-- On leaving, the holder sends the token to `next`, if anybody.
--
-- Messages per entry: 0 when the token is already here, else the
--   REQUEST's hops plus 1 TOKEN: O(log N) on average, N at worst.
-- Synchronization delay: 1 message (the TOKEN goes straight to `next`).
-- Channels: reliable. node.members[1] holds the token at the start and
--   is everybody's first `last`.
-- Order: the queue the `next` pointers form, in the order requests reach
--   the root; not (timestamp, id) order.
-- Heavyweights: acquire/release are request/release; each heavyweight
--   asks once per round, so every group gets its turn.
local M = {
  last = nil,           -- whom we believe asked last; nil: we are the root
  next = nil,           -- who gets the token after us
  token = false,        -- we hold the token
  requesting = false,   -- we want or use the critical section
}

if node.members[1] == node.id then
  M.token = true
else
  M.last = node.members[1]
end

local function give(to)
  M.token = false
  node.send(to, "TOKEN")
end

node.on("REQUEST", function(msg)
  local j = msg.payload.requester
  if M.last == nil then
    if M.requesting then
      M.next = j
    else
      give(j)            -- an idle root holds the token
    end
  else
    node.send(M.last, "REQUEST", { requester = j })
  end
  M.last = j
end)

function M.request()
  M.requesting = true
  if M.token then return end
  node.send(M.last, "REQUEST", { requester = node.id })
  M.last = nil
  -- The token comes from the process we queued behind: we cannot know
  -- which, so any of the others.
  node.receive("TOKEN", node.peers)
  M.token = true
end

function M.release()
  M.requesting = false
  if M.next then
    give(M.next)
    M.next = nil
  end
end

M.acquire = M.request

return M
