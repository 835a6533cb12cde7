package scenario

// Suggest returns the candidate s is a likely typo of (one or two edits
// away, one for short words, or a prefix of it), or "": the "did you
// mean" of scenario fields, algorithms and subcommands.
func Suggest(s string, candidates []string) string { return suggest(s, candidates) }
