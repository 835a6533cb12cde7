-- Raymond's tree-based token algorithm (1989).
--
-- The processes form a fixed tree and there is one token. Each process
-- knows `holder`, its neighbour on the way to the token (itself when it
-- has it), and keeps a queue of requests: neighbours that asked through
-- it, and itself. A process asks its holder once (`asked`) for all of its
-- queue, so requests merge on their way up.
--
--   - want to enter, or a REQUEST from a neighbour: queue it;
--   - the token here, not in use, the queue not empty: take the head;
--     if it is us, enter; otherwise the token goes to that neighbour
--     (who becomes our holder);
--   - the token elsewhere, the queue not empty, not asked yet: send
--     REQUEST to the holder.
-- Both rules run after every event (assign, then ask).
--
-- The tree here: node.members as a binary heap, the first at the root
-- holding the token, member i's parent member floor(i/2). Its depth is
-- floor(log2 N), its diameter D at most twice that.
--
-- Messages per entry: 0 when the token is here, else at most 2D: REQUESTs
--   up the path to the token, the TOKEN down it. O(log N).
-- Synchronization delay: the token's path from the last holder to the
--   next, 1 to D messages.
-- Channels: reliable; need not be FIFO (a REQUEST that overtakes the
--   TOKEN it follows only waits in the queue).
-- Order: first come, first served at each node's queue; not (timestamp,
--   id) order.
-- Heavyweights: acquire/release are request/release; the tree is then
--   over the ring, and every heavyweight asks once per round, so every
--   group gets its turn.
local M = {
  holder = nil,    -- our neighbour towards the token; node.id when we hold it
  queue = {},      -- who asked through us, oldest first (node.id for ourselves)
  asked = false,   -- we sent REQUEST to holder for our queue
  using = false,   -- we are in the critical section
}

-- The tree: member i's parent is member floor(i/2).
for i, id in ipairs(node.members) do
  if id == node.id then
    M.holder = (i == 1) and node.id or node.members[math.floor(i / 2)]
  end
end

local function assign()
  if M.holder ~= node.id or M.using or #M.queue == 0 then return end
  local head = table.remove(M.queue, 1)
  M.asked = false
  if head == node.id then
    M.using = true
  else
    M.holder = head
    node.send(head, "TOKEN")
  end
end

local function ask()
  if M.holder ~= node.id and #M.queue > 0 and not M.asked then
    M.asked = true
    node.send(M.holder, "REQUEST")
  end
end

node.on("REQUEST", function(msg)
  table.insert(M.queue, msg.sender)
  assign()
  ask()
end)

node.on("TOKEN", function(msg)
  M.holder = node.id
  assign()
  ask()
end)

function M.request()
  table.insert(M.queue, node.id)
  assign()
  ask()
  node.wait_until(function() return M.using end, function()
    if M.holder == node.id then return "the token is here" end
    return { type = "TOKEN", from = M.holder }
  end)
end

function M.release()
  M.using = false
  assign()
  ask()
end

M.acquire = M.request

return M
