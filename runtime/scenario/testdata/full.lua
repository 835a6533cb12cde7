-- Every field set, for the loader's tests.
return {
  name = "full",
  token = "token",
  groups = {
    { id = "X", algorithm = "lamport",         lightweights = 2 },
    { id = "Y", algorithm = "ricart_agrawala", lightweights = 1 },
    { id = "Z", algorithm = "my_mutex",        lightweights = 4 },
  },
  cs = { prints = 2, interval = 0.25 },
  rounds = 5,
  speed = 2.5,
  network = {
    delay = 0.01, jitter = 0.002, reorder = true,
    links = {
      ["X1->X2"] = { delay = 0.5 },                 -- jitter: the network's
      [" Y -> Z "] = { delay = 0, jitter = 0.1 },   -- spaces are fine
    },
  },
  seed = 42,
  host = "127.0.0.2",
  port = 9000,
  addresses = { Z4 = "localhost:9500" },
  session = "s3cret-of-16-chars",
}
