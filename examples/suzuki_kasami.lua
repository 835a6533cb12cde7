-- Suzuki-Kasami's broadcast token (algorithms/suzuki_kasami.lua) in two
-- groups of five lightweights, and between the heavyweights too: each
-- heavyweight asks for its token once per round, by broadcast.
--   mutexlab run suzuki_kasami --rounds 2
--   mutexlab explore suzuki_kasami --runs 1000
return {
  name = "suzuki_kasami",
  token = "suzuki_kasami",
  groups = {
    { id = "A", algorithm = "suzuki_kasami", lightweights = 5 },
    { id = "B", algorithm = "suzuki_kasami", lightweights = 5 },
  },
  cs = { prints = 3, interval = 0.2 },           -- a short critical section: 3 lines, 0.2 s apart
  speed = 1,
  network = { delay = 0, jitter = 0 },
  seed = 1,
}
