package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"

	"mutexlab/runtime/node"
	"mutexlab/runtime/repl"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/sim"
	"mutexlab/runtime/trace"
)

func init() {
	c := &command{
		name:    "debug",
		usage:   "debug [SCENARIO|TRACE]",
		summary: "step a simulated run forward and back, look inside every node, branch; reads a script from a pipe",
	}
	c.run = func(args []string) error { return runDebug(c, args) }
	register(c)
}

func runDebug(c *command, args []string) error {
	fs := newFlags(c)
	var sf scenarioFlags
	sf.register(fs)
	var seed int64
	var seedSet bool
	fs.Func("seed", "the schedule's seed, as explore --runs 1 --seed takes it (default: the scenario's seed)", func(v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return errors.New("expected an integer")
		}
		seed, seedSet = n, true
		return nil
	})
	scen := fs.String("scenario", "", "with a TRACE: the scenario it ran (default: rebuilt from the trace's header)")
	maxSteps := fs.Int("max-steps", 0, fmt.Sprintf("steps after which the run counts as a livelock (default %d per round)", sim.DefaultMaxSteps))
	state := fs.Bool("state", false, "record each node's algorithm state on every event, for the diagram's state panel")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	arg, err := scenarioArg(pos)
	if err != nil {
		return err
	}
	if *maxSteps < 0 {
		return usageErr("--max-steps takes a number >= 0")
	}
	var o repl.DebugOptions
	if isTraceFile(arg) {
		if seedSet || sf.rounds >= 0 || sf.speed != 0 {
			return usageErr("--seed, --rounds and --speed are the recording's; a TRACE takes --scenario and --scripts")
		}
		o, err = debugTrace(arg, *scen, &sf, *maxSteps, *state)
	} else {
		if *scen != "" {
			return usageErr("--scenario goes with a TRACE; name the scenario as the argument")
		}
		o, err = debugScenario(arg, &sf, seed, seedSet, *maxSteps, *state)
	}
	if err != nil {
		return err
	}
	o.Version, o.Color, o.Scripts = Version, colorOut(), sf.dirs()
	if code := repl.Debug(o); code != exitOK {
		return &exitError{code: code}
	}
	return nil
}

// debugScenario opens the run of a scenario and seed: the schedule
// explore runs for that seed.
func debugScenario(arg string, sf *scenarioFlags, seed int64, seedSet bool, maxSteps int, state bool) (repl.DebugOptions, error) {
	s, err := sf.load(arg)
	if err != nil {
		return repl.DebugOptions{}, classify(err)
	}
	if s.Rounds == 0 {
		s.Rounds = 1 // a run to step through has to end
	}
	if !seedSet {
		seed = s.Seed
	}
	lib := node.NewLibrary(append(sf.dirs(), s.Dir)...)
	ss, err := sim.NewSession(sim.SessionOptions{Scenario: s, Lib: lib, Version: Version, Seed: seed,
		MaxSteps: maxSteps, State: state})
	if err != nil {
		return repl.DebugOptions{}, classify(err)
	}
	name := arg
	if name == "" {
		name = "seed"
	}
	return repl.DebugOptions{Session: ss, Origin: fmt.Sprintf("%s, seed %d, %s", name, seed, plural(s.Rounds, "round")),
		ScenarioArg: arg}, nil
}

// debugTrace opens a recorded run, replayed in the simulator.
func debugTrace(path, scen string, sf *scenarioFlags, maxSteps int, state bool) (repl.DebugOptions, error) {
	rec, err := trace.ReadFile(path)
	if err != nil {
		return repl.DebugOptions{}, usageErr("%v", err)
	}
	for _, w := range rec.Warnings {
		fmt.Fprintf(os.Stderr, "mutexlab debug: %s: warning: %s\n", path, w)
	}
	if sf.scripts != "" {
		if st, err := os.Stat(sf.scripts); err != nil || !st.IsDir() {
			return repl.DebugOptions{}, usageErr("--scripts %s: expected a folder of Lua scripts", sf.scripts)
		}
	}
	var s *scenario.Scenario
	if scen != "" {
		if s, err = scenario.Resolve(scen); err != nil {
			return repl.DebugOptions{}, classify(err)
		}
		s.Rounds = rec.Meta.Rounds
		if rec.Meta.Speed > 0 {
			s.Speed = rec.Meta.Speed
		}
	} else if s, err = sim.ScenarioFromMeta(rec.Meta); err != nil {
		return repl.DebugOptions{}, usageErr("%s: %v", path, err)
	}
	lib := node.NewLibrary(append(sf.dirs(), s.Dir)...)
	ss, res, err := sim.ReplaySession(rec, sim.ReplayOptions{Lib: lib, Scenario: s, Version: Version,
		MaxSteps: maxSteps, State: state})
	if err != nil {
		return repl.DebugOptions{}, classify(err)
	}
	mode := rec.Meta.Mode
	if mode == "" {
		mode = "recorded"
	}
	origin := fmt.Sprintf("%s, a %s run replayed, %d steps", path, mode, ss.Known())
	if d := res.Divergence; d != nil {
		fmt.Fprintf(os.Stderr, "mutexlab debug: the replay diverges at %s; from there on the run is the simulator's\n", d)
	}
	return repl.DebugOptions{Session: ss, Origin: origin, ScenarioArg: scen}, nil
}

// isTraceFile reports whether arg names a trace (a file whose first line
// is a trace's meta header) rather than a scenario.
func isTraceFile(arg string) bool {
	f, err := os.Open(arg)
	if err != nil {
		return false
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || st.IsDir() {
		return false
	}
	line, _ := bufio.NewReader(f).ReadBytes('\n')
	return bytes.HasPrefix(bytes.TrimSpace(line), []byte(`{"ev":"meta"`))
}
