-- A broken Ricart-Agrawala: it replies to every REQUEST at once, even from
-- inside the critical section, so two nodes can be inside together.
local M = { replies = {} }

local function all_replied()
  for _, peer in ipairs(node.peers) do
    if not M.replies[peer] then return false end
  end
  return true
end

node.on("REQUEST", function(msg)
  node.send(msg.sender, "REPLY")   -- the bug: never deferred
end)

node.on("REPLY", function(msg)
  M.replies[msg.sender] = true
end)

function M.request()
  M.replies = {}
  node.broadcast(node.peers, "REQUEST")
  node.wait_until(all_replied, "REPLY from every peer")
end

function M.release() end

return M
