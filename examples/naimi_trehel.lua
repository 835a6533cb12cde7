-- Naimi-Trehel's path reversal (algorithms/naimi_trehel.lua) in two groups
-- of five lightweights, and between the heavyweights too.
--   mutexlab run naimi_trehel --rounds 2
--   mutexlab explore naimi_trehel --runs 1000
return {
  name = "naimi_trehel",
  token = "naimi_trehel",
  groups = {
    { id = "A", algorithm = "naimi_trehel", lightweights = 5 },
    { id = "B", algorithm = "naimi_trehel", lightweights = 5 },
  },
  cs = { prints = 3, interval = 0.2 },           -- a short critical section: 3 lines, 0.2 s apart
  speed = 1,
  network = { delay = 0, jitter = 0 },
  seed = 1,
}
