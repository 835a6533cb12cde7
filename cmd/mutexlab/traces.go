package main

import (
	"fmt"
	"os"

	"mutexlab/runtime/trace"
)

// tracesArg is the trace a reading command (check, timeline, diagram) was
// given: one file, or several per-node traces of one run merged into a
// temporary file (nodes started by hand write each their own trace:
// README, "Nodes on several machines").
type tracesArg struct {
	path   string // the file to read: the one given, or the merged one
	merged bool
}

// openTraces indexes the trace(s) named on the command line. Several are
// merged by happened-before first (trace.MergeFiles); a subset of a run's
// nodes, two runs, or a node given twice is a usage error. Warnings go to
// standard error. Close the index, then call done (it removes a merged
// file unless keep is set).
func openTraces(cmd string, paths []string) (*trace.Index, *tracesArg, error) {
	ta := &tracesArg{path: paths[0]}
	if len(paths) > 1 {
		f, err := os.CreateTemp("", "mutexlab-merged-*.jsonl")
		if err != nil {
			return nil, nil, runtimeErr("merging the traces: %v", err)
		}
		warnings, err := trace.MergeFiles(paths, f)
		if cerr := f.Close(); err == nil && cerr != nil {
			err = runtimeErr("merging the traces: %v", cerr)
		}
		for _, w := range warnings {
			fmt.Fprintf(os.Stderr, "mutexlab %s: warning: %s\n", cmd, w)
		}
		if err != nil {
			os.Remove(f.Name())
			if _, ok := err.(*exitError); ok {
				return nil, nil, err
			}
			return nil, nil, usageErr("%v", err)
		}
		ta.path, ta.merged = f.Name(), true
	}
	ix, err := trace.OpenIndex(ta.path)
	if err != nil {
		ta.done(false)
		return nil, nil, usageErr("%v", err)
	}
	for _, w := range ix.Warnings {
		fmt.Fprintf(os.Stderr, "mutexlab %s: %s: warning: %s\n", cmd, ta.path, w)
	}
	return ix, ta, nil
}

// done removes a merged trace, unless keep.
func (ta *tracesArg) done(keep bool) {
	if ta.merged && !keep {
		os.Remove(ta.path)
	}
}
