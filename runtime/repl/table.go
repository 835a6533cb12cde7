package repl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
)

// replCommand is one REPL command. The table below is the only place
// commands are described: help, `help CMD`, tab completion and
// docs/repl.md all come from it.
type replCommand struct {
	name    string
	aliases []string
	args    string // the synopsis after the name: "NODE EXPR"
	summary string // one line
	help    string // what follows the summary in `help CMD`: details, examples
	group   string
	// modes are the sessions the command belongs to: the live REPL,
	// the debug mode (mutexlab debug), or both; zero is the live REPL.
	modes mode
	// live commands need a running system.
	live bool
	// complete says what each argument is, for tab completion; the last
	// kind repeats.
	complete []argKind
	flags    []string // for completion: "--rounds", ...
	run      func(r *repl, ctx context.Context, a cmdArgs) error
}

// cmdArgs are a command line's arguments: split on spaces, and the raw
// text after the command's name (inspect's Lua expression).
type cmdArgs struct {
	args []string
	rest string
	cmd  *replCommand // the command being run, for its usage
}

// mode is a kind of session: each has its own commands in the one table,
// and help, completion and docs/repl.md show each mode's.
type mode uint8

const (
	modeLive  mode = 1 << iota // the REPL on a live system of processes
	modeDebug                  // mutexlab debug: a simulated run, stepped
	modeBoth  = modeLive | modeDebug
)

// in reports whether the command belongs to sessions of mode m.
func (c *replCommand) in(m mode) bool {
	if c.modes == 0 {
		return m == modeLive
	}
	return c.modes&m != 0
}

// argKind says what an argument is, for completion.
type argKind int

const (
	argCommand   argKind = iota // a REPL command
	argNode                     // A1
	argNodeOrAll                // A1 or all
	argNodes                    // A1,A2
	argLink                     // A1->A2
	argLinkOrAll                // A1->A2 or all
	argScenario                 // seed, three_groups, a .lua file
	argGroup                    // A, or token
	argAlgorithm                // lamport, ricart_agrawala, ...
	argFile                     // any file
)

// Command groups, in help order.
const (
	groupSystem  = "Running the system"
	groupSteer   = "Steering nodes and links"
	groupLook    = "Looking inside"
	groupSession = "The session"
)

var groupOrder = []string{groupSystem, groupSteer, groupLook, groupMove, groupStep, groupBranch, groupSession}

// replCommands is the command table. It is filled in init because the
// help command's handler reads it.
var replCommands []*replCommand

func init() {
	replCommands = []*replCommand{
		// Running the system.
		{name: "load", args: "SCENARIO", group: groupSystem, complete: []argKind{argScenario},
			summary: "load a scenario: a file, a folder or an embedded example (seed, tiny, exercises/NAME...)",
			help: `The next run uses it. A running system must be stopped first. load
clears what speed and algorithm changed; reload keeps it.`,
			run: cmdLoad},
		{name: "run", args: "[--rounds N] [--speed X] [--hold] [--trace FILE]", group: groupSystem,
			flags:   []string{"--rounds", "--speed", "--hold", "--trace"},
			summary: "start the processes and follow their screen until Ctrl-C; the system keeps running",
			help: `--rounds N    rounds each lightweight runs (0: forever); default the scenario's
--speed X     divide every sleep and interval by X; default the scenario's
--hold        start with every link held: nothing is delivered until
              deliver or release, so the run can be stepped message by
              message from the very first one (run does not follow then)
--trace FILE  also write the run's trace to FILE as it goes

Read from a pipe or a file, run follows until the run ends when it has a
number of rounds, and otherwise returns at once with the system running.`,
			run: cmdRun},
		{name: "follow", args: "[DURATION]", group: groupSystem,
			summary: "follow the screen until Ctrl-C, the end of the run, or DURATION (2s, 500ms)",
			help:    `While following, what the nodes print goes straight to the screen.`,
			live:    true, run: cmdFollow},
		{name: "stop", group: groupSystem, live: true,
			summary: "stop every process; the trace stays for status, trace, check and diagram",
			run:     cmdStop},
		{name: "restart", group: groupSystem,
			summary: "stop the system if it runs and start it again with the last run's options",
			run:     cmdRestart},
		{name: "speed", args: "X", group: groupSystem,
			summary: "set the speed of the runs to come (restart applies it now)",
			help:    `Every sleep and critical-section interval is divided by X.`,
			run:     cmdSpeed},
		{name: "reload", group: groupSystem,
			summary: "re-read the scenario and the edited scripts, and restart the system if it runs",
			help: `The algorithm and role scripts are compiled first: a syntax error is
reported and the running system is left alone.`,
			run: cmdReload},
		{name: "algorithm", args: "[GROUP ALGORITHM]", group: groupSystem, complete: []argKind{argGroup, argAlgorithm},
			summary: "show the algorithms, or change a group's (or the token ring's) for the runs to come",
			help: `GROUP is a group's letter (A) or "token" for the heavyweights' ring.
ALGORITHM is a module in --scripts, the scenario's folder or the shipped
algorithms: algorithm A ricart_agrawala, then restart.`,
			run: cmdAlgorithm},

		// Steering.
		{name: "pause", args: "NODE|all", group: groupSteer, live: true, complete: []argKind{argNodeOrAll},
			summary: "stop a node handling events; what is sent to it waits",
			run:     func(r *repl, ctx context.Context, a cmdArgs) error { return r.pauseResume(ctx, a, "pause") }},
		{name: "resume", args: "NODE|all", group: groupSteer, live: true, complete: []argKind{argNodeOrAll},
			summary: "let a paused node go on",
			run:     func(r *repl, ctx context.Context, a cmdArgs) error { return r.pauseResume(ctx, a, "resume") }},
		{name: "kill", args: "NODE", group: groupSteer, live: true, complete: []argKind{argNode},
			summary: "SIGKILL a node's process, as a crash would; shows what the others now wait on",
			help:    `The run goes on without it, until stop.`,
			run:     cmdKill},
		{name: "hold", args: "LINK|all", group: groupSteer, live: true, complete: []argKind{argLinkOrAll},
			summary: "hold the messages of a link (A1->A2) or of every link; they wait, in order",
			run:     func(r *repl, ctx context.Context, a cmdArgs) error { return r.holdRelease(ctx, a, "hold") }},
		{name: "pending", group: groupSteer, live: true,
			summary: "list the messages waiting on each link",
			run:     cmdPending},
		{name: "deliver", args: "LINK [N]", group: groupSteer, live: true, complete: []argKind{argLink},
			summary: "let the next N (1) messages of a held link through, in order: step the system",
			run:     cmdDeliver},
		{name: "release", args: "LINK|all", group: groupSteer, live: true, complete: []argKind{argLinkOrAll},
			summary: "stop holding a link, or every link; what waited is delivered",
			run:     func(r *repl, ctx context.Context, a cmdArgs) error { return r.holdRelease(ctx, a, "release") }},
		{name: "drop", args: "LINK [N]", group: groupSteer, live: true, complete: []argKind{argLink},
			summary: "lose the next N (1) messages of a link",
			run:     cmdDrop},
		{name: "delay", args: "LINK|all DURATION|off", group: groupSteer, live: true, complete: []argKind{argLinkOrAll},
			summary: "delay a link's messages (0.5, 500ms; divided by the speed); off: the scenario's delay",
			run:     cmdDelay},
		{name: "partition", args: "NODES [NODES]", group: groupSteer, live: true, complete: []argKind{argNodes},
			summary: "cut every link between two sides (A1,A2 A3) both ways; one side: from all the others",
			help:    `Messages across the cut are lost, not held, until heal.`,
			run:     cmdPartition},
		{name: "heal", args: "[LINK]", group: groupSteer, live: true, complete: []argKind{argLink},
			summary: "undo partition: every link, or one",
			run:     cmdHeal},

		// Looking inside.
		{name: "status", aliases: []string{"st"}, group: groupLook,
			summary: "a table of the nodes: role, pid, state, Lamport clock, round, CS entries, mailbox",
			help: `While the system runs, lines under the table say what is steered: the
links held, cut and delayed, the nodes paused and killed. Once the run is
over it shows each node's last known state, from the trace.`,
			run: cmdStatus},
		{name: "inspect", args: "NODE EXPR", group: groupLook, live: true, complete: []argKind{argNode},
			summary: "evaluate a Lua expression in a node between events (inspect A1 queue)",
			help: `Names are looked up in the node's algorithm module first, then in the
node module, then in the globals.`,
			run: cmdInspect},
		{name: "trace", args: "[N|all] [NODE...]", group: groupLook, complete: []argKind{argNode},
			summary: "the run's last N (20) events, colored by node; with NODEs, only theirs",
			run:     cmdTrace},
		{name: "check", group: groupLook,
			summary: "check the trace so far: mutual exclusion, screen, liveness, order, clocks, messages",
			run:     cmdCheck},
		{name: "diagram", args: "[FILE]", group: groupLook, complete: []argKind{argFile},
			summary: "write the run's space-time diagram as an HTML file (default mutexlab-SCENARIO.html)",
			run:     cmdDiagram},
		{name: "timeline", args: "[N]", group: groupLook,
			summary: "the run so far as a terminal lane view, the last N (40) rows; all for every row",
			run:     cmdTimeline},
		{name: "explore", args: "[ARGS]", group: groupLook,
			summary: "explore the scenario's schedules in the simulator",
			run:     cmdExplore},

		// The session.
		{name: "help", aliases: []string{"h", "?"}, args: "[COMMAND]", group: groupSession, modes: modeBoth, complete: []argKind{argCommand},
			summary: "list the commands, or show one command's usage",
			run:     cmdHelp},
		{name: "quit", aliases: []string{"exit", "q"}, group: groupSession, modes: modeBoth,
			summary: "stop the system and leave (Ctrl-D too)",
			run:     func(*repl, context.Context, cmdArgs) error { return errQuit }},
	}
	replCommands = append(replCommands, debugCommands()...)
}

// lookup finds a live REPL command by name or alias (lookupIn).
func lookup(name string) *replCommand { return lookupIn(name, modeLive) }

// command finds a command of the session's mode.
func (r *repl) command(name string) *replCommand { return lookupIn(name, r.mode) }

// lookupIn finds a command of mode m by name or alias. It never returns
// nil: an unknown name gets a command that says so and suggests the
// nearest.
func lookupIn(name string, m mode) *replCommand {
	for _, c := range replCommands {
		if !c.in(m) {
			continue
		}
		if c.name == name || slices.Contains(c.aliases, name) {
			return c
		}
	}
	return &replCommand{name: name, run: func(*repl, context.Context, cmdArgs) error {
		msg := "unknown command; `help` lists them"
		if s := nearestCommand(name, m); s != "" {
			msg = fmt.Sprintf("unknown command; did you mean %s?", s)
		}
		return errors.New(msg)
	}}
}

// nearestCommand is the command of mode m whose name starts with s or is
// one edit away from it, or "".
func nearestCommand(s string, m mode) string {
	var prefixed []string
	for _, c := range replCommands {
		if c.in(m) && strings.HasPrefix(c.name, s) {
			prefixed = append(prefixed, c.name)
		}
	}
	if len(prefixed) > 0 {
		return strings.Join(prefixed, " or ")
	}
	best, bestD := "", 3
	for _, c := range replCommands {
		if d := editDistance(s, c.name); c.in(m) && d < bestD {
			best, bestD = c.name, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// ready refuses a live command when no system runs.
func (r *repl) ready(c *replCommand) error {
	if !c.live || r.running() {
		return nil
	}
	if r.cur != nil {
		return errors.New("the run is over; `run` starts a new one")
	}
	return errors.New("no system is running; `run` starts it")
}

// usage is the command's synopsis: "deliver LINK [N]".
func (c *replCommand) usage() string {
	if c.args == "" {
		return c.name
	}
	return c.name + " " + c.args
}

// usageErr is a bad use of the command, with its synopsis.
func (c *replCommand) usageErr(format string, a ...any) error {
	return fmt.Errorf("%s (usage: %s)", fmt.Sprintf(format, a...), c.usage())
}

// printHelp lists the commands of mode m by group.
func printHelp(w io.Writer, m mode) {
	width := 0
	for _, c := range replCommands {
		if c.in(m) {
			width = max(width, len(c.name))
		}
	}
	first := true
	for _, g := range groupOrder {
		var lines []string
		for _, c := range replCommands {
			if c.group == g && c.in(m) {
				lines = append(lines, fmt.Sprintf("  %-*s  %s", width, c.name, c.summary))
			}
		}
		if len(lines) == 0 {
			continue
		}
		if !first {
			fmt.Fprintln(w)
		}
		first = false
		fmt.Fprintf(w, "%s:\n%s\n", g, strings.Join(lines, "\n"))
	}
	if m == modeDebug {
		fmt.Fprintln(w, "\nLINK is FROM->TO, e.g. A1->A2; EVENT is a trace line. `help COMMAND` shows a command's usage.")
		return
	}
	fmt.Fprintln(w, "\nLINK is FROM->TO, e.g. A1->A2. `help COMMAND` shows a command's usage.")
}

// printCommandHelp shows one command's usage.
func printCommandHelp(w io.Writer, c *replCommand) {
	fmt.Fprintf(w, "%s\n  %s\n", c.usage(), c.summary)
	if c.help != "" {
		fmt.Fprintln(w)
		for _, l := range strings.Split(c.help, "\n") {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
	if len(c.aliases) > 0 {
		fmt.Fprintf(w, "\n  aliases: %s\n", strings.Join(c.aliases, " "))
	}
	if c.live {
		fmt.Fprintln(w, "\n  needs a running system")
	}
}

func cmdHelp(r *repl, _ context.Context, a cmdArgs) error {
	if len(a.args) == 0 {
		printHelp(r.out, r.mode)
		return nil
	}
	c := r.command(a.args[0])
	if c.group == "" {
		return fmt.Errorf("no command %q; `help` lists them", a.args[0])
	}
	printCommandHelp(r.out, c)
	return nil
}

// commandNames returns every name and alias of mode m, sorted, for
// completion.
func commandNames(m mode) []string {
	var names []string
	for _, c := range replCommands {
		if c.in(m) {
			names = append(names, c.name)
			names = append(names, c.aliases...)
		}
	}
	sort.Strings(names)
	return names
}
