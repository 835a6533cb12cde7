package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"sync"

	"github.com/mattn/go-isatty"

	"mutexlab/runtime/cluster"
	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
)

// scenarioFlags are the flags that override a scenario's fields.
type scenarioFlags struct {
	rounds  int // -1: not given
	speed   float64
	scripts string
}

// maxRounds is the most rounds a flag may ask for; 0 is forever
// (README, "What mutexlab guarantees").
const maxRounds = 1_000_000_000

func (f *scenarioFlags) register(fs *flag.FlagSet) {
	f.rounds = -1
	intFlag(fs, &f.rounds, "rounds", 0, maxRounds, "rounds to run, 0 for forever (default: the scenario's)")
	fs.Func("speed", fmt.Sprintf("divide every sleep and interval by this, from %g to %g (default: the scenario's)", scenario.MinSpeed, scenario.MaxSpeed), func(v string) error {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || !(x >= scenario.MinSpeed && x <= scenario.MaxSpeed) {
			return badFlag(fs, "speed", fmt.Sprintf("a number from %g to %g", scenario.MinSpeed, scenario.MaxSpeed), v)
		}
		f.speed = x
		return nil
	})
	fs.StringVar(&f.scripts, "scripts", "", "folder searched first for algorithm and role scripts")
}

// intFlag registers an integer flag that takes only values from lo to hi:
// anything else is one line and exit status 2, never a silent default.
// *p keeps its value when the flag is not given.
func intFlag(fs *flag.FlagSet, p *int, name string, lo, hi int, usage string) {
	fs.Func(name, usage, func(v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < int64(lo) || n > int64(hi) {
			return badFlag(fs, name, fmt.Sprintf("an integer from %d to %d", lo, hi), v)
		}
		*p = int(n)
		return nil
	})
}

// badFlags holds, per flag set, the first value out of its flag's range,
// said the way a bad scenario field is ("--speed: expected a number
// from 0.001 to 1e+06, got 0"); parseFlags returns it.
var badFlags sync.Map // *flag.FlagSet -> error

func badFlag(fs *flag.FlagSet, name, want, got string) error {
	badFlags.LoadOrStore(fs, fmt.Errorf("--%s: expected %s, got %s", name, want, strconv.Quote(got)))
	return nil
}

// load resolves the scenario argument (a file, an embedded name, or ""
// for the seed), applies the flags and validates the result.
func (f *scenarioFlags) load(arg string) (*scenario.Scenario, error) {
	s, err := scenario.Resolve(arg)
	if err != nil {
		return nil, err
	}
	if f.rounds >= 0 {
		s.Rounds = f.rounds
	}
	if f.speed != 0 {
		s.Speed = f.speed
	}
	if f.scripts != "" {
		st, err := os.Stat(f.scripts)
		if err != nil || !st.IsDir() {
			return nil, usageErr("--scripts %s: expected a folder of Lua scripts", f.scripts)
		}
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// parseScenarioArgs parses a command's flags and its one optional
// SCENARIO argument.
func parseScenarioArgs(fs *flag.FlagSet, args []string) (string, error) {
	pos, err := parseFlags(fs, args)
	if err != nil {
		return "", err
	}
	return scenarioArg(pos)
}

// seedFlag registers --seed: the first schedule's seed, set tells whether
// it was given (the default is the scenario's).
func seedFlag(fs *flag.FlagSet, seed *int64, set *bool) {
	fs.Func("seed", "seed of the first schedule; schedule i runs with seed+i (default: the scenario's seed)", func(v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return errors.New("expected an integer")
		}
		*seed, *set = n, true
		return nil
	})
}

// scenarioArg returns the one optional SCENARIO argument ("" for the seed).
func scenarioArg(pos []string) (string, error) {
	switch len(pos) {
	case 0:
		return "", nil
	case 1:
		return pos[0], nil
	}
	return "", usageErr("expected at most one scenario, got %d arguments", len(pos))
}

func (f *scenarioFlags) dirs() []string {
	if f.scripts == "" {
		return nil
	}
	return []string{f.scripts}
}

// classify maps an error to the exit statuses (README, "Run the seed").
func classify(err error) error {
	if err == nil {
		return nil
	}
	var ee *exitError
	var se *scenario.Error
	var script *node.ScriptError
	var rt *cluster.RuntimeError
	switch {
	case errors.As(err, &ee):
		return err
	case errors.As(err, &se), errors.As(err, &script):
		return &exitError{code: exitUsage, msg: err.Error()}
	case errors.As(err, &rt):
		return &exitError{code: exitRuntime, msg: err.Error()}
	}
	return &exitError{code: exitRuntime, msg: err.Error()}
}

// colorOut reports whether stdout gets colors: a terminal, and no NO_COLOR.
func colorOut() bool {
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		return false
	}
	return isatty.IsTerminal(os.Stdout.Fd())
}
