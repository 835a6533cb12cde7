-- A lightweight whose wait_until reason function loops forever once a
-- peer has answered: the guard stops the node (docs/lua-api.md, Errors).
local M = { replies = 0 }

node.on("REQUEST", function(msg) node.send(msg.sender, "REPLY") end)
node.on("REPLY", function() M.replies = M.replies + 1 end)

local function waiting_for()
  while M.replies > 0 do end
  return "REPLY from a peer"
end

function M.request()
  node.broadcast(node.peers, "REQUEST")
  node.wait_until(function() return false end, waiting_for)
end

function M.release() end

return M
