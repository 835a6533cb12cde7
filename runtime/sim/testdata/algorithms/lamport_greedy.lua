-- A broken Lamport: it never replies while it is requesting itself, so
-- two nodes that request at once wait for each other forever.
local M = { queue = {}, replies = {}, mine = nil }

local function before(a, b)
  return a.ts < b.ts or (a.ts == b.ts and a.id < b.id)
end

local function remove(id)
  for i, r in ipairs(M.queue) do
    if r.id == id then table.remove(M.queue, i) return end
  end
end

local function may_enter()
  for _, peer in ipairs(node.peers) do
    if not M.replies[peer] then return false end
  end
  return M.queue[1] == M.mine
end

node.on("REQUEST", function(msg)
  table.insert(M.queue, { ts = msg.ts, id = msg.sender })
  table.sort(M.queue, before)
  if not M.mine then                -- the bug: no REPLY while requesting
    node.send(msg.sender, "REPLY")
  end
end)

node.on("REPLY", function(msg) M.replies[msg.sender] = true end)
node.on("RELEASE", function(msg) remove(msg.sender) end)

function M.request()
  M.replies = {}
  local ts = node.broadcast(node.peers, "REQUEST")
  M.mine = { ts = ts, id = node.id }
  table.insert(M.queue, M.mine)
  table.sort(M.queue, before)
  node.wait_until(may_enter, "REPLY from every peer")
end

function M.release()
  remove(node.id)
  M.mine = nil
  node.broadcast(node.peers, "RELEASE")
end

return M
