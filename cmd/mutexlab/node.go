package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"

	"mutexlab/runtime/cluster"
	"mutexlab/runtime/node"
)

func init() {
	c := &command{
		name:    "node",
		usage:   "node --id ID [SCENARIO]",
		summary: "run one process of the system (what the launcher starts; also by hand, one per terminal)",
	}
	c.run = func(args []string) error {
		fs := newFlags(c)
		id := fs.String("id", "", "the node to run, e.g. A1")
		tracePath := fs.String("trace", "", "by hand: write this node's own trace to FILE")
		var sf scenarioFlags
		sf.register(fs)
		pos, err := parseFlags(fs, args)
		if err != nil {
			return err
		}
		if *id == "" {
			return usageErr("--id is required, e.g. mutexlab node --id A1 seed")
		}
		arg, err := scenarioArg(pos)
		if err != nil {
			return err
		}
		opts := cluster.NodeOptions{ID: *id, TracePath: *tracePath, Stdout: os.Stdout, Stderr: os.Stderr,
			Version: Version, ScriptDirs: sf.dirs()}
		if !cluster.Launched() {
			if opts.Scenario, err = sf.load(arg); err != nil {
				return classify(err)
			}
			if _, ok := opts.Scenario.Find(*id); !ok {
				return usageErr("--id %s: no such node in scenario %s (nodes: %s)", *id, opts.Scenario.Name, strings.Join(opts.Scenario.NodeIDs(), " "))
			}
		}
		ctx, cancel := context.WithCancelCause(context.Background())
		defer cancel(nil)
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(sigs)
		go func() {
			if _, ok := <-sigs; ok {
				cancel(errors.New("interrupted"))
			}
		}()
		stopProfile := profileNode(*id)
		err = cluster.RunNode(ctx, opts)
		stopProfile()
		var se *node.ScriptError
		if cluster.Launched() && errors.As(err, &se) {
			// The launcher reports it from the trace, once.
			return &exitError{code: exitUsage}
		}
		return classify(err)
	}
	register(c)
}

// profileNode writes the node's CPU profile to $MUTEXLAB_NODE_PROFILE/ID.pprof
// when that variable names a folder: how the runtime's time in node
// processes is found (README, Performance). It returns the stop.
func profileNode(id string) func() {
	dir := os.Getenv("MUTEXLAB_NODE_PROFILE")
	if dir == "" {
		return func() {}
	}
	f, err := os.Create(filepath.Join(dir, id+".pprof"))
	if err != nil {
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
