// Package sim is the deterministic simulator and schedule explorer. It
// runs the very node runtime (and Lua scripts) of a real run, with an
// in-memory network and a virtual clock behind node.Host, and lets a
// scheduler decide, step by step, what happens next.
//
// The model. Every ordered pair of nodes has a channel; a sent message
// becomes deliverable at send time + the link's delay + jitter (virtual
// nanoseconds, divided by the scenario's speed like every sleep). At each
// step the enabled steps are: deliver the head of any channel whose head
// is due (any due message of the channel when network.reorder is set),
// and fire any due timer (a sleep, a critical-section line). The
// scheduler picks one; when nothing is enabled, virtual time jumps to the
// next due message or timer. A schedule ends when every node's script has
// finished (Complete), when nothing is pending and some script has not
// finished (Stalled: the checker's liveness check names who waits on
// whom), when a script fails, or when the step bound is exceeded
// (TooLong: a livelock, or a bound too low for the scenario).
//
// With Lag set, "let time pass" is one more choice whenever something is
// pending in the future, so a message may be overtaken by later timers as
// if the network delayed it arbitrarily; without it, delays are exactly
// the scenario's.
//
// Faults (faults.go): the scenario's plan happens at its virtual times
// (before any step due at the same time) or right after the event it
// follows; a crashed node records nothing more, the messages to it are
// dropped; a paused node takes no step; a cut link drops what is sent
// over it. Loss and duplicate are drawn per message from a hash of
// (seed, link, place on it), like the jitter: a lost message is delivered
// as a drop, a duplicate's copy follows its message on the channel.
// Faults are not choices of the scheduler: a seed names one schedule,
// faults included. A replay takes the faults from the recording.
//
// Everything that decides is seeded: the scheduler draws from its own PCG
// source, jitter is a hash of (seed, link, seq), nodes and channels are
// visited in scenario order, and events carry virtual time. The same
// scenario, scripts and seed give a byte-identical trace.
//
// Entry points: Run for one schedule, Explore for many (random walk or
// bounded exhaustive search), Replay to re-run the delivery order of a
// recorded trace.
package sim

import (
	"fmt"
	"io"

	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
)

// Outcome says how a schedule ended.
type Outcome int

// Outcomes.
const (
	Complete Outcome = iota // every node's script finished
	Stalled                 // nothing pending, some script not finished
	Failed                  // a script error stopped a node
	TooLong                 // the step bound was exceeded
	Pruned                  // exhaustive search: every enabled step was redundant; not a schedule
	Ended                   // replay: every node reached the end of its recording
	Cut                     // shrinking: stopped right after the failure showed (Options.Cut)
)

var outcomeNames = [...]string{"complete", "stalled", "script error", "too long", "pruned", "end of recording", "cut short"}

func (o Outcome) String() string { return outcomeNames[o] }

// MarshalText makes an Outcome a JSON string.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// DefaultMaxSteps is the step bound per round when Options.MaxSteps is 0:
// a one-round seed schedule takes about 100 steps.
const DefaultMaxSteps = 50_000

// Options tune one schedule.
type Options struct {
	// Seed seeds the scheduler and the jitter.
	Seed int64
	// MaxSteps bounds the schedule; 0: DefaultMaxSteps per round.
	MaxSteps int
	// Lag lets the scheduler let virtual time pass while messages are
	// in flight, as if the network delayed them arbitrarily.
	Lag bool
	// Cut, when > 0, stops the schedule after that many steps, as if
	// interrupted: every node exits "interrupted" and the checks judge
	// what completed (Shrink cuts a counterexample right after its
	// failure shows).
	Cut int
	// State records each node's algorithm state on every event it
	// records (trace.Event.State, docs/trace.md), for the diagram's
	// state panel. It costs time: off unless asked for.
	State bool
	// Faults, when > 0, has each schedule choose between 1 and Faults
	// faults of FaultKinds (all PointKinds when empty) from its seed
	// (ChooseFaults): crash points, lost and duplicated messages.
	Faults     int
	FaultKinds []string
	// FaultNodes, when set, are the only nodes chosen faults fall on:
	// their crashes, and the links between two of them.
	FaultNodes []string
	// Points are faults every schedule has (Shrink keeps a failure's).
	Points []FaultPoint
}

// Result is one schedule's outcome and trace.
type Result struct {
	Outcome Outcome
	// Err is the script error of a Failed schedule.
	Err error
	// Steps is the number of steps taken.
	Steps int
	// Trace is the schedule's trace, meta header included.
	Trace *trace.Trace
	// Schedule identifies the schedule up to the reordering of
	// independent steps (steps of different nodes): two schedules with the
	// same Schedule give every node the same history, step by step and
	// at the same virtual times.
	Schedule uint64
}

// Detail is a one-line account of a schedule that did not complete, or "".
func (r *Result) Detail() string {
	switch r.Outcome {
	case Failed:
		if r.Err != nil {
			return r.Err.Error()
		}
		return "a script failed"
	case TooLong:
		return fmt.Sprintf("still running after %d steps: a livelock, or raise --max-steps", r.Steps)
	case Stalled:
		return "nothing left to deliver and not every script finished"
	}
	return ""
}

// Run runs one schedule of s, chosen by the seed.
func Run(s *scenario.Scenario, lib *node.Library, version string, opts Options) (*Result, error) {
	w, err := newWorld(s, lib, version)
	if err != nil {
		return nil, err
	}
	m := newMachine(w, opts)
	out := m.run(newRandom(opts.Seed))
	return m.result(out, true), nil
}

// WriteTrace writes t as JSON lines, the same bytes a real run's writer
// produces.
func WriteTrace(out io.Writer, t *trace.Trace) error {
	w := trace.NewWriter(out)
	if err := w.WriteMeta(t.Meta); err != nil {
		return err
	}
	for _, e := range t.Events {
		w.Record(e)
	}
	return w.Err()
}

// mix hashes three words (splitmix64 finalizer over a combination).
func mix(a, b, c uint64) uint64 {
	x := a*0x9e3779b97f4a7c15 ^ b*0xbf58476d1ce4e5b9 ^ c*0x94d049bb133111eb
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func mixStep(h, id uint64) uint64 { return mix(h, id, 0x5851f42d4c957f2d) }
