package sim

import (
	"context"
	"fmt"
	"slices"

	"mutexlab/runtime/check"
	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
)

// Shrinking: a failing schedule is a counterexample, and a short one
// teaches better. Shrink looks for a smaller schedule that fails the same
// way (the same outcome, or the same check as its first root cause):
//
//  1. a smaller system: fewer rounds, fewer lightweights in each group,
//     fewer lines per critical section, each tried over a few seeds and
//     kept when one fails the same way;
//  2. a simpler schedule: the choices of the failing one, with as many as
//     possible turned into "take the first step enabled" (the earliest
//     delivery, in scenario order), kept when the run still fails the
//     same way with no more events;
//  3. a shorter run: the schedule stopped right after its failure shows
//     (Options.Cut), when the checks, judging what completed as they do
//     for an interrupted run, still find it.
//
// Everything is deterministic: the same failure shrinks to the same
// schedule on any machine.

// ShrinkOptions configure Shrink; Lib, Version, MaxSteps, Lag and Judge
// are the exploration's.
type ShrinkOptions struct {
	Lib      *node.Library
	Version  string
	MaxSteps int
	Lag      bool
	Judge    func(*trace.Trace) *check.Report
	// Seeds is how many schedules a smaller system is tried with
	// (default 100).
	Seeds int
	// Budget bounds the schedules run in all (default 1000).
	Budget int
}

// Shrunk is the result of Shrink.
type Shrunk struct {
	// Failure is the shortest failing schedule found: its Scenario is the
	// system it ran (possibly smaller than the explored one), Seed and
	// Choices fix the schedule, Cut where it was stopped.
	*Failure
	// Runs counts the schedules tried.
	Runs int `json:"runs"`
}

// failureKind is what "fails the same way" compares: the outcome when it
// is not a complete run, else the check of the first root cause.
func failureKind(out Outcome, rep *check.Report) string {
	switch out {
	case Stalled, Failed, TooLong:
		return out.String()
	}
	if roots := rep.Roots(); len(roots) > 0 {
		return roots[0].Check
	}
	return ""
}

type shrinker struct {
	ctx    context.Context
	opts   ShrinkOptions
	kind   string
	runs   int
	worlds map[string]*world
	points []FaultPoint // the failure's chosen faults: every schedule tried has them
}

// Shrink returns the shortest schedule it finds that fails as f does; f
// itself when nothing smaller fails. The error is for a smaller system
// that does not load.
func Shrink(ctx context.Context, f *Failure, opts ShrinkOptions) (*Shrunk, error) {
	if opts.Judge == nil {
		opts.Judge = func(t *trace.Trace) *check.Report { return check.Run(t, check.Options{}) }
	}
	if opts.Seeds <= 0 {
		opts.Seeds = 100
	}
	if opts.Budget <= 0 {
		opts.Budget = 1000
	}
	sh := &shrinker{ctx: ctx, opts: opts, kind: failureKind(f.Outcome, f.Report), worlds: map[string]*world{}, points: f.Faults}
	best := f
	if sh.kind == "" {
		return &Shrunk{Failure: f}, nil
	}

	// 1. A smaller system.
	try := func(s *scenario.Scenario) error {
		g, err := sh.search(s, best.Seed)
		if err != nil || g == nil {
			return err
		}
		if g.Size.Events <= best.Size.Events { // a smaller system, no longer a run
			best = g
		}
		return nil
	}
	for r := 1; r < best.Scenario.Rounds && !sh.spent(); r++ {
		s := *best.Scenario
		s.Rounds = r
		if err := try(&s); err != nil {
			return nil, err
		}
		if best.Scenario.Rounds == r {
			break
		}
	}
	for gi := range best.Scenario.Groups {
		for n := 1; n < best.Scenario.Groups[gi].Lightweights && !sh.spent(); n++ {
			s := *best.Scenario
			s.Groups = slices.Clone(s.Groups)
			s.Groups[gi].Lightweights = n
			if err := try(&s); err != nil {
				return nil, err
			}
			if best.Scenario.Groups[gi].Lightweights == n {
				break
			}
		}
	}
	for p := 1; p < best.Scenario.CS.Prints && !sh.spent(); p++ {
		s := *best.Scenario
		s.CS.Prints = p
		if err := try(&s); err != nil {
			return nil, err
		}
		if best.Scenario.CS.Prints == p {
			break
		}
	}

	// 2. A simpler schedule: choices turned to 0, in halves, then
	// quarters, ... then one by one.
	choices := slices.Clone(best.Choices)
	accept := func(c []int32) bool {
		g, err := sh.guided(best.Scenario, best.Seed, c, 0)
		if err != nil || g == nil || g.Size.Events > best.Size.Events {
			return false
		}
		best, choices = g, c
		return true
	}
	if !accept(nil) {
		for chunk := (len(choices) + 1) / 2; chunk >= 1 && !sh.spent(); chunk /= 2 {
			for lo := 0; lo < len(choices) && !sh.spent(); lo += chunk {
				hi := min(lo+chunk, len(choices))
				if !slices.ContainsFunc(choices[lo:hi], func(c int32) bool { return c != 0 }) {
					continue
				}
				c := slices.Clone(choices)
				clear(c[lo:hi])
				accept(c)
			}
		}
	}

	// 3. A shorter run: the fewest steps after which it still fails.
	steps := sh.stepsOf(best)
	lo, hi := 1, steps // the failure shows within hi steps
	for lo < hi && !sh.spent() {
		mid := (lo + hi) / 2
		g, err := sh.guided(best.Scenario, best.Seed, choices, mid)
		if err != nil {
			return nil, err
		}
		if g != nil {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	if hi < steps {
		if g, err := sh.guided(best.Scenario, best.Seed, choices, hi); err == nil && g != nil && g.Size.Events < best.Size.Events {
			best = g
		}
	}
	return &Shrunk{Failure: best, Runs: sh.runs}, nil
}

func (sh *shrinker) spent() bool { return sh.runs >= sh.opts.Budget || sh.ctx.Err() != nil }

// world returns the world of a (smaller) scenario, built once.
func (sh *shrinker) world(s *scenario.Scenario) (*world, error) {
	key := fmt.Sprintf("%d %v %d", s.Rounds, s.Groups, s.CS.Prints)
	if w, ok := sh.worlds[key]; ok {
		return w, nil
	}
	w, err := newWorld(s, sh.opts.Lib, sh.opts.Version)
	if err != nil {
		return nil, err
	}
	sh.worlds[key] = w
	return w, nil
}

// search runs seeds from seed on, up to Seeds of them, and returns the
// first schedule that fails the same way, or nil.
func (sh *shrinker) search(s *scenario.Scenario, seed int64) (*Failure, error) {
	w, err := sh.world(s)
	if err != nil {
		return nil, err
	}
	m := newMachine(w, Options{Seed: seed, MaxSteps: sh.opts.MaxSteps, Lag: sh.opts.Lag, Points: sh.points})
	r := newRandom(seed)
	for i := range int64(sh.opts.Seeds) {
		if sh.spent() {
			return nil, nil
		}
		m.reset(seed + i)
		r.reseed(seed + i)
		if f := sh.judge(m, m.run(r), w); f != nil {
			return f, nil
		}
	}
	return nil, nil
}

// guided runs the schedule of seed that takes choices (0 past their end),
// cut after cut steps when cut > 0, and returns it if it fails the same
// way, else nil.
func (sh *shrinker) guided(s *scenario.Scenario, seed int64, choices []int32, cut int) (*Failure, error) {
	w, err := sh.world(s)
	if err != nil {
		return nil, err
	}
	m := newMachine(w, Options{Seed: seed, MaxSteps: sh.opts.MaxSteps, Lag: sh.opts.Lag, Cut: cut, Points: sh.points})
	return sh.judge(m, m.run(&guide{choices: choices}), w), nil
}

// stepsOf is the number of steps of a failing schedule, run again.
func (sh *shrinker) stepsOf(f *Failure) int {
	w, err := sh.world(f.Scenario)
	if err != nil {
		return 0
	}
	m := newMachine(w, Options{Seed: f.Seed, MaxSteps: sh.opts.MaxSteps, Lag: sh.opts.Lag, Cut: f.Cut, Points: sh.points})
	m.run(&guide{choices: f.Choices})
	sh.runs++
	return m.steps
}

func (sh *shrinker) judge(m *machine, out Outcome, w *world) *Failure {
	sh.runs++
	res := m.result(out, false)
	rep := sh.opts.Judge(res.Trace)
	if failureKind(out, rep) != sh.kind {
		return nil
	}
	res = m.result(out, true)
	return &Failure{Seed: m.seed, Outcome: out, Detail: res.Detail(), Report: rep, Trace: res.Trace,
		Size: SizeOf(res.Trace), Scenario: w.s, Choices: slices.Clone(m.picks), Cut: m.cut, Faults: sh.points}
}

// guide takes the given choices at the choice points, in order, and the
// first enabled step past their end.
type guide struct {
	choices []int32
	k       int
}

func (g *guide) pick(_ *machine, en []step) int {
	if len(en) == 1 {
		return 0
	}
	i := 0
	if g.k < len(g.choices) {
		i = min(int(g.choices[g.k]), len(en)-1)
	}
	g.k++
	return i
}
