-- A central coordinator.
--
-- One process, the coordinator (node.members[1]), decides who enters.
-- The others send it REQUEST and wait for GRANT; on leaving they send
-- RELEASE. The coordinator grants one process at a time, the others in
-- the order their requests reached it. It competes too: its own request
-- and release are local steps, no message.
--
-- Messages per entry: 3 (REQUEST, GRANT, RELEASE); 0 for the
--   coordinator's own entries, so 3(N-1)/N on average when all enter
--   equally often.
-- Synchronization delay: 2 messages (RELEASE to the coordinator, GRANT
--   to the next); 1 when the coordinator is the one leaving or entering.
-- Channels: reliable. The coordinator is a single point of failure.
-- Order: first come, first served at the coordinator; not (timestamp,
--   id) order.
-- Heavyweights: acquire/release are request/release; the first of the
--   ring coordinates, every heavyweight asks once per round.
local M = {
  coordinator = node.members[1],
  -- the coordinator's state:
  holder = nil,    -- who is in the critical section (granted, not released)
  queue = {},      -- who waits, oldest first
}

local coordinating = (M.coordinator == node.id)

-- grant lets id in: a GRANT message, or nothing when it is us.
local function grant(id)
  M.holder = id
  if id ~= node.id then node.send(id, "GRANT") end
end

local function grant_next()
  M.holder = nil
  if #M.queue > 0 then grant(table.remove(M.queue, 1)) end
end

if coordinating then
  node.on("REQUEST", function(msg)
    if M.holder == nil then
      grant(msg.sender)
    else
      table.insert(M.queue, msg.sender)
    end
  end)
  node.on("RELEASE", function(msg) grant_next() end)
end

function M.request()
  if not coordinating then
    node.send(M.coordinator, "REQUEST")
    node.receive("GRANT", M.coordinator)
    return
  end
  if M.holder == nil then
    grant(node.id)
    return
  end
  table.insert(M.queue, node.id)
  node.wait_until(function() return M.holder == node.id end, function()
    return { type = "RELEASE", from = M.holder }
  end)
end

function M.release()
  if coordinating then
    grant_next()
  else
    node.send(M.coordinator, "RELEASE")
  end
end

M.acquire = M.request

return M
