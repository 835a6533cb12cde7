// Package examples holds the example scenarios, embedded so that the
// binary finds them from any folder (`mutexlab run three_groups`).
package examples

import "embed"

// FS holds the example scenarios (seed.lua, three_groups.lua, ...).
//
// Only *.lua at the top is embedded for now: the exercises/ folder is
// still empty, and a go:embed pattern that matches no file fails the build.
// Add `//go:embed exercises` once it holds the broken algorithms.
//
//go:embed *.lua
var FS embed.FS
