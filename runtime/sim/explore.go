package sim

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"mutexlab/runtime/check"
	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
)

// Defaults of ExploreOptions.
const (
	DefaultRuns           = 1000    // random walk: schedules
	DefaultExhaustiveRuns = 100_000 // exhaustive search: the cap on schedules
)

// ExploreOptions configure Explore.
type ExploreOptions struct {
	Scenario *scenario.Scenario
	Lib      *node.Library
	// Version is written into the traces' meta header.
	Version string
	// Runs is the number of schedules of a random walk (default
	// DefaultRuns), or the most an exhaustive search covers (default
	// DefaultExhaustiveRuns).
	Runs int
	// Seed is the first seed of a random walk: schedule i runs with seed
	// Seed+i. An exhaustive search uses it for the jitter only.
	Seed int64
	// Exhaustive enumerates the distinct schedules depth first instead of
	// sampling them; for tiny systems (2-3 lightweights, one round).
	Exhaustive bool
	// MaxSteps bounds each schedule; 0: DefaultMaxSteps per round.
	MaxSteps int
	// Lag lets messages be overtaken by later timers (see Options.Lag).
	Lag bool
	// State records each node's algorithm state on its events
	// (Options.State), in every schedule.
	State bool
	// Faults, FaultKinds and FaultNodes have each schedule choose faults
	// from its seed (Options.Faults); the failing schedule names them.
	Faults     int
	FaultKinds []string
	FaultNodes []string
	// Workers run a random walk's schedules in parallel; 0: GOMAXPROCS.
	// The result does not depend on it.
	Workers int
	// Judge checks one schedule's trace; default check.Run with
	// check.Options{}. It must not keep the trace: its events are reused.
	Judge func(*trace.Trace) *check.Report
	// Progress, when set, is called about every ProgressEvery (default
	// 100ms) and once at the end, never concurrently.
	Progress      func(Progress)
	ProgressEvery time.Duration
}

// Progress is a snapshot of a running exploration.
type Progress struct {
	Done    int           `json:"done"`  // schedules run and judged
	Total   int           `json:"total"` // Runs
	Elapsed time.Duration `json:"elapsed"`
	Failed  bool          `json:"failed"` // a failing schedule was found
}

// ExploreResult is what an exploration found.
type ExploreResult struct {
	Mode string `json:"mode"` // "random" or "exhaustive"
	// Runs counts the schedules run and judged; after a failure, those up
	// to and including the failing one.
	Runs   int `json:"runs"`
	Passed int `json:"passed"`
	// Distinct counts the schedules that differ in some node's history
	// (the order of steps of different nodes does not count).
	Distinct int `json:"distinct"`
	// Exhausted is set when an exhaustive search covered every schedule.
	Exhausted bool `json:"exhausted"`
	// Pruned counts exhaustive runs cut short because every step left
	// was redundant (a schedule already covered).
	Pruned   int           `json:"pruned,omitempty"`
	Steps    int64         `json:"steps"`
	Elapsed  time.Duration `json:"elapsed_ns"`
	Canceled bool          `json:"canceled,omitempty"`
	// Failure is the first failing schedule, nil when all passed.
	Failure *Failure `json:"failure,omitempty"`
}

// Failure is a failing schedule.
type Failure struct {
	// Index is the schedule's number, from 1.
	Index int `json:"index"`
	// Seed replays a random walk's schedule (Run with Options{Seed}).
	Seed    int64   `json:"seed"`
	Outcome Outcome `json:"outcome"`
	// Detail explains an outcome other than Complete.
	Detail string        `json:"detail,omitempty"`
	Report *check.Report `json:"checks"`
	Trace  *trace.Trace  `json:"-"`
	// Size counts the schedule's events and messages.
	Size Size `json:"size"`
	// Scenario is the system the schedule ran: the explored one, or a
	// smaller one for a shrunk schedule (fewer rounds, lightweights,
	// critical-section lines).
	Scenario *scenario.Scenario `json:"-"`
	// Choices is the schedule: at each choice point, the index of the
	// step taken among the enabled ones (Shrink replays them).
	Choices []int32 `json:"-"`
	// Cut is the step after which the schedule was stopped (Options.Cut);
	// 0 when it ran to its end.
	Cut int `json:"cut,omitempty"`
	// Faults are the faults chosen for the schedule (--faults).
	Faults []FaultPoint `json:"faults,omitempty"`
}

// Size is how big a schedule is for a person to read.
type Size struct {
	Events   int `json:"events"`
	Messages int `json:"messages"` // sends
}

// SizeOf counts a trace's events and messages.
func SizeOf(t *trace.Trace) Size {
	s := Size{Events: len(t.Events)}
	for _, e := range t.Events {
		if e.Ev == trace.Send {
			s.Messages++
		}
	}
	return s
}

// Explore runs many schedules of a scenario and judges each, stopping at
// the first failure: a failed check, a script error, a stall, or a
// schedule longer than the step bound. The error is for what prevents
// exploring at all (a scenario or script that does not load).
func Explore(ctx context.Context, opts ExploreOptions) (*ExploreResult, error) {
	w, err := newWorld(opts.Scenario, opts.Lib, opts.Version)
	if err != nil {
		return nil, err
	}
	if opts.Judge == nil {
		opts.Judge = func(t *trace.Trace) *check.Report { return check.Run(t, check.Options{}) }
	}
	if opts.ProgressEvery <= 0 {
		opts.ProgressEvery = 100 * time.Millisecond
	}
	if opts.Runs <= 0 {
		opts.Runs = DefaultRuns
		if opts.Exhaustive {
			opts.Runs = DefaultExhaustiveRuns
		}
	}
	x := &explorer{w: w, opts: opts, start: time.Now()}
	stop := x.reportProgress()
	var res *ExploreResult
	if opts.Exhaustive {
		res, err = x.exhaustive(ctx)
	} else {
		res = x.random(ctx)
	}
	stop()
	if err != nil {
		return nil, err
	}
	res.Elapsed = time.Since(x.start)
	if opts.Progress != nil {
		opts.Progress(Progress{Done: res.Runs, Total: opts.Runs, Elapsed: res.Elapsed, Failed: res.Failure != nil})
	}
	return res, nil
}

type explorer struct {
	w      *world
	opts   ExploreOptions
	start  time.Time
	done   atomic.Int64
	failed atomic.Bool
}

// reportProgress calls Progress periodically until the returned stop.
func (x *explorer) reportProgress() (stop func()) {
	if x.opts.Progress == nil {
		return func() {}
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(x.opts.ProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				x.opts.Progress(Progress{Done: int(x.done.Load()), Total: x.opts.Runs,
					Elapsed: time.Since(x.start), Failed: x.failed.Load()})
			}
		}
	}()
	return func() { close(quit); wg.Wait() }
}

// judge checks the schedule m just ran; on failure it returns the
// Failure with a copy of the trace.
func (x *explorer) judge(m *machine, out Outcome) *Failure {
	res := m.result(out, false)
	report := x.opts.Judge(res.Trace)
	bad := out == Failed || out == Stalled || out == TooLong
	if !bad && !report.Failed() {
		return nil
	}
	res = m.result(out, true)
	return &Failure{Seed: m.seed, Outcome: out, Detail: res.Detail(), Report: report, Trace: res.Trace,
		Size: SizeOf(res.Trace), Scenario: x.w.s, Choices: append([]int32(nil), m.picks...), Cut: m.cut,
		Faults: slices.Clone(m.f.points)}
}

func (x *explorer) machineOptions(seed int64) Options {
	return Options{Seed: seed, MaxSteps: x.opts.MaxSteps, Lag: x.opts.Lag, State: x.opts.State,
		Faults: x.opts.Faults, FaultKinds: x.opts.FaultKinds, FaultNodes: x.opts.FaultNodes}
}

// random runs schedules Seed, Seed+1, ... on parallel workers. Indices
// are handed out in order and a worker stops at the first failure it
// knows of, so every schedule before the earliest failure has run: the
// result is the same for any number of workers.
func (x *explorer) random(ctx context.Context) *ExploreResult {
	n := x.opts.Runs
	workers := x.opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	hashes := make([]uint64, n)
	ran := make([]bool, n)
	var (
		next     atomic.Int64
		failAt   atomic.Int64
		mu       sync.Mutex
		failure  *Failure
		steps    atomic.Int64
		canceled atomic.Bool
		wg       sync.WaitGroup
	)
	failAt.Store(int64(n))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := newMachine(x.w, x.machineOptions(x.opts.Seed))
			r := newRandom(x.opts.Seed)
			for {
				if ctx.Err() != nil {
					canceled.Store(true)
					return
				}
				i := next.Add(1) - 1
				if i >= failAt.Load() {
					return
				}
				seed := x.opts.Seed + i
				m.reset(seed)
				r.reseed(seed)
				out := m.run(r)
				steps.Add(int64(m.steps))
				hashes[i], ran[i] = m.schedule(), true
				if f := x.judge(m, out); f != nil {
					f.Index = int(i) + 1
					mu.Lock()
					if failure == nil || f.Index < failure.Index {
						failure = f
						failAt.Store(i)
					}
					mu.Unlock()
					x.failed.Store(true)
				}
				x.done.Add(1)
			}
		}()
	}
	wg.Wait()
	res := &ExploreResult{Mode: "random", Steps: steps.Load(), Failure: failure}
	switch {
	case failure != nil:
		res.Runs = failure.Index
		res.Passed = failure.Index - 1
	default:
		res.Runs = int(x.done.Load())
		res.Passed = res.Runs
		res.Canceled = canceled.Load()
	}
	seen := make(map[uint64]struct{}, res.Runs)
	for i, ok := range ran {
		if ok && (failure == nil || i < failure.Index) {
			seen[hashes[i]] = struct{}{}
		}
	}
	res.Distinct = len(seen)
	return res
}

// exhaustive enumerates schedules depth first (see dfs).
func (x *explorer) exhaustive(ctx context.Context) (*ExploreResult, error) {
	m := newMachine(x.w, x.machineOptions(x.opts.Seed))
	d := &dfs{}
	res := &ExploreResult{Mode: "exhaustive"}
	seen := map[uint64]struct{}{}
	for res.Runs < x.opts.Runs {
		if ctx.Err() != nil {
			res.Canceled = true
			break
		}
		m.reset(x.opts.Seed)
		d.begin()
		out := m.run(d)
		res.Steps += int64(m.steps)
		if d.diverged {
			return nil, errors.New("exhaustive search: a schedule did not repeat when run again; the scripts are not deterministic (math.random?)")
		}
		if out == Pruned {
			res.Pruned++
		} else {
			res.Runs++
			seen[m.schedule()] = struct{}{}
			if f := x.judge(m, out); f != nil {
				f.Index = res.Runs
				res.Failure = f
				x.failed.Store(true)
				break
			}
			res.Passed++
			x.done.Add(1)
		}
		if !d.backtrack() {
			res.Exhausted = true
			break
		}
	}
	res.Distinct = len(seen)
	return res, nil
}
