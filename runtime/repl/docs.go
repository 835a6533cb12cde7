package repl

import (
	"fmt"
	"strings"
)

//go:generate go test -run ^TestREPLDocs$ -args -update

// replDocsPath is the REPL's reference, relative to this package.
const replDocsPath = "../../docs/repl.md"

// replDocsIntro is the part of docs/repl.md that is not about one command.
const replDocsIntro = `# The mutexlab REPL

` + "`mutexlab`" + ` with no arguments, or ` + "`mutexlab repl [SCENARIO]`" + `, opens a prompt with the
seed scenario (or SCENARIO) loaded. ` + "`run`" + ` starts the eight processes and
follows their screen; Ctrl-C returns to the prompt while the system keeps
running, so that you can look at it (` + "`status`, `trace`, `check`" + `) and steer it
(` + "`pause`, `hold`, `deliver`, `partition`, `kill`" + `). Ctrl-D or ` + "`quit`" + ` stops every
process and leaves.

- Tab completes commands, node ids, links (` + "`A1->A2`" + `), scenario files and
  algorithm names. History is kept in ` + "`~/.mutexlab_history`" + `.
- LINK is FROM->TO. Link commands act on the receiving node, between two
  of its events, never in the middle of a handler.
- While the prompt is open, what the nodes print is not shown (it would
  garble the line being typed): ` + "`follow`" + ` shows the screen, and news such as
  a death or the end of the run is printed when the current command ends.
- Read from a pipe or a file (` + "`mutexlab repl < session.txt`" + `), the REPL
  runs the commands with no prompt and prints only their output; lines
  starting with # are comments. ` + "`run`" + ` with a number of rounds follows until
  the run ends. The exit status is 0 when every command succeeded and 1
  otherwise. See examples/session.txt.
- ` + "`run --hold`" + ` starts the system with every link held, so that it can be
  stepped message by message with ` + "`pending`" + ` and ` + "`deliver`" + ` (examples/stepping.txt).
`

// replDebugIntro opens the debug mode's part of docs/repl.md.
const replDebugIntro = `
# Debugging a run: mutexlab debug

` + "`mutexlab debug`" + ` opens the REPL on a simulated run held at a step, the
same Lua scripts running in the deterministic simulator (README, "The
simulator"). It takes a scenario and a seed
(` + "`mutexlab debug exercises/eager_entry --seed 1`" + `: the schedule
` + "`explore`" + ` runs for that seed), or any trace: a saved schedule of
` + "`explore`" + `, a branch written by ` + "`save`" + `, or a real TCP run
(` + "`mutexlab debug run.jsonl`" + `, replayed as ` + "`mutexlab replay`" + ` does; ` + "`--scenario`" + `
and ` + "`--scripts`" + ` say where its scripts are). Its commands are its own:

- A step is one delivery or one timer; step 0 is the start, every node
  started. ` + "`step`" + ` shows each step's events with their trace lines.
- ` + "`back`" + ` takes the run again from the start up to the step before: the
  simulator is deterministic, so every node's Lua tables are exactly as
  they were (a run of a thousand events takes about 2 ms).
- ` + "`next`" + ` lists what can happen now and what is due later; ` + "`choose`" + ` takes
  one of them instead of the scheduler's pick: a branch. ` + "`step`" + ` goes on
  from it with the seeded scheduler, ` + "`save FILE`" + ` writes it as a trace
  that ` + "`mutexlab replay`" + ` repeats byte for byte.
- A scenario's faults ([scenario.md](scenario.md#faults)) happen at
  their times and right after the events they follow, as in ` + "`explore`" + `:
  going back and forth repeats them. Lost messages are drops (` + "`step`" + `
  shows the reason), a duplicate is a ` + "`recv`" + ` marked as one; a crashed
  node's ` + "`status`" + ` says ` + "`crashed`" + ` and ` + "`inspect`" + ` has no state to read; a
  recorded run's faults are replayed where the recording shows them.
- ` + "`--state`" + ` records every node's algorithm state on each event, so
  that the diagram written by ` + "`diagram`" + ` shows it.
- Fed from a pipe it runs the commands as a batch script, like the REPL:
  exit status 0 when every command succeeded, 1 otherwise. See
  examples/debug/eager_entry.txt. ` + "`help`" + ` and ` + "`quit`" + ` are as above.
`

// replMarkdown renders docs/repl.md from the command table.
func replMarkdown() string {
	var b strings.Builder
	b.WriteString("<!-- Generated from the command table (runtime/repl/table.go) by `go generate ./runtime/repl`. Do not edit. -->\n\n")
	b.WriteString(replDocsIntro)
	writeGroups(&b, modeLive, "##")
	b.WriteString(replDebugIntro)
	writeGroups(&b, modeDebug, "##")
	return b.String()
}

// writeGroups writes the command groups of mode m: a table each, then the
// details of the commands that have more to say. The commands shared with
// the live REPL are written once, with it.
func writeGroups(b *strings.Builder, m mode, h string) {
	for _, g := range groupOrder {
		var cmds []*replCommand
		for _, c := range replCommands {
			if c.group == g && c.in(m) && (m == modeLive || !c.in(modeLive)) {
				cmds = append(cmds, c)
			}
		}
		if len(cmds) == 0 {
			continue
		}
		fmt.Fprintf(b, "\n%s %s\n\n", h, g)
		b.WriteString("| command | what it does |\n| --- | --- |\n")
		for _, c := range cmds {
			fmt.Fprintf(b, "| `%s` | %s |\n", mdCell(c.usage()), mdCell(c.summary))
		}
		for _, c := range cmds {
			if c.help == "" && len(c.aliases) == 0 && !c.live {
				continue
			}
			anchor := c.name
			if m == modeDebug {
				anchor = "debug " + c.name
			}
			fmt.Fprintf(b, "\n%s# %s\n\n`%s`: %s.\n", h, anchor, c.usage(), c.summary)
			if c.help != "" {
				fmt.Fprintf(b, "\n```\n%s\n```\n", c.help)
			}
			var notes []string
			if len(c.aliases) > 0 {
				notes = append(notes, "Aliases: `"+strings.Join(c.aliases, "`, `")+"`.")
			}
			if c.live {
				notes = append(notes, "Needs a running system.")
			}
			if len(notes) > 0 {
				fmt.Fprintf(b, "\n%s\n", strings.Join(notes, " "))
			}
		}
	}
}

// mdCell escapes text for a Markdown table cell.
func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
