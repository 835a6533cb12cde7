-- A livelock: two lightweights bounce a PING between them forever and
-- never get anywhere.
local M = {}

node.on("PING", function(msg) node.send(msg.sender, "PING") end)

function M.request()
  node.broadcast(node.peers, "PING")
  node.wait_until(function() return false end, "a miracle")
end

function M.release() end

return M
