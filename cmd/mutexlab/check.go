package main

import (
	"fmt"
	"os"

	"mutexlab/runtime/check"
)

func init() {
	c := &command{
		name:    "check",
		usage:   "check TRACE... [--json]",
		summary: "verify a recorded trace: mutual exclusion, screen, liveness, order, clocks, messages",
	}
	c.run = func(args []string) error { return runCheck(c, args) }
	register(c)
}

// runCheck reads a trace and prints the report: status 1 when a check
// fails, 2 when the trace cannot be read. The reader's warnings (a
// truncated last line) go to stderr.
func runCheck(c *command, args []string) error {
	fs := newFlags(c)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageErr("missing TRACE")
	}
	// Walked in time order, in memory bounded by what is concurrent in
	// the run rather than by its length (docs/trace.md, Reading). Several
	// traces (one per node started by hand) are merged first.
	ix, ta, err := openTraces("check", pos)
	if err != nil {
		return err
	}
	r, err := check.RunIndex(ix, check.Options{})
	// A failure's evidence cites lines of the merged trace: it is kept.
	defer func() { ix.Close(); ta.done(err == nil && r.Failed()) }()
	if err != nil {
		return usageErr("%s: %v", pos[0], err)
	}
	if ta.merged {
		fmt.Fprintf(os.Stderr, "mutexlab check: merged %d traces by happened-before", len(pos))
		if r.Failed() {
			fmt.Fprintf(os.Stderr, " into %s (kept: the evidence cites its lines)", ta.path)
		}
		fmt.Fprintln(os.Stderr)
	}
	r.TraceFile = ta.path
	if *asJSON {
		b, err := r.JSON()
		if err != nil {
			return err
		}
		os.Stdout.Write(b)
	} else {
		r.Print(os.Stdout, colorOut())
	}
	if r.Failed() {
		return checkFailed
	}
	return nil
}
