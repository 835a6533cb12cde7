-- The heavyweight role: a coordinator that holds a token, or waits for it.
--
-- Heavyweights form a ring (node.next). Only the token holder lets its
-- lightweights run: it grants each of them the critical section, waits
-- until every one has reported DONE, then passes the token on.
local token = require(node.algorithm)   -- "token" in the seed

for round in node.rounds() do
  token.acquire()                       -- blocks until the token is ours
  node.log("holding the token, round " .. round)
  node.broadcast(node.children, "CS_GRANT")
  local working = { unpack(node.children) }   -- who has not reported DONE yet
  while #working > 0 do
    local msg = node.receive("DONE", working) -- one DONE per lightweight
    for i, id in ipairs(working) do
      if id == msg.sender then table.remove(working, i) break end
    end
  end
  token.release()                       -- pass the token to node.next
end
