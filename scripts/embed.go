// Package scripts embeds the role scripts (heavyweight.lua,
// lightweight.lua) run as each node's main coroutine.
package scripts

import "embed"

// FS holds the role scripts, named ROLE.lua.
//
//go:embed *.lua
var FS embed.FS
