package repl

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fatih/color"

	"mutexlab/algorithms"
	"mutexlab/runtime/cluster"
	"mutexlab/runtime/node"
	"mutexlab/runtime/runview"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
)

// runOptions are run's flags; restart repeats them.
type runOptions struct {
	rounds int     // -1: the session's
	speed  float64 // 0: the session's
	hold   bool
	trace  string
}

// load resolves and validates a scenario and makes it the session's.
func (r *repl) load(arg string) error {
	s, err := scenario.Resolve(arg)
	if err != nil {
		return err
	}
	r.arg, r.base = arg, s
	return nil
}

// effective is the scenario the next run uses: the loaded one with the
// session's overrides and the run's flags.
func (r *repl) effective(o runOptions) (*scenario.Scenario, error) {
	s := *r.base
	s.Groups = slices.Clone(r.base.Groups)
	for g, a := range r.over.algos {
		if g == "token" {
			s.Token = a
			continue
		}
		for i := range s.Groups {
			if s.Groups[i].ID == g {
				s.Groups[i].Algorithm = a
			}
		}
	}
	if r.over.rounds >= 0 {
		s.Rounds = r.over.rounds
	}
	if r.over.speed != 0 {
		s.Speed = r.over.speed
	}
	if o.rounds >= 0 {
		s.Rounds = o.rounds
	}
	if o.speed != 0 {
		s.Speed = o.speed
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// library finds the scripts a run of s uses, as its nodes will.
func (r *repl) library(s *scenario.Scenario) *node.Library {
	return node.NewLibrary(append(slices.Clone(r.scripts), s.Dir)...)
}

// compileScripts compiles every script a run of s needs, so that a syntax
// error is one line here rather than a failed launch.
func (r *repl) compileScripts(s *scenario.Scenario) error {
	lib := r.library(s)
	for _, name := range append(s.Algorithms(), "heavyweight", "lightweight") {
		if _, _, err := lib.Compile(name); err != nil {
			return err
		}
	}
	return nil
}

// launch starts a run. It follows the screen when the run is in the
// foreground: always at a terminal (until Ctrl-C), and in a script when
// the run has a number of rounds (until it ends).
func (r *repl) launch(ctx context.Context, o runOptions) error {
	s, err := r.effective(o)
	if err != nil {
		return err
	}
	if err := r.compileScripts(s); err != nil {
		return err
	}
	tf, err := runview.CreateTrace(o.trace, s.Name)
	if err != nil {
		return fmt.Errorf("--trace: %v", err)
	}
	if r.cur != nil {
		r.cur.tr.discard() // the last run's temporary trace; its views go with it
	}
	lr := &liveRun{scen: s, ids: s.NodeIDs(), tr: newLiveTrace(tf, s, r.version), path: o.trace,
		ended: make(chan struct{}), stalled: make(chan struct{})}
	r.con.setNodes(lr.ids)
	lr.begin = time.Now()
	c, err := cluster.Start(cluster.Options{
		Scenario: s, ScenarioArg: r.arg, ScriptDirs: r.scripts, Binary: r.binary, Version: r.version,
		HoldLinks: o.hold, Trace: tf.File,
		OnEvent:  func(e trace.Event) { r.onEvent(lr, e) },
		OnScreen: r.con.nodeLine,
		// Nodes write only errors to stderr: news, never hidden.
		OnStderr: func(id, line string) { r.con.notice(line) },
		// A stall freezes the system: every node paused, kept for status,
		// inspect, pending, diagram and timeline until `stop`.
		FreezeOnStall: true,
		OnStall: func(_ *cluster.Cluster, st *trace.Stall) {
			lr.stall = st
			close(lr.stalled)
			r.con.notice(r.con.style("the run stalled: "+st.String(), color.FgRed, color.Bold) + "\n" +
				"the system is frozen (every node paused, its state kept): status, inspect, pending, diagram and timeline look at it; `stop` ends it")
		},
	})
	if err != nil {
		tf.Discard()
		return err
	}
	lr.c, lr.tr.c = c, c
	r.mu.Lock()
	r.cur = lr
	r.mu.Unlock()
	go r.watch(lr)

	rounds := "forever"
	if s.Rounds > 0 {
		rounds = fmt.Sprintf("%d round(s)", s.Rounds)
	}
	fmt.Fprintf(r.out, "started %s: %d processes, %s, speed %g\n", s.Name, len(lr.ids), rounds, s.Speed)
	if o.hold {
		fmt.Fprintln(r.out, "every link is held: `pending` lists what waits, `deliver LINK` steps, `release all` lets go")
		return nil
	}
	if !r.interactive && s.Rounds == 0 {
		return nil
	}
	return r.follow(ctx, lr, 0)
}

// follow shows the screen until Ctrl-C (ctx), the end of the run, or d
// when d > 0. In a script, a run that ends badly fails the command.
func (r *repl) follow(ctx context.Context, lr *liveRun, d time.Duration) error {
	if r.interactive {
		fmt.Fprintln(r.out, r.con.style("following the screen; Ctrl-C returns to the prompt", color.Faint))
	}
	r.con.follow(true)
	defer r.con.follow(false)
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-ctx.Done():
		if r.interactive {
			fmt.Fprintln(r.out, r.con.style("\nback at the prompt; the system keeps running (`follow` to watch, `stop` to stop it)", color.Faint))
		}
		return nil
	case <-timeout:
		return nil
	case <-lr.ended:
	case <-lr.stalled:
		if !r.interactive {
			return errQuiet{"the run stalled: " + lr.stall.String() + " (frozen for inspection; `stop` ends it)"}
		}
		return nil
	}
	if r.interactive {
		return nil
	}
	lr.mu.Lock()
	out := lr.outcome
	lr.mu.Unlock()
	switch {
	case out.Failed != "":
		return errQuiet{"the run failed: " + out.Err}
	case out.Stalled:
		return errQuiet{"the run stalled: " + out.WaitFor}
	}
	return nil
}

// stop stops the running system and waits until its summary is posted.
// A frozen stall ends as what it was: stalled.
func (r *repl) stop() {
	reason := "interrupted"
	if r.cur.c.Frozen() {
		reason = "stalled"
	}
	r.cur.c.Stop(reason)
	<-r.cur.ended
}

func cmdLoad(r *repl, _ context.Context, a cmdArgs) error {
	c := lookup("load")
	if len(a.args) != 1 {
		return c.usageErr("want one scenario")
	}
	if r.running() {
		return errors.New("a system is running; stop it first")
	}
	if err := r.load(a.args[0]); err != nil {
		return err
	}
	r.over = overrides{rounds: -1}
	r.last = nil
	s := r.base
	fmt.Fprintf(r.out, "loaded %s: %d processes (%s), %s\n", s.Name, len(s.NodeIDs()), strings.Join(s.NodeIDs(), " "), describeAlgorithms(s))
	return nil
}

func describeAlgorithms(s *scenario.Scenario) string {
	parts := []string{"token ring " + s.Token}
	for _, g := range s.Groups {
		parts = append(parts, g.ID+" "+g.Algorithm)
	}
	return strings.Join(parts, ", ")
}

// parseRunFlags reads run's flags.
func parseRunFlags(args []string) (runOptions, error) {
	c := lookup("run")
	o := runOptions{rounds: -1}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.IntVar(&o.rounds, "rounds", -1, "")
	fs.Float64Var(&o.speed, "speed", 0, "")
	fs.BoolVar(&o.hold, "hold", false, "")
	fs.StringVar(&o.trace, "trace", "", "")
	if err := fs.Parse(args); err != nil {
		return o, c.usageErr("%v", err)
	}
	if fs.NArg() > 0 {
		return o, c.usageErr("unexpected %q; load a scenario with load", fs.Arg(0))
	}
	if fs.Lookup("rounds").Value.String() != "-1" && o.rounds < 0 {
		return o, c.usageErr("--rounds %d: want 0 (forever) or more", o.rounds)
	}
	if o.speed < 0 || math.IsNaN(o.speed) || math.IsInf(o.speed, 0) {
		return o, c.usageErr("--speed %g: want a number > 0", o.speed)
	}
	return o, nil
}

func cmdRun(r *repl, ctx context.Context, a cmdArgs) error {
	o, err := parseRunFlags(a.args)
	if err != nil {
		return err
	}
	if r.running() {
		return errors.New("the system is already running; `stop` or `restart` it")
	}
	r.last = &o
	return r.launch(ctx, o)
}

func cmdFollow(r *repl, ctx context.Context, a cmdArgs) error {
	var d time.Duration
	if len(a.args) > 1 {
		return lookup("follow").usageErr("want at most one duration")
	}
	if len(a.args) == 1 {
		s, err := parseDuration(a.args[0])
		if err != nil {
			return err
		}
		d = time.Duration(s * float64(time.Second))
	}
	return r.follow(ctx, r.cur, d)
}

// parseDuration reads "2", "0.5" (seconds) or a Go duration ("500ms").
func parseDuration(s string) (float64, error) {
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return d.Seconds(), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) {
		return 0, fmt.Errorf("duration %q: want seconds (0.5) or a Go duration (500ms)", s)
	}
	return f, nil
}

func cmdStop(r *repl, _ context.Context, a cmdArgs) error {
	if len(a.args) > 0 {
		return lookup("stop").usageErr("stop takes no arguments")
	}
	r.stop()
	return nil
}

func cmdRestart(r *repl, ctx context.Context, a cmdArgs) error {
	if len(a.args) > 0 {
		return lookup("restart").usageErr("restart takes no arguments")
	}
	if r.last == nil {
		return errors.New("nothing to restart yet; `run` starts the system")
	}
	if r.running() {
		r.stop()
		r.con.flush(false)
	}
	return r.launch(ctx, *r.last)
}

func cmdSpeed(r *repl, _ context.Context, a cmdArgs) error {
	c := lookup("speed")
	if len(a.args) != 1 {
		return c.usageErr("want one number")
	}
	x, err := strconv.ParseFloat(a.args[0], 64)
	if err != nil || !(x > 0) || math.IsInf(x, 0) {
		return c.usageErr("%q: want a number > 0", a.args[0])
	}
	r.over.speed = x
	if r.last != nil {
		r.last.speed = 0
	}
	if r.running() {
		fmt.Fprintf(r.out, "speed %g from the next run; `restart` applies it now\n", x)
		return nil
	}
	fmt.Fprintf(r.out, "speed %g\n", x)
	return nil
}

func cmdReload(r *repl, ctx context.Context, a cmdArgs) error {
	if len(a.args) > 0 {
		return lookup("reload").usageErr("reload takes no arguments")
	}
	s, err := scenario.Resolve(r.arg)
	if err != nil {
		return err
	}
	old := r.base
	r.base = s
	eff, err := r.effective(runOptions{rounds: -1})
	if err == nil {
		err = r.compileScripts(eff)
	}
	if err != nil {
		r.base = old
		return err
	}
	fmt.Fprintf(r.out, "reloaded %s (%s)\n", s.Name, describeAlgorithms(eff))
	if !r.running() {
		return nil
	}
	r.stop()
	r.con.flush(false)
	o := runOptions{rounds: -1}
	if r.last != nil {
		o = *r.last
	}
	return r.launch(ctx, o)
}

func cmdAlgorithm(r *repl, _ context.Context, a cmdArgs) error {
	c := lookup("algorithm")
	switch len(a.args) {
	case 0:
		s, err := r.effective(runOptions{rounds: -1})
		if err != nil {
			return err
		}
		fmt.Fprintf(r.out, "token ring  %s\n", s.Token)
		for _, g := range s.Groups {
			fmt.Fprintf(r.out, "group %s     %s\n", g.ID, g.Algorithm)
		}
		fmt.Fprintf(r.out, "available   %s\n", strings.Join(r.algorithmNames(), " "))
		return nil
	case 2:
	default:
		return c.usageErr("want a group and an algorithm, or nothing")
	}
	group, algo := a.args[0], a.args[1]
	if group != "token" && !slices.ContainsFunc(r.base.Groups, func(g scenario.Group) bool { return g.ID == group }) {
		var ids []string
		for _, g := range r.base.Groups {
			ids = append(ids, g.ID)
		}
		return fmt.Errorf("no group %q (groups: %s, or token)", group, strings.Join(ids, " "))
	}
	if _, _, err := r.library(r.base).Compile(algo); err != nil {
		return err
	}
	if r.over.algos == nil {
		r.over.algos = map[string]string{}
	}
	r.over.algos[group] = algo
	who := "group " + group
	if group == "token" {
		who = "the token ring"
	}
	if r.running() {
		fmt.Fprintf(r.out, "%s uses %s from the next run; `restart` applies it now\n", who, algo)
	} else {
		fmt.Fprintf(r.out, "%s uses %s\n", who, algo)
	}
	return nil
}

// algorithmNames lists the algorithm modules the session can use: the
// shipped ones and the .lua files of --scripts and the scenario's folder.
func (r *repl) algorithmNames() []string {
	set := map[string]bool{}
	if files, err := fs.Glob(algorithms.FS, "*.lua"); err == nil {
		for _, f := range files {
			set[strings.TrimSuffix(f, ".lua")] = true
		}
	}
	dirs := slices.Clone(r.scripts)
	if r.base != nil && r.base.Dir != "" {
		dirs = append(dirs, r.base.Dir)
	}
	for _, d := range dirs {
		for _, sub := range []string{"", "algorithms"} {
			files, _ := filepath.Glob(filepath.Join(d, sub, "*.lua"))
			for _, f := range files {
				name := strings.TrimSuffix(filepath.Base(f), ".lua")
				if name == "heavyweight" || name == "lightweight" {
					continue
				}
				if !isScenarioFile(f) {
					set[name] = true
				}
			}
		}
	}
	names := slices.Collect(maps.Keys(set))
	sort.Strings(names)
	return names
}

// isScenarioFile tells a scenario from an algorithm module beside it,
// cheaply, for completion: a scenario names its groups.
func isScenarioFile(path string) bool {
	b, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(b), "groups")
}
