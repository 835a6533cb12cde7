// Command mutexlab is a lab for distributed mutual exclusion and logical
// clocks: it runs Lua algorithms as real OS processes over TCP, records
// every run as a trace, checks it, draws it, and explores schedules in a
// deterministic simulator.
//
// Every subcommand lives in a file of its own and registers itself in the
// command table with register; main only dispatches.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"

	"mutexlab/runtime/scenario"
)

// Exit statuses (README, "Run the seed").
const (
	exitOK      = 0 // success
	exitCheck   = 1 // a check failed
	exitUsage   = 2 // bad usage, scenario or script
	exitRuntime = 3 // a runtime failure: a process died, a port in use
)

// command is one subcommand.
type command struct {
	name    string
	usage   string // "run [SCENARIO] [flags]"
	summary string // one line
	run     func(args []string) error
	hidden  bool
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

// exitError carries an exit status and a one-line message.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func usageErr(format string, a ...any) error {
	return &exitError{code: exitUsage, msg: fmt.Sprintf(format, a...)}
}

func runtimeErr(format string, a ...any) error {
	return &exitError{code: exitRuntime, msg: fmt.Sprintf(format, a...)}
}

// checkFailed is returned by commands whose checks failed; the report has
// been printed already.
var checkFailed = &exitError{code: exitCheck}

// newFlags returns a FlagSet for a subcommand: -h prints its usage on
// stdout; a bad flag is one line on stderr (parseFlags).
func newFlags(c *command) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(os.Stdout, "usage: mutexlab %s\n\n%s\n", c.usage, c.summary)
		if hasFlags(fs) {
			fmt.Fprintln(os.Stdout, "\nflags:")
			fs.SetOutput(os.Stdout)
			fs.PrintDefaults()
			fs.SetOutput(io.Discard)
		}
	}
	return fs
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// parseFlags parses args and lets flags follow positional arguments
// ("run seed.lua --rounds 2"). It returns the positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	// The flag package prints the usage on any error; only -h should.
	usage := fs.Usage
	fs.Usage = func() {}
	defer func() { fs.Usage = usage }()
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				usage()
				return nil, &exitError{code: exitOK}
			}
			return nil, usageErr("%v (see 'mutexlab %s -h')", err, fs.Name())
		}
		if bad, ok := badFlags.LoadAndDelete(fs); ok {
			return nil, usageErr("%v (see 'mutexlab %s -h')", bad, fs.Name())
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "mutexlab: a lab for distributed mutual exclusion and logical clocks")
	fmt.Fprintln(w, "\nusage: mutexlab [COMMAND] [ARGS]   (no command: the interactive REPL)")
	fmt.Fprintln(w, "\ncommands:")
	var names []string
	for n, c := range commands {
		if !c.hidden {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	width := 0
	for _, n := range names {
		width = max(width, len(commands[n].usage))
	}
	for _, n := range names {
		c := commands[n]
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.usage, c.summary)
	}
	fmt.Fprintln(w, "\n'mutexlab COMMAND -h' shows a command's flags.")
	fmt.Fprintln(w, "exit status: 0 success, 1 a check failed, 2 bad usage/scenario/script, 3 runtime failure")
}

// subcommandNames lists the commands a typo is matched against, sorted.
func subcommandNames() []string {
	var names []string
	for n, c := range commands {
		if !c.hidden {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

func main() {
	// No Go stack trace reaches a user (README, "What mutexlab
	// guarantees"): a panic that escapes anyway prints its message only,
	// unless GOTRACEBACK asks for more.
	if os.Getenv("GOTRACEBACK") == "" {
		debug.SetTraceback("none")
	}
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	name := "repl"
	if len(args) > 0 {
		name = args[0]
		args = args[1:]
	}
	switch name {
	case "-h", "--help", "help":
		printUsage(os.Stdout)
		return exitOK
	case "-version", "--version", "version":
		fmt.Println("mutexlab", Version)
		return exitOK
	}
	c, ok := commands[name]
	if !ok {
		if strings.HasPrefix(name, "-") {
			fmt.Fprintf(os.Stderr, "mutexlab: flag %s needs a command first; see 'mutexlab help'\n", name)
		} else if hint := scenario.Suggest(name, subcommandNames()); hint != "" {
			fmt.Fprintf(os.Stderr, "mutexlab: unknown command %q; did you mean %s? (see 'mutexlab help')\n", name, hint)
		} else {
			fmt.Fprintf(os.Stderr, "mutexlab: unknown command %q; see 'mutexlab help'\n", name)
		}
		return exitUsage
	}
	err := guarded(c, args)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(os.Stderr, "mutexlab %s: %s\n", name, ee.msg)
		}
		return ee.code
	}
	fmt.Fprintf(os.Stderr, "mutexlab %s: %v\n", name, err)
	return exitRuntime
}

// guarded runs a command; a panic (a bug of mutexlab, never of a script:
// Lua errors are values) becomes one line and exit status 3.
func guarded(c *command, args []string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = runtimeErr("internal error: %v (a bug of mutexlab; GOTRACEBACK=all shows where)", r)
		}
	}()
	return c.run(args)
}

// Version is the version written into traces.
var Version = "0.1.0-dev"
