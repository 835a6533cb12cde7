-- The seed scenario: two heavyweights, A and B, pass a token between them;
-- each coordinates three lightweights. The holder of the token lets its
-- lightweights into the critical section, one at a time, with their own
-- mutual-exclusion algorithm; then it passes the token on.
--
-- Copy this file (mutexlab init DIR), edit it and run it:
--   mutexlab run my_scenario.lua
return {
  name = "seed",
  token = "token",                               -- heavyweights' algorithm (algorithms/token.lua)
  groups = {                                     -- the token ring, in this order; A starts with the token
    { id = "A", algorithm = "lamport",         lightweights = 3 },  -- A1, A2, A3
    { id = "B", algorithm = "ricart_agrawala", lightweights = 3 },  -- B1, B2, B3
  },
  cs = { prints = 10, interval = 1.0 },          -- the critical section prints 10 lines, 1 second apart
  rounds = nil,                                  -- nil: forever (Ctrl-C stops); or a number of rounds
  speed = 1,                                     -- divides every sleep and interval: 10 runs ten times faster
  network = { delay = 0, jitter = 0 },           -- seconds; per link: links = { ["A1->A2"] = { delay = 0.5 } }
  seed = 1,                                      -- seeds the random jitter, so runs can be repeated
}
