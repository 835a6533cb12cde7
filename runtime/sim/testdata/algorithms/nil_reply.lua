-- A script error: the REPLY handler indexes a table that is not there.
local M = {}

node.on("REQUEST", function(msg) node.send(msg.sender, "REPLY") end)
node.on("REPLY", function(msg) M.replies[msg.sender] = true end)

function M.request()
  node.broadcast(node.peers, "REQUEST")
  node.wait_until(function() return false end, "REPLY from every peer")
end

function M.release() end

return M
