package cluster

import (
	"context"
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"mutexlab/runtime/driver"
	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
)

// The cluster's steering API, in-process: Start launches the real node
// processes (the binary TestMain built) and the tests call the API as the
// REPL does.

// live is a run started by a test, with its trace so far.
type live struct {
	t *testing.T
	c *Cluster

	mu      sync.Mutex
	events  []trace.Event
	changed chan struct{}
}

type liveOptions struct {
	rounds     int
	speed      float64
	hold       bool
	stallAfter time.Duration
}

func startLive(t *testing.T, o liveOptions) *live {
	t.Helper()
	s, err := scenario.Resolve("seed")
	if err != nil {
		t.Fatal(err)
	}
	s.Rounds, s.Speed = o.rounds, o.speed
	l := &live{t: t, changed: make(chan struct{})}
	c, err := Start(Options{Scenario: s, Binary: bin, HoldLinks: o.hold, StallAfter: o.stallAfter,
		OnEvent: l.record,
		OnStderr: func(id, line string) {
			t.Logf("%s stderr: %s", id, line)
		}})
	if err != nil {
		t.Fatal(err)
	}
	l.c = c
	t.Cleanup(func() { c.Stop("stopped") })
	return l
}

func (l *live) record(e trace.Event) {
	l.mu.Lock()
	l.events = append(l.events, e)
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

// await waits until cond holds for the events so far.
func (l *live) await(what string, cond func([]trace.Event) bool) {
	l.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		l.mu.Lock()
		ok, ch := cond(l.events), l.changed
		l.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-l.c.Done():
			l.t.Fatalf("the run ended (%+v) while waiting for %s", l.c.Outcome(), what)
		case <-deadline:
			l.t.Fatalf("waiting for %s: not within 20 s", what)
		}
	}
}

// count counts the events that match.
func (l *live) count(match func(trace.Event) bool) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.events {
		if match(e) {
			n++
		}
	}
	return n
}

// has makes an await condition: some event matches.
func has(match func(trace.Event) bool) func([]trace.Event) bool {
	return func(evs []trace.Event) bool { return slices.ContainsFunc(evs, match) }
}

// pending asks until the pending links satisfy cond (a message reaching
// a link is an event nobody records) and returns them.
func (l *live) pending(what string, cond func([]driver.PendingLink) bool) []driver.PendingLink {
	l.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		rows, err := l.c.Pending(context.Background())
		if err != nil {
			l.t.Fatal(err)
		}
		if cond(rows) {
			return rows
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("pending never showed %s: %+v", what, rows)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// pendingWithin reports whether the pending links meet cond within d.
func (l *live) pendingWithin(d time.Duration, cond func([]driver.PendingLink) bool) bool {
	l.t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		rows, err := l.c.Pending(context.Background())
		if err != nil {
			l.t.Fatal(err)
		}
		if cond(rows) {
			return true
		}
	}
	return false
}

// waiting makes a pending condition: link holds exactly types.
func waiting(link Link, held bool, types ...string) func([]driver.PendingLink) bool {
	return func(rows []driver.PendingLink) bool {
		for _, r := range rows {
			if r.From == link.From && r.To == link.To {
				return r.Held == held && slices.Equal(r.Types, types)
			}
		}
		return false
	}
}

func recvOf(to, from, typ string) func(trace.Event) bool {
	return func(e trace.Event) bool {
		return e.Ev == trace.Recv && e.Node == to && e.From == from && (typ == "" || e.Type == typ)
	}
}

func ev(kind string) func(trace.Event) bool {
	return func(e trace.Event) bool { return e.Ev == kind }
}

// Hold everything, step message by message, then let go: the run ends
// complete.
func TestSteerStepping(t *testing.T) {
	l := startLive(t, liveOptions{rounds: 1, speed: 100, hold: true})
	ctx := context.Background()
	c := l.c
	if st := c.Steering(); !reflect.DeepEqual(st.Held, c.Links()) || !st.Active() {
		t.Fatalf("started with HoldLinks: steering %+v, want every link held", st)
	}

	grant := Link{"A", "A1"}
	l.pending("A's grant to A1", waiting(grant, true, "CS_GRANT"))
	if n := l.count(ev(trace.Recv)); n != 0 {
		t.Fatalf("%d messages delivered with every link held", n)
	}
	if moved, err := c.Deliver(ctx, grant, 3); err != nil || moved != 1 {
		t.Fatalf("Deliver(%s, 3) = %d, %v; want the one waiting", grant, moved, err)
	}
	l.await("A1 to get its grant", has(recvOf("A1", "A", "CS_GRANT")))
	if moved, err := c.Deliver(ctx, grant, 1); err != nil || moved != 0 {
		t.Fatalf("Deliver(%s) with nothing waiting = %d, %v", grant, moved, err)
	}
	// A1 now asks its peers (Lamport): one REQUEST each, held.
	req := Link{"A1", "A2"}
	l.pending("A1's request to A2", waiting(req, true, "REQUEST"))
	if moved, err := c.Deliver(ctx, req, 1); err != nil || moved != 1 {
		t.Fatalf("Deliver(%s) = %d, %v", req, moved, err)
	}
	l.await("A2 to get the request", has(recvOf("A2", "A1", "REQUEST")))
	if n := l.count(ev(trace.Recv)); n != 2 {
		t.Fatalf("two delivers moved %d messages", n)
	}

	// A link let go flows: Deliver refuses it.
	if err := c.Release(ctx, Link{"B", "B1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Deliver(ctx, Link{"B", "B1"}, 1); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("Deliver on a released link: %v, want ErrNotHeld", err)
	}
	if st := c.Steering(); len(st.Held) != len(c.Links())-1 || slices.Contains(st.Held, Link{"B", "B1"}) {
		t.Fatalf("after releasing B->B1, held: %v", st.Held)
	}

	if err := c.Release(ctx, c.Links()...); err != nil {
		t.Fatal(err)
	}
	if st := c.Steering(); st.Active() {
		t.Fatalf("after releasing every link: %+v", st)
	}
	select {
	case <-c.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the run did not end within 30 s of the release")
	}
	if out := c.Outcome(); !out.Complete {
		t.Fatalf("outcome %+v, want complete", out)
	}
}

// A dropped grant leaves the system still for good, but while a link is
// held that stillness is the user's: the stall verdict comes only once
// the steering ends.
func TestSteerDropAndStall(t *testing.T) {
	const stallAfter = 100 * time.Millisecond
	l := startLive(t, liveOptions{rounds: 1, speed: 100, hold: true, stallAfter: stallAfter})
	ctx := context.Background()
	c := l.c
	grant := Link{"A", "A1"}
	l.pending("A's grant to A1", waiting(grant, true, "CS_GRANT"))
	if err := c.Drop(ctx, grant, 1); err != nil {
		t.Fatal(err)
	}
	if moved, err := c.Deliver(ctx, grant, 1); err != nil || moved != 1 {
		t.Fatalf("Deliver(%s) = %d, %v", grant, moved, err)
	}
	l.await("the grant to be lost", has(func(e trace.Event) bool {
		return e.Ev == trace.Drop && e.Node == "A1" && e.From == "A" && e.Type == "CS_GRANT"
	}))

	// Let everything go but B->B1, which nothing uses while A waits for
	// A1's DONE: A2 and A3 finish, and the system is still.
	quiet := Link{"B", "B1"}
	var others []Link
	for _, lk := range c.Links() {
		if lk != quiet {
			others = append(others, lk)
		}
	}
	if err := c.Release(ctx, others...); err != nil {
		t.Fatal(err)
	}
	l.await("A2 and A3 done, and A told", func(evs []trace.Event) bool {
		return has(recvOf("A", "A2", "DONE"))(evs) && has(recvOf("A", "A3", "DONE"))(evs)
	})
	// That no verdict comes can only be seen over a while: many times
	// the stall delay.
	select {
	case <-c.Done():
		t.Fatalf("the run ended while a link was held: %+v", c.Outcome())
	case <-time.After(10 * stallAfter):
	}
	if err := c.Release(ctx, quiet); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("no stall verdict within 20 s of the release")
	}
	if out := c.Outcome(); !out.Stalled || !strings.Contains(out.WaitFor, "A1") {
		t.Fatalf("outcome %+v, want a stall with A1 waiting", out)
	}
}

// Pause, resume, partition, heal, delay and kill on a run that goes on
// forever; and what the API refuses.
func TestSteerNodesAndPartition(t *testing.T) {
	l := startLive(t, liveOptions{rounds: 0, speed: 20, stallAfter: -1})
	ctx := context.Background()
	c := l.c

	// A paused node handles nothing: what is sent to it waits, its clock
	// stands still. Paused while it waits for its grant, something is
	// sure to come for it (paused inside its critical section, nobody
	// might send it anything).
	// The status is the launcher's last-known one, a batch behind: A1
	// may have had its grant already and be paused in its critical
	// section, where nothing need come for it. Then it is resumed and
	// paused again at its next wait for a grant.
	toA1 := func(rows []driver.PendingLink) bool {
		return slices.ContainsFunc(rows, func(r driver.PendingLink) bool { return r.To == "A1" && !r.Held })
	}
	var before node.Status
	for attempt := 1; ; attempt++ {
		for deadline := time.Now().Add(20 * time.Second); ; {
			st, err := c.Status(ctx, "A1")
			if err != nil {
				t.Fatal(err)
			}
			if st.State == "waiting for grant" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("A1 never waited for its grant: %s", st.State)
			}
			time.Sleep(5 * time.Millisecond)
		}
		if err := c.Pause(ctx, "A1"); err != nil {
			t.Fatal(err)
		}
		if st := c.Steering(); !slices.Equal(st.Paused, []string{"A1"}) || !st.Active() {
			t.Fatalf("after Pause(A1): %+v", st)
		}
		var err error
		if before, err = c.Status(ctx, "A1"); err != nil {
			t.Fatal(err)
		}
		if l.pendingWithin(5*time.Second, toA1) || attempt == 5 {
			break
		}
		if err := c.Resume(ctx, "A1"); err != nil {
			t.Fatal(err)
		}
		l.await("A1 to leave its critical section", has(func(e trace.Event) bool {
			return e.Ev == trace.CSExit && e.Node == "A1" && e.LC > before.LC
		}))
	}
	l.pending("messages waiting for A1", toA1)
	if after, err := c.Status(ctx, "A1"); err != nil || after.LC != before.LC {
		t.Fatalf("paused A1's clock moved from %d to %d (%v)", before.LC, after.LC, err)
	}
	if err := c.Resume(ctx, "A1"); err != nil {
		t.Fatal(err)
	}
	l.await("A1 to receive again", has(func(e trace.Event) bool {
		return e.Ev == trace.Recv && e.Node == "A1" && e.LC > before.LC
	}))
	if st := c.Steering(); st.Active() {
		t.Fatalf("after Resume(A1): %+v", st)
	}

	// A partition cuts both ways; messages across are lost.
	cut, err := c.Partition(ctx, []string{"A1", "A2"}, []string{"A3"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Link{{"A1", "A3"}, {"A2", "A3"}, {"A3", "A1"}, {"A3", "A2"}}
	if !slices.Equal(cut, want) || !slices.Equal(c.Steering().Cut, want) {
		t.Fatalf("Partition cut %v, steering %v; want %v", cut, c.Steering().Cut, want)
	}
	l.await("a message lost across the cut", has(func(e trace.Event) bool {
		return e.Ev == trace.Drop && slices.Contains(want, Link{e.From, e.Node})
	}))
	if err := c.Heal(ctx, Link{"A3", "A1"}); err != nil {
		t.Fatal(err)
	}
	if got := c.Steering().Cut; !slices.Equal(got, slices.Delete(slices.Clone(want), 2, 3)) {
		t.Fatalf("after healing A3->A1, cut: %v", got)
	}
	if err := c.Heal(ctx, c.Links()...); err != nil {
		t.Fatal(err)
	}
	if st := c.Steering(); st.Active() {
		t.Fatalf("after healing every link: %+v", st)
	}

	if err := c.Delay(ctx, 0.01, Link{"B", "B1"}); err != nil {
		t.Fatal(err)
	}
	if got := c.Steering().Delays; !slices.Equal(got, []LinkDelay{{Link{"B", "B1"}, 0.01}}) {
		t.Fatalf("delays %v", got)
	}
	if err := c.ClearDelay(ctx, Link{"B", "B1"}); err != nil {
		t.Fatal(err)
	}
	if got := c.Steering().Delays; len(got) != 0 {
		t.Fatalf("delays after ClearDelay: %v", got)
	}

	if v, err := c.Eval(ctx, "A2", "node.id"); err != nil || !strings.Contains(v, "A2") {
		t.Fatalf("Eval(A2, node.id) = %q, %v", v, err)
	}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"hold a loop", c.Hold(ctx, Link{"A1", "A1"}), "a link joins two different nodes"},
		{"hold from nowhere", c.Hold(ctx, Link{"Z9", "A1"}), `no node "Z9"`},
		{"deliver 0", func() error { _, err := c.Deliver(ctx, Link{"A", "A1"}, 0); return err }(), "count 0"},
		{"drop 0", c.Drop(ctx, Link{"A", "A1"}, 0), "count 0"},
		{"negative delay", c.Delay(ctx, -1, Link{"A", "A1"}), "delay -1 s"},
		{"one side", func() error { _, err := c.Partition(ctx, []string{"A1"}); return err }(), "needs two sides"},
		{"two sides", func() error { _, err := c.Partition(ctx, []string{"A1"}, []string{"A1", "A2"}); return err }(), "A1 is on two sides"},
		{"pause nobody", c.Pause(ctx, "Z9"), `no node "Z9"`},
		{"status nobody", func() error { _, err := c.Status(ctx, "Z9"); return err }(), `no node "Z9"`},
		{"bad Lua", func() error { _, err := c.Eval(ctx, "A1", "1 +"); return err }(), "A1: "},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, tc.err, tc.want)
		}
	}
	if st := c.Steering(); st.Active() || len(st.Delays) > 0 {
		t.Fatalf("refused commands changed the steering: %+v", st)
	}

	// A killed node counts as steering; links into it are not held.
	if err := c.Kill("B2"); err != nil {
		t.Fatal(err)
	}
	l.await("B2's exit", has(func(e trace.Event) bool { return e.Ev == trace.Exit && e.Node == "B2" }))
	if err := c.Hold(ctx, c.Links()...); err != nil {
		t.Fatal(err)
	}
	st := c.Steering()
	if !slices.Equal(st.Killed, []string{"B2"}) || slices.ContainsFunc(st.Held, func(l Link) bool { return l.To == "B2" }) ||
		len(st.Held) != len(c.Links())-7 {
		t.Fatalf("after killing B2 and holding every link: killed %v, %d held", st.Killed, len(st.Held))
	}
	if _, err := c.Pending(ctx); err != nil {
		t.Fatalf("Pending with B2 dead: %v", err)
	}
	if err := c.Pause(ctx, "B2"); err == nil || !strings.Contains(err.Error(), "B2 is not running") {
		t.Fatalf("Pause(B2) after its death: %v", err)
	}
}

// Commands and results cross the control connection as they left.
func TestControlFramesRoundTrip(t *testing.T) {
	d := 0.25
	for _, cmd := range []driver.Command{
		{Op: driver.OpStart},
		{Op: driver.OpStop, Reason: "stalled"},
		{Op: driver.OpHold, Links: driver.Links{All: true}},
		{Op: driver.OpDeliver, Links: driver.Links{From: []string{"A1"}}, N: 3},
		{Op: driver.OpDelay, Links: driver.Links{From: []string{"A1", "B"}}, Delay: &d},
		{Op: driver.OpDelay, Links: driver.Links{All: true}},
		{Op: driver.OpEval, Expr: `#queue .. "x"`},
	} {
		m, err := encodeCommand(7, cmd)
		if err != nil {
			t.Fatal(err)
		}
		id, got, err := decodeCommand(m)
		if err != nil || id != 7 || !reflect.DeepEqual(got, cmd) {
			t.Errorf("%s: decoded %d %+v (%v), want %+v", cmd.Op, id, got, err, cmd)
		}
	}
	for _, res := range []driver.Result{
		{},
		{Err: "no link Z9->A1"},
		{Moved: 2},
		{Value: "{1, 2}"},
		{Status: &node.Status{ID: "A1", Role: "lightweight", State: "running", LC: 4}},
		{Pending: []driver.PendingLink{{From: "A", To: "A1", Held: true, Types: []string{"CS_GRANT"}}}},
	} {
		id, got, err := decodeResult(encodeResult("A1", 9, res))
		if err != nil || id != 9 || !reflect.DeepEqual(got, res) {
			t.Errorf("decoded %d %+v (%v), want %+v", id, got, err, res)
		}
	}
	nan := math.NaN()
	if _, err := encodeCommand(1, driver.Command{Op: driver.OpDelay, Delay: &nan}); err == nil {
		t.Error("a NaN delay was encoded")
	}
}
