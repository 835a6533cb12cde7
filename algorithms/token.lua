-- Token ring among the heavyweights.
--
-- Exactly one token circulates around the ring (node.ring, in scenario
-- order); the first heavyweight holds it at the start. Holding the token
-- is the permission to let one's lightweights run.
local M = {
  holding = (node.ring[1] == node.id),  -- the first of the ring starts with it
  passes = 0,                           -- how often we passed it on
}

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
  node.send(node.next, "TOKEN")
end

return M
