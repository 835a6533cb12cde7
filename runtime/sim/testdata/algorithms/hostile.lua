-- A hostile algorithm (sim_test.go, TestReusedVMsForgetHostileScripts):
-- each time it is loaded it first logs everything a script can see of
-- its VM, then changes all it can reach, so that the next schedule, on
-- the same VM reused, would see it if the VM were not put back as new.
-- It is alone in its group: request and release need nothing.
local type, tostring, pairs, getmetatable, setmetatable, rawset, setfenv, log, concat =
  type, tostring, pairs, getmetatable, setmetatable, rawset, setfenv, node.log, table.concat

local ids, n, todo = {}, 0, {}
local function visit(v)
  local t = type(v)
  if t ~= "table" and t ~= "function" and t ~= "userdata" then return t .. ":" .. tostring(v) end
  if not ids[v] then
    n = n + 1
    ids[v] = t .. "#" .. n
    todo[#todo + 1] = v
  end
  return ids[v]
end
visit(_G); visit(getmetatable("")); visit(getfenv(0))
local i = 1
while todo[i] do
  local v = todo[i]; i = i + 1
  if type(v) == "table" then
    local line = { ids[v], "mt=" .. visit(getmetatable(v)) }
    for k, x in pairs(v) do line[#line + 1] = visit(k) .. "=" .. visit(x) end
    log("seen " .. concat(line, " "))
  end
end
log("random " .. math.random() .. " " .. math.random(1000) .. " " .. math.random(5, 9))
log("env " .. tostring(getfenv(0) == _G) .. " " .. ("ab"):rep(2) .. " " .. string.format("%03d", 7))

-- Now break everything.
string.rep = nil; string.extra = "x"; string.format = function() return "forged" end
table.sort = function() end; table[2.5] = {}
math.pi = 3; math.floor = nil; math.randomseed(42); math.random(); math[7] = 7
rawset(_G, "load", "x"); _G.dofile = "back"; _VERSION = nil; _G[true] = "yes"; _G.newglobal = {}
node.extra = 1; node.peers[9] = "nobody"; node.clock.extra = true
local smt = getmetatable("")
smt.__add = function() return 0 end; smt.extra = true
setmetatable(string, { __index = function() return "meta" end })
setmetatable(node, { __index = function() return "ghost" end })
-- A condition runs on the node's VM itself, not on the script's
-- coroutine: it changes the VM's environment.
node.wait_until(function() setfenv(0, { hijacked = true }); return true end)
setmetatable(_G, { __index = function() return "ghost" end, __metatable = "locked" })

local M = {}
function M.request() end
function M.release() end
return M
