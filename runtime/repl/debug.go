package repl

import (
	"fmt"
	"os"
	"strings"

	"github.com/mattn/go-isatty"

	"mutexlab/runtime/check"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/sim"
)

// The debug mode: `mutexlab debug` opens the REPL on a simulated run held
// at a step (sim.Session), with commands of its own in the one command
// table (debugcmds.go).

// DebugOptions configure a debug session.
type DebugOptions struct {
	// Session is the run, at its start.
	Session *sim.Session
	// Origin says where the run comes from, for the banner:
	// "exercises/eager_entry, seed 1", "run.jsonl, a tcp run replayed".
	Origin string
	// ScenarioArg and Scripts name the scenario and script folders on
	// the command lines that save prints.
	ScenarioArg string
	Scripts     []string
	Version     string
	Color       bool
}

// debugger is the debug mode's state: the session and what it keeps of
// the branch to its end.
type debugger struct {
	s       *sim.Session
	name    string
	origin  string
	arg     string
	scripts []string
	// whole is the branch run to its end (Finish), kept until Choose
	// changes the branch.
	whole *sim.BranchRun
}

// Debug is a debug session on the terminal or a pipe; it returns the
// session's exit status (0, or 1 when a command of a script failed).
func Debug(o DebugOptions) int {
	interactive := isatty.IsTerminal(os.Stdin.Fd())
	var errOut *os.File = os.Stderr
	r := newREPL(os.Stdout, errOut, o.Color, interactive)
	if interactive {
		r.errOut = r.con
	}
	r.startDebug(o)
	defer o.Session.Close()
	return r.serve()
}

// startDebug puts the session in debug mode on o.Session.
func (r *repl) startDebug(o DebugOptions) {
	s := o.Session
	r.mode = modeDebug
	r.version = o.Version
	r.scripts = o.Scripts
	r.base = s.Scenario()
	r.dbg = &debugger{s: s, name: s.Scenario().Name, origin: o.Origin, arg: o.ScenarioArg, scripts: o.Scripts}
}

func (d *debugger) banner(r *repl) {
	fmt.Fprintf(r.out, "mutexlab %s debug: %s (%s), %d processes, at step 0: every node started.\n",
		r.version, d.name, d.origin, len(d.s.Nodes()))
	fmt.Fprintln(r.out, "`step`, `back` and `goto` move through the run, `where` and `inspect` look at it, `next` and `choose` branch; `help` lists the commands.")
}

func (d *debugger) prompt() string {
	end := ""
	if _, ended := d.s.AtEnd(); ended {
		end = " (end)"
	}
	return fmt.Sprintf("debug %s step %d%s> ", d.name, d.s.Pos(), end)
}

// finish is the branch run to its end.
func (d *debugger) finish() (*sim.BranchRun, error) {
	if d.whole == nil {
		run, err := d.s.Finish()
		if err != nil {
			return nil, err
		}
		d.whole = run
	}
	return d.whole, nil
}

// report checks the branch run to its end.
func (d *debugger) report() (*sim.BranchRun, *check.Report, error) {
	run, err := d.finish()
	if err != nil {
		return nil, nil, err
	}
	return run, check.Run(run.Trace, check.Options{}), nil
}

// scenarioArg names the scenario on a command line.
func (d *debugger) scenarioArg() string {
	if d.arg != "" {
		return d.arg
	}
	return embeddedName(d.s.Scenario())
}

// embeddedName names a loaded scenario as the command line would.
func embeddedName(s *scenario.Scenario) string {
	if name, ok := strings.CutPrefix(s.File, "embedded:"); ok {
		return strings.TrimSuffix(strings.TrimSuffix(name, ".lua"), "/scenario")
	}
	return s.File
}
