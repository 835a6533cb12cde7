-- Token ring among the heavyweights.
--
-- Exactly one token circulates around the ring (node.ring, in scenario
-- order); the first heavyweight holds it at the start. Holding the token
-- is the permission to let one's lightweights run. Each heavyweight works
-- out its successor from its own place in the ring.
local M = {
  holding = (node.ring[1] == node.id),  -- the first of the ring starts with it
  passes = 0,                           -- how often we passed it on
}

-- Our place in the ring: node.ring[M.place] == node.id.
for i, id in ipairs(node.ring) do
  if id == node.id then M.place = i end
end

-- The heavyweight after us, wrapping round at the end of the list
-- (Lua lists count from 1).
local function successor()
  return node.ring[(M.place + 1) % #node.ring + 1]
end

-- acquire blocks until this heavyweight holds the token.
function M.acquire()
  if not M.holding then
    node.receive("TOKEN")
    M.holding = true
  end
end

-- release passes the token to the next heavyweight of the ring.
function M.release()
  M.holding = false
  M.passes = M.passes + 1
  node.send(successor(), "TOKEN")
end

return M
