// Package algorithms embeds the shipped mutual-exclusion algorithms
// (token.lua, lamport.lua, ricart_agrawala.lua) so the binary works from
// any folder. A file of the same name in --scripts DIR or the scenario's
// folder overrides the embedded one.
package algorithms

import "embed"

// FS holds the algorithm modules, named NAME.lua.
//
//go:embed *.lua
var FS embed.FS
