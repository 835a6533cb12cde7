// Package examples holds the example scenarios, embedded so that the
// binary finds them from any folder (`mutexlab run three_groups`), and the
// exercises: broken algorithms a teacher can hand out, one folder each
// (`mutexlab run exercises/eager_entry`).
package examples

import "embed"

// FS holds the example scenarios (seed.lua, three_groups.lua, ...) and
// exercises/NAME/scenario.lua with the broken module(s) beside it, plus
// exercises/README.md, and the fault plans faults/NAME.lua
// (docs/faults.md). The answers (exercises/ANSWERS.md) are left out on
// purpose: `mutexlab init` copies this file system for students.
//
//go:embed *.lua exercises/README.md exercises/*/*.lua faults/*.lua
var FS embed.FS
