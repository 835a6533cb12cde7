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

// replMarkdown renders docs/repl.md from the command table.
func replMarkdown() string {
	var b strings.Builder
	b.WriteString("<!-- Generated from the command table (runtime/repl/table.go) by `go generate ./runtime/repl`. Do not edit. -->\n\n")
	b.WriteString(replDocsIntro)
	for _, g := range groupOrder {
		fmt.Fprintf(&b, "\n## %s\n\n", g)
		b.WriteString("| command | what it does |\n| --- | --- |\n")
		for _, c := range replCommands {
			if c.group != g {
				continue
			}
			fmt.Fprintf(&b, "| `%s` | %s |\n", mdCell(c.usage()), mdCell(c.summary))
		}
		for _, c := range replCommands {
			if c.group != g || (c.help == "" && len(c.aliases) == 0 && !c.live) {
				continue
			}
			fmt.Fprintf(&b, "\n### %s\n\n`%s`: %s.\n", c.name, c.usage(), c.summary)
			if c.help != "" {
				fmt.Fprintf(&b, "\n```\n%s\n```\n", c.help)
			}
			var notes []string
			if len(c.aliases) > 0 {
				notes = append(notes, "Aliases: `"+strings.Join(c.aliases, "`, `")+"`.")
			}
			if c.live {
				notes = append(notes, "Needs a running system.")
			}
			if len(notes) > 0 {
				fmt.Fprintf(&b, "\n%s\n", strings.Join(notes, " "))
			}
		}
	}
	return b.String()
}

// mdCell escapes text for a Markdown table cell.
func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
