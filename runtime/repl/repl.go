// Package repl is mutexlab's interactive REPL: `mutexlab` with no
// arguments, or `mutexlab repl [SCENARIO]` (docs/repl.md). It loads a
// scenario, launches and steers its system through runtime/cluster, and
// looks at the run through its trace; read from a pipe, it runs a session
// script. The command's flags are parsed by cmd/mutexlab, which calls Run.
//
// The files:
//
//	repl.go      Run, the session, the read-eval loop, Ctrl-C and shutdown
//	table.go     the command table: help, lookup, argument checks
//	prompter.go  the prompter interface, the liner adapter, the line reader
//	console.go   the screen: command output, node output, notices
//	live.go      one launch of the system: its trace, and what is steered
//	system.go    load, run, follow, stop, restart, speed, reload, algorithm
//	steer.go     pause, resume, kill and the link commands
//	look.go      status, inspect, trace, check, diagram, explore
//	complete.go  tab completion
//	docs.go      docs/repl.md, generated from the table
package repl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/mattn/go-isatty"

	"mutexlab/runtime/scenario"
)

// repl is one REPL session: the scenario loaded, the run (current or
// last), and the ways in and out.
type repl struct {
	mode        mode      // live, or debug (mutexlab debug)
	dbg         *debugger // the debug mode's run
	p           prompter
	con         *console
	out         io.Writer // command output (the console)
	errOut      io.Writer // error lines
	interactive bool      // stdin is a terminal: run follows until Ctrl-C, errors do not change the exit status
	binary      string    // the mutexlab executable for the nodes; "" is this one
	version     string    // mutexlab's version, written into traces
	explore     ExploreFunc
	scripts     []string // --scripts

	// The scenario as loaded (arg names it for reload) and what the user
	// changed for the runs to come.
	arg   string
	base  *scenario.Scenario
	over  overrides
	last  *runOptions // the last run's options, for restart
	cur   *liveRun    // the current or last run
	lineN int         // input lines read, for batch error messages

	mu     sync.Mutex
	cancel context.CancelFunc // the foreground command's, for Ctrl-C
	abort  bool               // batch: Ctrl-C ends the script

	stopOnce sync.Once
}

// overrides are the session's changes to the loaded scenario: the repl
// command's flags, `speed` and `algorithm`. load clears them, reload keeps
// them.
type overrides struct {
	rounds int     // -1: the scenario's
	speed  float64 // 0: the scenario's
	algos  map[string]string
}

// errQuit ends the session.
var errQuit = errors.New("quit")

// errQuiet is a failure whose story has been printed already (a failed
// check).
type errQuiet struct{ msg string }

func (e errQuiet) Error() string { return e.msg }

// Exit statuses of a session (README.md).
const (
	exitOK     = 0 // every command succeeded, or the session was interactive
	exitFailed = 1 // in batch, a command failed; or a signal stopped the session
)

// Options configure a session.
type Options struct {
	Scenario string   // the scenario to load: a file, a folder, an embedded name; "" is the seed
	Rounds   int      // rounds of the runs (0: forever); -1: the scenario's
	Speed    float64  // speed of the runs; 0: the scenario's
	Scripts  []string // folders searched first for algorithm and role scripts
	Version  string   // mutexlab's version: the banner, the traces
	Color    bool     // colors on standard output

	// Explore runs the explore command on s, the scenario the next run
	// would use, writing its report to w; nil leaves explore unavailable.
	Explore ExploreFunc
}

// ExploreFunc is the explore command's engine: the simulator's schedule
// explorer, given the command's arguments (cmd/mutexlab wires it).
type ExploreFunc func(ctx context.Context, w io.Writer, s *scenario.Scenario, scriptDirs []string, args []string) error

// Run is a session on the terminal or a pipe: it sets up the terminal,
// the signals and the session, and runs the loop until quit or the end of
// input. It returns the session's exit status, or the error of a
// scenario that does not load.
func Run(o Options) (int, error) {
	interactive := isatty.IsTerminal(os.Stdin.Fd())
	var errOut io.Writer = os.Stderr
	if interactive {
		errOut = nil // the console, in order with the rest
	}
	r := newREPL(os.Stdout, errOut, o.Color, interactive)
	r.scripts = o.Scripts
	r.version, r.explore = o.Version, o.Explore
	r.over = overrides{rounds: o.Rounds, speed: o.Speed}
	if err := r.load(o.Scenario); err != nil {
		return 0, err
	}
	if _, err := r.effective(runOptions{rounds: -1}); err != nil {
		return 0, err
	}
	return r.serve(), nil
}

// serve runs a session on the terminal or a pipe: the prompter, the
// signals, the banner, then the loop until quit or the end of input. It
// returns the session's exit status.
func (r *repl) serve() int {
	if r.interactive && isatty.IsTerminal(os.Stdout.Fd()) {
		r.setPrompter(newLinerPrompter(historyPath()))
	} else {
		r.setPrompter(newLineReader(os.Stdin))
	}

	// Never leave a process behind or the terminal in raw mode: on a
	// panic, on SIGTERM or SIGHUP, stop the system and give the terminal
	// back. Ctrl-C only cancels the command in the foreground.
	defer func() {
		if p := recover(); p != nil {
			r.shutdown()
			panic(p)
		}
	}()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	go func() {
		for s := range sigs {
			if s == os.Interrupt && (r.interrupt() || r.interactive) {
				continue
			}
			r.shutdown()
			os.Exit(exitFailed)
		}
	}()

	if r.interactive {
		r.banner()
	}
	return r.loop()
}

// newREPL returns a session printing to w, and its errors to errW (nil:
// the console, in order with the rest). It has no scenario and no
// prompter yet.
func newREPL(w, errW io.Writer, useColor, interactive bool) *repl {
	r := &repl{mode: modeLive, interactive: interactive, over: overrides{rounds: -1}}
	r.con = newConsole(w, useColor)
	r.out, r.errOut = r.con, errW
	if errW == nil {
		r.errOut = r.con
	}
	return r
}

func (r *repl) setPrompter(p prompter) {
	r.p = p
	p.SetCompleter(r.complete)
}

func (r *repl) banner() {
	if r.dbg != nil {
		r.dbg.banner(r)
		return
	}
	s := r.base
	fmt.Fprintf(r.out, "mutexlab %s: %s loaded, %d processes (%s).\n", r.version, s.Name, len(s.NodeIDs()), strings.Join(s.NodeIDs(), " "))
	fmt.Fprintln(r.out, "`run` starts them, `help` lists the commands, Ctrl-C returns to the prompt, Ctrl-D leaves.")
}

// prompt names the scenario and says whether its system runs.
func (r *repl) prompt() string {
	if r.dbg != nil {
		return r.dbg.prompt()
	}
	state := ""
	if r.running() {
		state = " (running)"
	}
	return "mutexlab " + r.base.Name + state + "> "
}

// loop reads and executes commands until quit or the end of input, then
// stops the system. It returns the exit status: in batch, 1 when any
// command failed.
func (r *repl) loop() int {
	failed := false
	for {
		line, err := r.p.PromptInput(r.prompt())
		if errors.Is(err, errInterrupted) {
			continue
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				fmt.Fprintf(r.errOut, "reading commands: %v\n", err)
				failed = true
			} else if r.interactive {
				fmt.Fprintln(r.out)
			}
			break
		}
		r.lineN++
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r.p.AppendHistory(line)
		err = r.exec(line)
		r.con.flush(r.interactive)
		if errors.Is(err, errQuit) {
			break
		}
		if err != nil {
			failed = true
			r.reportError(line, err)
		}
		if r.takeAbort() {
			failed = true // the script did not run to its end
			break
		}
	}
	r.shutdown()
	if failed && !r.interactive {
		return exitFailed
	}
	return exitOK
}

// reportError prints a command's error as one line.
func (r *repl) reportError(line string, err error) {
	var q errQuiet
	if errors.As(err, &q) {
		return
	}
	name, _, _ := strings.Cut(line, " ")
	where := ""
	if !r.interactive {
		where = fmt.Sprintf("line %d: ", r.lineN)
	}
	fmt.Fprintf(r.errOut, "%s%s: %v\n", where, name, err)
}

// exec runs one command line with a context that Ctrl-C cancels.
func (r *repl) exec(line string) error {
	name, rest, _ := strings.Cut(line, " ")
	c := r.command(name)
	a := cmdArgs{args: strings.Fields(rest), rest: strings.TrimSpace(rest), cmd: c}
	if err := r.ready(c); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.mu.Lock()
	r.cancel = cancel
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.cancel = nil
		r.mu.Unlock()
		cancel()
	}()
	return c.run(r, ctx, a)
}

// interrupt cancels the foreground command, as Ctrl-C does. It reports
// whether there was one.
func (r *repl) interrupt() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel == nil {
		return false
	}
	r.cancel()
	if !r.interactive {
		r.abort = true
	}
	return true
}

func (r *repl) takeAbort() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.abort
}

// running reports whether a system is up.
func (r *repl) running() bool { return r.cur != nil && r.cur.running() }

// shutdown stops the system, prints what it said last and gives the
// terminal back. It runs once, whoever calls it first.
func (r *repl) shutdown() {
	r.stopOnce.Do(func() {
		r.mu.Lock()
		lr := r.cur
		r.mu.Unlock()
		if lr != nil && lr.running() {
			if r.interactive {
				fmt.Fprintln(r.out, "stopping the system ...")
			}
			lr.c.Stop("interrupted")
			<-lr.ended
			r.con.flush(false)
		}
		if lr != nil {
			lr.tr.discard()
		}

		if r.p != nil {
			r.p.Close()
		}
	})
}
