//go:generate go test . -run TestFaultTable -args -update-fault-table

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"

	"mutexlab/runtime/check"
	"mutexlab/runtime/runview"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/sim"
	"mutexlab/runtime/trace"
)

func init() {
	c := &command{
		name:    "explore",
		usage:   "explore [SCENARIO]",
		summary: "run many simulated schedules, check each, stop at the first failure and save it",
	}
	c.run = func(args []string) error {
		fs := newFlags(c)
		var sf scenarioFlags
		sf.register(fs)
		var xf exploreFlags
		xf.register(fs)
		arg, err := parseScenarioArgs(fs, args)
		if err != nil {
			return err
		}
		s, err := sf.load(arg)
		if err != nil {
			return classify(err)
		}
		xf.scenarioArg, xf.scripts, xf.speedSet = arg, sf.scripts, sf.speed != 0
		xf.color = colorOut()
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return runExplore(ctx, os.Stdout, s, sf.dirs(), &xf)
	}
	register(c)
}

// replExplore is the REPL's explore (repl.Options.Explore): it runs on the
// scenario the REPL has loaded.
func replExplore(ctx context.Context, w io.Writer, s *scenario.Scenario, dirs []string, args []string) error {
	fs := flag.NewFlagSet("explore", flag.ContinueOnError)
	fs.SetOutput(w)
	var xf exploreFlags
	xf.register(fs)
	rounds := new(int)
	*rounds = -1
	intFlag(fs, rounds, "rounds", 0, maxRounds, "rounds per schedule (default: the scenario's, 1 if it runs forever)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		var ee *exitError
		if errors.As(err, &ee) && ee.code == exitOK {
			return nil
		}
		return errors.New("usage: explore [--runs N] [--seed S] [--rounds R] [--exhaustive] [--faults N [--fault-kind K]] [--out DIR] [--trace FILE]")
	}
	if len(pos) > 0 {
		return fmt.Errorf("explore takes flags only, not %q (it explores the loaded scenario)", pos[0])
	}
	sc := *s
	if *rounds >= 0 {
		sc.Rounds = *rounds
	}
	xf.scenarioArg = scenarioArgOf(s)
	if len(dirs) > 0 {
		xf.scripts = dirs[0]
	}
	err = runExplore(ctx, w, &sc, dirs, &xf)
	if errors.Is(err, checkFailed) {
		return nil // the report says it
	}
	return err
}

// exploreFlags are explore's own flags.
type exploreFlags struct {
	runs       int
	seed       int64
	seedSet    bool
	out        string
	tracePath  string
	exhaustive bool
	lag        bool
	maxSteps   int
	workers    int
	asJSON     bool
	noShrink   bool
	state      bool     // record the nodes' algorithm state on every event
	color      bool     // the report in colors
	algorithm  string   // every group's lightweights run it
	faults     int      // up to this many faults chosen per schedule
	faultKinds string   // as given: "crash,loss"
	kinds      []string // faultKinds parsed
	faultNodes string   // as given: "A1,A2,A3"
	only       []string // faultNodes parsed

	// For the replay command line.
	scenarioArg string
	scripts     string
	speedSet    bool
}

func (f *exploreFlags) register(fs *flag.FlagSet) {
	intFlag(fs, &f.runs, "runs", 1, maxRuns, fmt.Sprintf("schedules to run (default %d); with --exhaustive, the most to cover (default %d)", sim.DefaultRuns, sim.DefaultExhaustiveRuns))
	seedFlag(fs, &f.seed, &f.seedSet)
	fs.StringVar(&f.out, "out", "explore-out", "folder for the failing schedule's trace and diagram")
	fs.StringVar(&f.tracePath, "trace", "", "also write the failing schedule's trace to `FILE` (with --runs 1: the schedule's trace, failing or not)")
	fs.BoolVar(&f.exhaustive, "exhaustive", false, "enumerate the distinct schedules depth first instead of sampling (tiny systems: 2-3 lightweights, 1 round)")
	fs.BoolVar(&f.lag, "lag", false, "let messages be overtaken by later timers, as if the network delayed them arbitrarily")
	intFlag(fs, &f.maxSteps, "max-steps", 1, maxRuns, fmt.Sprintf("steps after which a schedule counts as a livelock (default %d per round)", sim.DefaultMaxSteps))
	intFlag(fs, &f.workers, "workers", 1, 1024, "schedules run in parallel (default: the number of CPUs); the result does not depend on it")
	fs.BoolVar(&f.asJSON, "json", false, "print the result as JSON")
	fs.BoolVar(&f.noShrink, "no-shrink", false, "save the first failing schedule only, without looking for a shorter one")
	fs.BoolVar(&f.state, "state", false, "record each node's algorithm state on every event, for the diagram's state panel (slower)")
	fs.StringVar(&f.algorithm, "algorithm", "", "every group's lightweights run this `ALGORITHM` (lamport, maekawa, ...) instead of the scenario's")
	intFlag(fs, &f.faults, "faults", 0, maxFaults, "each schedule also chooses 1 to `N` faults from its seed: a node's crash right after one of its events, a lost or a duplicated message (the failing schedule names them; its seed repeats them)")
	fs.StringVar(&f.faultNodes, "fault-nodes", "", "with --faults, the only `NODES` faults fall on, comma-separated: their crashes, the links between two of them (default: every node and link)")
	fs.StringVar(&f.faultKinds, "fault-kind", "", "with --faults, the `KINDS` to choose from, comma-separated: "+strings.Join(sim.PointKinds, ", ")+" (default all)")
}

// moduleName is what --algorithm takes: a Lua module's name.
var moduleName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// maxFaults is the most faults --faults may choose per schedule.
const maxFaults = 100

// maxRuns is the most schedules (or livelock steps) a flag may ask for.
const maxRuns = 1_000_000_000

// scenarioArgOf names a loaded scenario the way the command line would.
func scenarioArgOf(s *scenario.Scenario) string {
	if name, ok := strings.CutPrefix(s.File, "embedded:"); ok {
		return strings.TrimSuffix(strings.TrimSuffix(name, ".lua"), "/scenario")
	}
	return s.File
}

// exploreReport is the --json document.
type exploreReport struct {
	Scenario string             `json:"scenario"`
	Rounds   int                `json:"rounds"`
	Seed     int64              `json:"seed"`
	Result   *sim.ExploreResult `json:"result"`
	Trace    string             `json:"trace,omitempty"`
	HTML     string             `json:"html,omitempty"`
	Replay   string             `json:"replay,omitempty"`
	// Shortest is the shortest failing schedule shrinking found.
	Shortest *shortestReport `json:"shortest,omitempty"`
}

// shortestReport is the shrunk counterexample of the --json document.
type shortestReport struct {
	Size sim.Size `json:"size"`
	// System says how the scenario was made smaller: "1 round,
	// lightweights A 1 B 2, 1 line per critical section".
	System string        `json:"system"`
	Cut    bool          `json:"cut"` // stopped right after the failure showed
	Runs   int           `json:"runs"`
	Checks *check.Report `json:"checks"`
	Trace  string        `json:"trace"`
	HTML   string        `json:"html,omitempty"`
	Replay string        `json:"replay"`
}

func runExplore(ctx context.Context, w io.Writer, s *scenario.Scenario, dirs []string, xf *exploreFlags) error {
	if s.Rounds == 0 {
		s.Rounds = 1 // a schedule has to end
	}
	if xf.algorithm != "" {
		if !moduleName.MatchString(xf.algorithm) {
			return usageErr("--algorithm %q: expected a Lua module name like \"lamport\"", xf.algorithm)
		}
		s = withAlgorithm(s, xf.algorithm)
	}
	if !xf.seedSet {
		xf.seed = s.Seed
	}
	if xf.runs < 0 || xf.maxSteps < 0 || xf.workers < 0 {
		return usageErr("--runs, --max-steps and --workers take a number >= 0")
	}
	xf.kinds = nil
	if xf.faultKinds != "" {
		if xf.faults == 0 {
			return usageErr("--fault-kind %s: give --faults N too (how many faults a schedule chooses)", xf.faultKinds)
		}
		for _, k := range strings.Split(xf.faultKinds, ",") {
			if k = strings.TrimSpace(k); k != "" && !slices.Contains(xf.kinds, k) {
				xf.kinds = append(xf.kinds, k)
			}
		}
		if err := sim.CheckPointKinds(xf.kinds); err != nil {
			return usageErr("--fault-kind: %v", err)
		}
	}
	xf.only = nil
	if xf.faultNodes != "" {
		if xf.faults == 0 {
			return usageErr("--fault-nodes %s: give --faults N too (how many faults a schedule chooses)", xf.faultNodes)
		}
		ids := s.NodeIDs()
		for _, id := range strings.Split(xf.faultNodes, ",") {
			if id = strings.TrimSpace(id); id == "" || slices.Contains(xf.only, id) {
				continue
			}
			if !slices.Contains(ids, id) {
				return usageErr("--fault-nodes: no node %q (nodes: %s)", id, strings.Join(ids, " "))
			}
			xf.only = append(xf.only, id)
		}
	}
	// The heap stays small (a few MB per worker) and is mostly garbage
	// from finished schedules: collecting less often is worth ~25%.
	defer debug.SetGCPercent(debug.SetGCPercent(400))

	lib, scripts, err := preflight(s, dirs)
	if err != nil {
		return err
	}
	single := xf.runs == 1 && !xf.exhaustive
	var kept *trace.Trace
	opts := sim.ExploreOptions{Scenario: s, Lib: lib, Version: Version, Runs: xf.runs, Seed: xf.seed,
		Exhaustive: xf.exhaustive, MaxSteps: xf.maxSteps, Lag: xf.lag, Workers: xf.workers, State: xf.state,
		Faults: xf.faults, FaultKinds: xf.kinds, FaultNodes: xf.only,
		Judge: func(t *trace.Trace) *check.Report {
			if single {
				kept = &trace.Trace{Meta: t.Meta, Events: append([]trace.Event(nil), t.Events...)}
			}
			return check.Run(t, check.Options{})
		}}
	bar := newProgressBar(os.Stderr)
	opts.Progress = bar.update
	if !xf.asJSON {
		fmt.Fprintln(w, exploreHeader(s, xf))
		printOrigins(w, s, scripts, "explore")
	}
	res, err := sim.Explore(ctx, opts)
	bar.clear()
	if err != nil {
		return classify(err)
	}
	doc := exploreReport{Scenario: s.Name, Rounds: s.Rounds, Seed: xf.seed, Result: res}
	f := res.Failure
	if f != nil {
		kept = f.Trace
	}
	var writeErr error
	var short *sim.Shrunk
	if f != nil {
		base := filepath.Join(xf.out, failureName(s, xf, f))
		doc.Trace, doc.HTML, writeErr = saveFailure(base, f)
		doc.Replay = replayCommand(s, xf, f, doc.Trace)
		f.Report.TraceFile = doc.Trace
		if !single && !xf.noShrink && writeErr == nil {
			short, err = sim.Shrink(ctx, f, sim.ShrinkOptions{Lib: lib, Version: Version, MaxSteps: xf.maxSteps, Lag: xf.lag, Judge: opts.Judge})
			if err != nil {
				return classify(err)
			}
			sd := &shortestReport{Size: short.Size, System: systemOf(short.Scenario), Cut: short.Cut > 0,
				Runs: short.Runs, Checks: short.Report}
			sd.Trace, sd.HTML, writeErr = saveFailure(base+"-shortest", short.Failure)
			sd.Replay = "mutexlab replay " + shellQuote(sd.Trace)
			short.Report.TraceFile = sd.Trace
			doc.Shortest = sd
		}
	}
	if xf.tracePath != "" && kept != nil && writeErr == nil {
		writeErr = writeTraceFile(xf.tracePath, kept)
	}
	if xf.asJSON {
		b, _ := json.MarshalIndent(doc, "", "  ")
		fmt.Fprintln(w, string(b))
	} else {
		printExplore(w, s, xf, res, doc)
	}
	if writeErr != nil {
		return runtimeErr("%v", writeErr)
	}
	switch {
	case f != nil && f.Outcome == sim.Failed:
		return &exitError{code: exitUsage, msg: f.Detail}
	case f != nil:
		return checkFailed
	case res.Canceled:
		return &exitError{code: exitCheck, msg: "interrupted"}
	}
	return nil
}

func exploreHeader(s *scenario.Scenario, xf *exploreFlags) string {
	what := fmt.Sprintf("random walk of %d schedules from seed %d", orDefault(xf.runs, sim.DefaultRuns), xf.seed)
	if xf.runs == 1 {
		what = fmt.Sprintf("the schedule of seed %d", xf.seed)
	}
	if xf.exhaustive {
		what = fmt.Sprintf("exhaustive search (at most %d schedules)", orDefault(xf.runs, sim.DefaultExhaustiveRuns))
	}
	extra := ""
	if s.Network.Reorder {
		extra += ", channels may reorder"
	}
	if xf.lag {
		extra += ", messages may lag"
	}
	if xf.faults > 0 {
		kinds := strings.Join(xf.kinds, ", ")
		if kinds == "" {
			kinds = strings.Join(sim.PointKinds, ", ")
		}
		on := ""
		if len(xf.only) > 0 {
			on = " on " + strings.Join(xf.only, ",")
		}
		extra += fmt.Sprintf(", up to %s per schedule (%s%s)", plural(xf.faults, "fault"), kinds, on)
	}
	if len(s.Faults) > 0 {
		extra += fmt.Sprintf(", %s planned", plural(len(s.Faults), "fault"))
	}
	head := fmt.Sprintf("explore %s: %d processes, %s; %s%s", s.Name, len(s.NodeIDs()), plural(s.Rounds, "round"), what, extra)
	if xf.exhaustive && !tinySystem(s) {
		head += "\nnote: a system this large has far more schedules than a search can cover; it stops at the cap" +
			"\n      (exhaustive search is for 2-3 lightweights and 1 round; sample larger ones with the random walk)"
	}
	return head
}

// tinySystem reports whether an exhaustive search can hope to finish:
// at most three lightweights that contend, one round.
func tinySystem(s *scenario.Scenario) bool {
	busy := 0
	for _, g := range s.Groups {
		if g.Lightweights > 1 {
			busy += g.Lightweights
		}
	}
	return s.Rounds <= 1 && busy <= 3
}

func orDefault(n, def int) int {
	if n > 0 {
		return n
	}
	return def
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// failureName is the file name, without extension, of a failing schedule.
func failureName(s *scenario.Scenario, xf *exploreFlags, f *sim.Failure) string {
	if xf.exhaustive {
		return fmt.Sprintf("%s-exhaustive-%d", s.Name, f.Index)
	}
	return fmt.Sprintf("%s-seed%d", s.Name, f.Seed)
}

// saveFailure writes the failing schedule's trace and diagram.
func saveFailure(base string, f *sim.Failure) (tracePath, htmlPath string, err error) {
	if err := os.MkdirAll(filepath.Dir(base), 0o755); err != nil {
		return "", "", fmt.Errorf("--out: %v", err)
	}
	tracePath = base + ".jsonl"
	if err := writeTraceFile(tracePath, f.Trace); err != nil {
		return "", "", err
	}
	htmlPath = base + ".html"
	if err := runview.WriteDiagram(f.Trace, f.Report, htmlPath); err != nil {
		fmt.Fprintf(os.Stderr, "mutexlab explore: diagram: %v\n", err)
		htmlPath = ""
	}
	return tracePath, htmlPath, nil
}

func writeTraceFile(path string, t *trace.Trace) error {
	out, err := runview.CreateLocked(path)
	if err != nil {
		return err
	}
	if err := sim.WriteTrace(out, t); err != nil {
		out.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return out.Close()
}

// replayCommand is the one command that reproduces a failing schedule.
func replayCommand(s *scenario.Scenario, xf *exploreFlags, f *sim.Failure, tracePath string) string {
	if xf.exhaustive {
		// A path through the search tree has no seed; the trace fixes
		// every delivery, and replay runs it again.
		args := []string{"mutexlab", "replay", shellQuote(tracePath)}
		if xf.scenarioArg != "" {
			args = append(args, "--scenario", shellQuote(xf.scenarioArg))
		}
		if xf.scripts != "" {
			args = append(args, "--scripts", shellQuote(xf.scripts))
		}
		return strings.Join(args, " ")
	}
	args := []string{"mutexlab", "explore"}
	if xf.scenarioArg != "" {
		args = append(args, shellQuote(xf.scenarioArg))
	}
	if xf.algorithm != "" {
		args = append(args, "--algorithm", xf.algorithm)
	}
	args = append(args, "--runs", "1", "--seed", strconv.FormatInt(f.Seed, 10), "--rounds", strconv.Itoa(s.Rounds))
	if xf.speedSet {
		args = append(args, "--speed", strconv.FormatFloat(s.Speed, 'g', -1, 64))
	}
	if xf.scripts != "" {
		args = append(args, "--scripts", shellQuote(xf.scripts))
	}
	if xf.lag {
		args = append(args, "--lag")
	}
	if xf.maxSteps > 0 {
		args = append(args, "--max-steps", strconv.Itoa(xf.maxSteps))
	}
	if xf.faults > 0 {
		args = append(args, "--faults", strconv.Itoa(xf.faults))
		if len(xf.kinds) > 0 {
			args = append(args, "--fault-kind", strings.Join(xf.kinds, ","))
		}
		if len(xf.only) > 0 {
			args = append(args, "--fault-nodes", strings.Join(xf.only, ","))
		}
	}
	args = append(args, "--trace", shellQuote(fmt.Sprintf("%s-seed%d.jsonl", s.Name, f.Seed)))
	return strings.Join(args, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == ':' || r == '=' || r == ',' || r == '+' ||
			(r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func printExplore(w io.Writer, s *scenario.Scenario, xf *exploreFlags, res *sim.ExploreResult, doc exploreReport) {
	rate := ""
	if secs := res.Elapsed.Seconds(); secs > 0 {
		rate = fmt.Sprintf("; %.1fs, %.0f schedules/s", secs, float64(res.Runs+res.Pruned)/secs)
	}
	f := res.Failure
	if f == nil {
		switch {
		case res.Canceled:
			fmt.Fprintf(w, "interrupted after %s, all passed (%d distinct%s)\n", plural(res.Runs, "schedule"), res.Distinct, rate)
		case res.Mode == "exhaustive" && res.Exhausted:
			fmt.Fprintf(w, "all %d distinct schedules covered, every check passed (%d redundant runs pruned%s)\n", res.Distinct, res.Pruned, rate)
		case res.Mode == "exhaustive":
			fmt.Fprintf(w, "%d distinct schedules covered, every check passed; more remain, raise --runs (%d redundant runs pruned%s)\n", res.Distinct, res.Pruned, rate)
		case xf.runs == 1:
			fmt.Fprintf(w, "the schedule of seed %d passed every check (%d steps)\n", xf.seed, res.Steps)
		default:
			fmt.Fprintf(w, "all %d schedules passed every check (%d distinct%s)\n", res.Runs, res.Distinct, rate)
		}
		if xf.tracePath != "" && xf.runs == 1 && !xf.exhaustive {
			fmt.Fprintf(w, "  trace    %s\n", xf.tracePath)
		} else if xf.tracePath != "" {
			fmt.Fprintf(w, "  no failing schedule: %s not written\n", xf.tracePath)
		}
		return
	}
	which := fmt.Sprintf("schedule %d (seed %d)", f.Index, f.Seed)
	if res.Mode == "exhaustive" {
		which = fmt.Sprintf("schedule %d", f.Index)
	}
	var failed []string
	for _, r := range f.Report.Results {
		if r.Status == check.Fail {
			failed = append(failed, r.Check)
		}
	}
	what := strings.Join(failed, ", ")
	if f.Outcome != sim.Complete {
		if what != "" {
			what = f.Outcome.String() + "; " + what
		} else {
			what = f.Outcome.String()
		}
	}
	fmt.Fprintf(w, "%s FAILED (%s) after %s passed (%.1fs)\n", which, what, plural(res.Passed, "schedule"), res.Elapsed.Seconds())
	if f.Detail != "" {
		fmt.Fprintf(w, "  %s\n", f.Detail)
	}
	if len(f.Faults) > 0 {
		fmt.Fprintf(w, "  faults chosen: %s\n", sim.PointsText(f.Faults))
	}
	report := f.Report
	if sd := doc.Shortest; sd != nil {
		report = sd.Checks
		fmt.Fprintf(w, "shrunk to %s in %s; its report:\n", shortestWhat(sd), plural(sd.Runs, "run"))
	}
	if algs := sim.FIFOAlgorithms(s); s.Network.Reorder && len(algs) > 0 {
		fmt.Fprintf(w, "  note: the channels reorder messages here (network.reorder), and %s %s FIFO channels:\n"+
			"        a failure under reordering is not a bug in %s\n", strings.Join(algs, ", "), assumeVerb(len(algs)), them(len(algs)))
	}
	fmt.Fprintln(w)
	report.Print(w, xf.color)
	fmt.Fprintln(w)
	label := "failing"
	if doc.Shortest != nil {
		label = "first"
	}
	fmt.Fprintf(w, "  %-9s %s, %s (%s)\n", label, plural(f.Size.Events, "event"), plural(f.Size.Messages, "message"), systemOf(s))
	if doc.Trace != "" {
		fmt.Fprintf(w, "            trace    %s\n", doc.Trace)
	}
	if xf.tracePath != "" {
		fmt.Fprintf(w, "            trace    %s\n", xf.tracePath)
	}
	if doc.HTML != "" {
		fmt.Fprintf(w, "            diagram  %s\n", doc.HTML)
	}
	fmt.Fprintf(w, "            replay   %s\n", doc.Replay)
	if sd := doc.Shortest; sd != nil {
		fmt.Fprintf(w, "  %-9s %s\n", "shortest", shortestWhat(sd))
		fmt.Fprintf(w, "            trace    %s\n", sd.Trace)
		if sd.HTML != "" {
			fmt.Fprintf(w, "            diagram  %s\n", sd.HTML)
		}
		fmt.Fprintf(w, "            replay   %s\n", sd.Replay)
	}
}

// shortestWhat says how big the shortest schedule is and how it was made
// smaller: "44 events, 7 messages (1 round, lightweights A 1 B 2, 1 line
// per critical section; stopped right after the failure)".
func shortestWhat(sd *shortestReport) string {
	what := fmt.Sprintf("%s, %s (%s", plural(sd.Size.Events, "event"), plural(sd.Size.Messages, "message"), sd.System)
	if sd.Cut {
		what += "; stopped right after the failure"
	}
	return what + ")"
}

// systemOf names the dimensions shrinking changes: "3 rounds,
// lightweights A 3 B 3, 3 lines per critical section".
func systemOf(s *scenario.Scenario) string {
	var parts []string
	for _, g := range s.Groups {
		parts = append(parts, fmt.Sprintf("%s %d", g.ID, g.Lightweights))
	}
	lines := plural(s.CS.Prints, "line")
	return fmt.Sprintf("%s, lightweights %s, %s per critical section", plural(s.Rounds, "round"), strings.Join(parts, " "), lines)
}

// progressBar shows an exploration's progress on a terminal, and a plain
// line every few seconds elsewhere.
type progressBar struct {
	w     io.Writer
	tty   bool
	last  time.Time
	shown bool
}

func newProgressBar(f *os.File) *progressBar {
	return &progressBar{w: f, tty: isatty.IsTerminal(f.Fd()) && os.Getenv("TERM") != "dumb", last: time.Now()}
}

func (p *progressBar) update(pr sim.Progress) {
	rate := 0.0
	if s := pr.Elapsed.Seconds(); s > 0 {
		rate = float64(pr.Done) / s
	}
	if !p.tty {
		if time.Since(p.last) >= 5*time.Second && pr.Done < pr.Total {
			p.last = time.Now()
			fmt.Fprintf(p.w, "explore: %d/%d schedules (%.0f/s)\n", pr.Done, pr.Total, rate)
		}
		return
	}
	const width = 30
	fill := 0
	if pr.Total > 0 {
		fill = min(width, pr.Done*width/pr.Total)
	}
	fmt.Fprintf(p.w, "\r\033[K[%s%s] %d/%d schedules  %.0f/s", strings.Repeat("#", fill), strings.Repeat(".", width-fill),
		pr.Done, pr.Total, rate)
	p.shown = true
}

func (p *progressBar) clear() {
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}

func assumeVerb(n int) string {
	if n == 1 {
		return "assumes"
	}
	return "assume"
}

func them(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}
