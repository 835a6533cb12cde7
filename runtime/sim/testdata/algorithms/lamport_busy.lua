-- Lamport, with a REPLY handler whose work grows with the message's
-- timestamp: under a low Lua budget, whether a schedule passes depends on
-- the schedule alone, never on the machine or the number of workers.
local M = require("lamport")

node.on("REPLY", function(msg)
  for _ = 1, msg.ts * 20 do end
  M.replies[msg.sender] = true
end)

return M
