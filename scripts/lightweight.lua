-- The lightweight role: wait for the heavyweight's grant, then compete
-- with the group's other lightweights for the critical section using the
-- group's algorithm (Lamport or Ricart-Agrawala in the seed).
local mutex = require(node.algorithm)

for round in node.rounds() do
  node.receive("CS_GRANT", node.parent)  -- our heavyweight holds the token
  mutex.request()                        -- blocks until we may enter
  node.critical_section()                -- "I'm lightweight process A1", prints times
  mutex.release()
  node.send(node.parent, "DONE")
end
