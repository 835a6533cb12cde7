package sim

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
)

// ReplayOptions configure Replay.
type ReplayOptions struct {
	Lib *node.Library
	// Scenario is the system to run; default: rebuilt from the recorded
	// trace's meta header (ScenarioFromMeta).
	Scenario *scenario.Scenario
	Version  string
	// MaxSteps bounds the replay; 0: DefaultMaxSteps per round, at least
	// twice the recording's events.
	MaxSteps int
	// State records each node's algorithm state on its events
	// (Options.State).
	State bool
}

// ReplayResult is a replayed run.
type ReplayResult struct {
	// Trace is the simulated run (mode "sim").
	Trace   *trace.Trace
	Outcome Outcome
	// Err is the script error of a Failed replay.
	Err   error
	Steps int
	// Divergence is where the replay first differed from the recording
	// (the scripts changed, or they are not deterministic); nil when
	// every node went through its recorded events.
	Divergence *Divergence
	// Recorded and Replayed list the critical sections in the order they
	// were entered.
	Recorded, Replayed []CSEntry
}

// SameCSOrder reports whether the replay entered the critical sections
// in the recorded order.
func (r *ReplayResult) SameCSOrder() bool { return slices.Equal(r.Recorded, r.Replayed) }

// CSEntry is one entry into the critical section.
type CSEntry struct {
	Node  string `json:"node"`
	Round int    `json:"round"`
}

func (c CSEntry) String() string { return fmt.Sprintf("%s#%d", c.Node, c.Round) }

// Divergence is the first place a replay left its recording.
type Divergence struct {
	Node string `json:"node"`
	// Index is the node's event number, from 1.
	Index int `json:"index"`
	// Line is the recorded event's line in the recorded trace; 0 when
	// the replay did more than the recording.
	Line int `json:"line"`
	// Want is the recorded event, Got what the replay did instead.
	Want string `json:"want"`
	Got  string `json:"got"`
}

func (d *Divergence) String() string {
	where := fmt.Sprintf("%s's event %d", d.Node, d.Index)
	if d.Line > 0 {
		where += fmt.Sprintf(" (recorded trace line %d)", d.Line)
	}
	return fmt.Sprintf("%s: recorded %s; replay %s", where, d.Want, d.Got)
}

// ScenarioFromMeta rebuilds the scenario of a recorded run from its meta
// header: groups, algorithms, critical section, rounds and speed. The
// network shaping is not recorded and not needed: the recording fixes
// the delivery order.
func ScenarioFromMeta(m trace.Meta) (*scenario.Scenario, error) {
	file := m.File
	if file == "" {
		file = "trace"
	}
	s := &scenario.Scenario{Name: m.Scenario, File: file, Token: m.Token,
		CS: scenario.CS{Prints: m.CS.Prints, Interval: m.CS.Interval}, Rounds: m.Rounds,
		Speed: m.Speed, Seed: m.Seed}
	if s.Speed <= 0 {
		s.Speed = 1
	}
	if s.Name == "" {
		s.Name = "replay"
	}
	for _, id := range m.Nodes {
		kids, ok := m.Groups[id]
		if !ok {
			continue
		}
		s.Groups = append(s.Groups, scenario.Group{ID: id, Algorithm: m.Algorithms[id], Lightweights: len(kids)})
	}
	if !slices.Equal(s.NodeIDs(), m.Nodes) {
		return nil, fmt.Errorf("the trace's nodes %s do not match its groups (rebuilt: %s); name the scenario with --scenario",
			strings.Join(m.Nodes, " "), strings.Join(s.NodeIDs(), " "))
	}
	for _, g := range s.Groups {
		if !slices.Equal(m.Groups[g.ID], childrenOf(s, g.ID)) {
			return nil, fmt.Errorf("group %s's lightweights %v are not named %s1, %s2, ...; name the scenario with --scenario",
				g.ID, m.Groups[g.ID], g.ID, g.ID)
		}
	}
	if s.Token == "" {
		return nil, fmt.Errorf("the trace's meta header names no token algorithm; name the scenario with --scenario")
	}
	return s, nil
}

func childrenOf(s *scenario.Scenario, id string) []string {
	n, _ := s.Find(id)
	return n.Children
}

// Replay re-runs a recorded run in the simulator with the recording's
// delivery order as the schedule: each node receives the messages it
// received, in the order it received them (matched by sender and
// sequence number), and its timers fire where the recording shows they
// did. The result is a simulated trace that can be checked, drawn and
// stepped through. If the scripts changed, the replay follows the
// recording until the first event that differs, reports it, and then
// goes on with a schedule of its own.
func Replay(rec *trace.Trace, opts ReplayOptions) (*ReplayResult, error) {
	m, r, err := prepareReplay(rec, opts)
	if err != nil {
		return nil, err
	}
	out := r.run()
	r.stop(out)
	res := m.result(out, true)
	res.Trace.Meta.Seed = rec.Meta.Seed
	return &ReplayResult{Trace: res.Trace, Outcome: out, Err: m.err, Steps: m.steps, Divergence: r.div,
		Recorded: csOrder(rec.Events, true), Replayed: csOrder(res.Trace.Events, false)}, nil
}

// prepareReplay builds the machine of a replay and its replayer.
func prepareReplay(rec *trace.Trace, opts ReplayOptions) (*machine, *replayer, error) {
	s := opts.Scenario
	if s == nil {
		var err error
		if s, err = ScenarioFromMeta(rec.Meta); err != nil {
			return nil, nil, err
		}
	}
	w, err := newWorld(s, opts.Lib, opts.Version)
	if err != nil {
		return nil, nil, err
	}
	w.reorder = true // deliveries follow the recording, whatever the scenario says
	for i := range w.delay {
		w.delay[i], w.jitter[i], w.loss[i], w.dup[i] = 0, 0, 0, 0
	}
	w.lossy = false // the recording says which messages were lost or duplicated
	m := newMachine(w, Options{Seed: rec.Meta.Seed, MaxSteps: opts.MaxSteps, State: opts.State})
	if opts.MaxSteps <= 0 {
		m.maxSteps = max(m.maxSteps, 2*len(rec.Events))
	}
	return m, newReplayer(m, rec), nil
}

// replayer steers a machine through a recording.
type replayer struct {
	m   *machine
	rec [][]trace.Event // per node, its recorded events in order
	// recvs lists per node the recorded receives and drops not replayed
	// yet, in order.
	recvs [][]trace.Event
	end   []int // per node, how many of them the replay must go through
	div   *Divergence
	free  bool // off the recording: any schedule will do
	// simulated: the recording is a simulated run's, whose virtual times
	// the replay takes over, so that it repeats the run byte for byte.
	simulated bool
	exits     []string // per node, the recorded exit's text, "" if none
	// midCrash marks the recorded crashes that follow the node's event
	// within a step (a crash after an event): the machine carries them
	// out there (faultState.crashAfter), not as steps of their own.
	midCrash map[[2]int]bool
}

func newReplayer(m *machine, rec *trace.Trace) *replayer {
	n := len(m.w.ids)
	r := &replayer{m: m, rec: make([][]trace.Event, n), end: make([]int, n), recvs: make([][]trace.Event, n),
		simulated: rec.Meta.Mode == "sim", exits: make([]string, n), midCrash: map[[2]int]bool{}}
	for _, e := range rec.Events {
		if i, ok := m.w.index[e.Node]; ok {
			r.rec[i] = append(r.rec[i], e)
		}
	}
	for i, evs := range r.rec {
		r.end[i] = len(evs)
		// The exit ends the node's recording; what follows it (nothing,
		// normally) is not replayed.
		for k, e := range evs {
			if e.Ev == trace.Exit {
				r.end[i], r.exits[i] = k, e.Text
				break
			}
		}
		for _, e := range evs[:r.end[i]] {
			if e.Ev == trace.Recv || e.Ev == trace.Drop {
				r.recvs[i] = append(r.recvs[i], e)
			}
		}
	}
	// Faults come from the recording: each is replayed where it was.
	m.f.replay = true
	m.f.crashPlan = make([][]int, n)
	for i, evs := range r.rec {
		for k, e := range evs[:r.end[i]] {
			if e.Ev != trace.Crash || k == 0 {
				continue
			}
			if prev := evs[k-1]; prev.T == e.T && slices.Contains(scenario.AfterKinds, prev.Ev) {
				m.f.crashPlan[i] = append(m.f.crashPlan[i], k)
				r.midCrash[[2]int{i, k}] = true
			}
		}
	}
	m.reset(m.seed)
	m.observe = r.observe
	return r
}

// observe compares each simulated event with the recorded one.
func (r *replayer) observe(i int, e *trace.Event) {
	if e.Ev == trace.Drop && (e.Reason == trace.ReasonCrashed || e.Reason == trace.ReasonCut) {
		// Dropped as it was sent, or at its receiver's crash: by the
		// machine, not by a step of the replay's.
		r.delivered(i, e.From, e.Seq)
	}
	if r.div != nil || e.Ev == trace.Exit {
		return
	}
	k := r.m.counts[i]
	if k >= r.end[i] {
		if !r.free {
			r.diverge(i, k, "no further event", describe(e))
		}
		return
	}
	if want := &r.rec[i][k]; !sameEvent(want, e) {
		r.diverge(i, k, describe(want), describe(e))
	}
}

func (r *replayer) diverge(i, k int, want, got string) {
	line := 0
	if k < len(r.rec[i]) {
		line = r.rec[i][k].Line
	}
	r.div = &Divergence{Node: r.m.w.ids[i], Index: k + 1, Line: line, Want: want, Got: got}
	r.free = true
}

// consumed reports whether every node went through its recording: as
// many events as recorded and, once off the recording, every recorded
// receive.
func (r *replayer) consumed() bool {
	for i, k := range r.m.counts {
		if k < r.end[i] || (r.free && len(r.recvs[i]) > 0) {
			return false
		}
	}
	return true
}

// next returns the recorded event node i has to produce next, or nil.
func (r *replayer) next(i int) *trace.Event {
	if k := r.m.counts[i]; k < r.end[i] {
		return &r.rec[i][k]
	}
	return nil
}

func (r *replayer) run() Outcome {
	m := r.m
	if err := m.start(); err != nil {
		m.err = err
		return Failed
	}
	if m.failed >= 0 {
		return Failed
	}
	for {
		if m.steps >= m.maxSteps {
			return TooLong
		}
		if r.free && m.allFinished() {
			return Complete
		}
		if r.consumed() {
			return Ended
		}
		var s step
		if !r.free {
			var ok bool
			if s, ok = r.choose(); !ok {
				r.stuck()
				continue
			}
			if s.kind == fire && s.at > m.now {
				m.advanceTo(s.at)
			}
			// A simulated run delivered a message at its recv's virtual
			// time (after the link's delay), and carried out a fault at
			// its time; a timer fires when due.
			if e := r.next(s.node); r.simulated && s.kind != fire && e != nil && e.T > m.now {
				m.advanceTo(e.T)
			}
		} else {
			var ok bool
			if s, ok = r.loose(); !ok {
				return Stalled
			}
		}
		var err error
		if s.kind == deliver {
			n := len(m.w.ids)
			from := m.w.ids[s.ch/n]
			if e := r.nextRecv(s.node); e != nil && e.Ev == trace.Drop && e.From == from && e.Seq == s.seq {
				reason := e.Reason
				if reason == "" {
					reason = trace.ReasonSteered // recorded before drops had reasons
				}
				m.drop(s, reason)
			} else {
				err = m.exec(s)
			}
			r.delivered(s.node, from, s.seq)
		} else if s.kind == redeliver {
			err = m.exec(s)
			r.delivered(s.node, m.w.ids[s.ch/len(m.w.ids)], s.seq)
		} else {
			err = m.exec(s)
		}
		if err != nil {
			m.failed, m.err = s.node, err
			return Failed
		}
	}
}

// stop stops the nodes after the replay. A simulated recording that was
// followed to its end ends each node as recorded (stalled, say), so that
// the replay repeats it byte for byte.
func (r *replayer) stop(out Outcome) {
	m := r.m
	if out != Ended || !r.simulated || r.div != nil {
		m.stopAfter(out)
		return
	}
	m.stop(func(i int) string {
		if r.exits[i] != "" {
			return r.exits[i]
		}
		return trace.ExitStopped
	})
}

// loose picks the next step once the replay has left its recording:
// each node still gets its messages in the recorded order where it can,
// timers fire when nothing recorded can be delivered, and otherwise the
// first enabled step goes.
func (r *replayer) loose() (step, bool) {
	m := r.m
	n := len(m.w.ids)
	var best step
	var bestE *trace.Event
	for _, s := range m.candidates() {
		if s.kind != deliver {
			continue
		}
		e := r.nextRecv(s.node)
		if e == nil || e.From != m.w.ids[s.ch/n] || e.Seq != s.seq {
			continue
		}
		if bestE == nil || e.T < bestE.T || (e.T == bestE.T && e.Line < bestE.Line) {
			best, bestE = s, e
		}
	}
	if bestE != nil {
		return best, true
	}
	en := m.enabled()
	for _, s := range en {
		if s.kind == fire {
			return s, true
		}
	}
	if len(en) == 0 {
		return step{}, false
	}
	return en[0], true
}

// nextRecv returns the first recorded receive (or drop) of node i not
// replayed yet, or nil.
func (r *replayer) nextRecv(i int) *trace.Event {
	if len(r.recvs[i]) == 0 {
		return nil
	}
	return &r.recvs[i][0]
}

// delivered strikes a replayed receive off node i's list.
func (r *replayer) delivered(i int, from string, seq int64) {
	for k, e := range r.recvs[i] {
		if e.From == from && e.Seq == seq {
			r.recvs[i] = append(r.recvs[i][:k], r.recvs[i][k+1:]...)
			return
		}
	}
}

// choose returns the step the recording takes next: among the steps that
// match some node's next recorded event, the one recorded first.
func (r *replayer) choose() (step, bool) {
	m := r.m
	n := len(m.w.ids)
	var best step
	var bestE *trace.Event
	for _, s := range m.candidates() {
		e := r.next(s.node)
		if e == nil {
			continue
		}
		switch s.kind {
		case deliver:
			if (e.Ev != trace.Recv && e.Ev != trace.Drop) || e.From != m.w.ids[s.ch/n] || e.Seq != s.seq {
				continue
			}
		case fire:
			if e.Ev == trace.Recv || e.Ev == trace.Drop {
				continue
			}
		}
		// Several timers of one node may wait: the earliest is the one.
		sameEarlier := e == bestE && s.kind == fire && best.kind == fire && s.at < best.at
		if bestE == nil || e.T < bestE.T || (e.T == bestE.T && e.Line < bestE.Line) || sameEarlier {
			best, bestE = s, e
		}
	}
	// A fault or a duplicate the recording shows next is a step too.
	for i := range m.w.ids {
		e := r.next(i)
		if e == nil || (bestE != nil && (e.T > bestE.T || (e.T == bestE.T && e.Line > bestE.Line))) {
			continue
		}
		if s, ok := r.pseudo(i, e); ok {
			best, bestE = s, e
		}
	}
	return best, bestE != nil
}

// pseudo is the step that makes node i's recorded event e when it is a
// fault or a duplicate's delivery.
func (r *replayer) pseudo(i int, e *trace.Event) (step, bool) {
	m := r.m
	n := len(m.w.ids)
	switch e.Ev {
	case trace.Recv:
		j, ok := m.w.index[e.From]
		if !e.Dup || !ok {
			return step{}, false
		}
		ch := j*n + i
		return step{kind: redeliver, node: i, ch: ch, seq: e.Seq, at: m.now,
			id: uint64(redeliver)<<56 | uint64(ch)<<24 | uint64(e.Seq)&0xffffff}, true
	case trace.Crash, trace.Restart, trace.Pause, trace.Resume, trace.Cut, trace.Heal:
		if e.Ev == trace.Crash && r.midCrash[[2]int{i, m.counts[i]}] {
			return step{}, false
		}
		s := step{kind: faultStep, node: i, op: e.Ev, at: m.now}
		if e.Ev == trace.Cut || e.Ev == trace.Heal {
			from, ok1 := m.w.index[e.From]
			to, ok2 := m.w.index[e.To]
			if !ok1 || !ok2 || to != i {
				return step{}, false
			}
			s.ch = from*n + to
		}
		s.id = uint64(faultStep)<<56 | uint64(i)<<32 | uint64(m.counts[i])
		return s, true
	}
	return step{}, false
}

// stuck records why no recorded step can be taken, and lets the replay
// go on freely.
func (r *replayer) stuck() {
	m := r.m
	for i := range m.w.ids {
		e := r.next(i)
		if e == nil {
			continue
		}
		got := "has nothing to do: " + strings.ToLower(m.nodes[i].Status().State)
		if e.Ev == trace.Recv || e.Ev == trace.Drop {
			got = fmt.Sprintf("never got message %d from %s", e.Seq, e.From)
		}
		r.diverge(i, m.counts[i], describe(e), got)
		return
	}
	r.free = true
}

// sameEvent compares what a script controls: kind, peer, type, clocks,
// numbering, round and text. Times and pids differ between runs.
func sameEvent(a, b *trace.Event) bool {
	if a.Ev != b.Ev || a.LC != b.LC {
		return false
	}
	if a.Ev == trace.Start {
		return true
	}
	return a.To == b.To && a.From == b.From && a.Type == b.Type && a.TS == b.TS && a.Seq == b.Seq &&
		a.Round == b.Round && a.Text == b.Text && a.On == b.On && bytes.Equal(payload(a), payload(b))
}

func payload(e *trace.Event) []byte {
	if len(e.Payload) == 0 {
		return []byte("{}")
	}
	return bytes.TrimSpace(e.Payload)
}

// describe renders an event for a divergence report.
func describe(e *trace.Event) string {
	var b strings.Builder
	b.WriteString(e.Ev)
	switch e.Ev {
	case trace.Send:
		fmt.Fprintf(&b, " %s to %s (seq %d)", e.Type, e.To, e.Seq)
	case trace.Recv, trace.Drop:
		fmt.Fprintf(&b, " %s from %s (seq %d)", e.Type, e.From, e.Seq)
	case trace.CSEnter, trace.CSExit:
		fmt.Fprintf(&b, " round %d", e.Round)
	case trace.Block:
		fmt.Fprintf(&b, " on %q", e.On)
	case trace.Log, trace.Error, trace.Print:
		fmt.Fprintf(&b, " %q", e.Text)
	}
	fmt.Fprintf(&b, " at lc %d", e.LC)
	return b.String()
}

// csOrder lists the critical sections in the order they were entered; a
// recorded trace is ordered by its shared clock.
func csOrder(events []trace.Event, byTime bool) []CSEntry {
	var enters []trace.Event
	for _, e := range events {
		if e.Ev == trace.CSEnter {
			enters = append(enters, e)
		}
	}
	if byTime {
		slices.SortStableFunc(enters, func(a, b trace.Event) int {
			switch {
			case a.T < b.T:
				return -1
			case a.T > b.T:
				return 1
			}
			return a.Line - b.Line
		})
	}
	out := make([]CSEntry, len(enters))
	for i, e := range enters {
		out[i] = CSEntry{Node: e.Node, Round: e.Round}
	}
	return out
}
