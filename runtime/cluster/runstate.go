package cluster

import (
	"context"
	"time"

	"mutexlab/runtime/trace"
)

// The run's state as the merged trace tells it: what each node does, what
// is in flight, when the run is complete and when it has stalled.

// Outcome says how a run ended.
type Outcome struct {
	Complete bool   // every node's script finished
	Stalled  bool   // nothing could move any more
	WaitFor  string // for a stall: who waits on what, in one line
	// Stall is the wait-for graph of a stall, its cycle first.
	Stall       *trace.Stall
	Interrupted bool // stopped by the user
	// Failed names the node whose script failed or whose process died.
	Failed string
	// Err is that node's error line ("A1: lamport.lua:12: ...").
	Err string
	// ScriptError is true when Err is a script error (exit status 2).
	ScriptError bool
	// TraceErr is why the trace could not be written, if it could not:
	// the run was stopped then.
	TraceErr string
	// Cut counts, per node, the events left out of the trace to keep it
	// consistent: events after a receive whose send never reached the
	// launcher (its node killed before it could send it). Nil when none.
	Cut map[string]int
}

type nodeState struct {
	lc       int64
	blocked  *trace.Wait // what it waits for, nil when not blocked
	finished bool
	dead     bool
	crashed  bool  // by the plan; dead too
	crashT   int64 // when
}

// Outcome says how the run ended; valid once Done is closed.
func (c *Cluster) Outcome() Outcome {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.outcome
}

// observe keeps what end-of-run and stall detection need.
func (c *Cluster) observe(e trace.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nevents++
	c.lastEvent = time.Now()
	st := c.state[e.Node]
	if st == nil {
		return
	}
	switch e.Ev {
	case trace.Send:
		c.inflight[[2]string{e.Node, e.To}]++
	case trace.Recv, trace.Drop:
		if !e.Dup { // a duplicate's copy was never in flight of its own
			c.inflight[[2]string{e.From, e.Node}]--
		}
	case trace.Block:
		st.blocked = trace.WaitOf(&e)
	case trace.Unblock:
		st.blocked = nil
	case trace.Finish:
		if !st.finished {
			c.finished++
		}
		st.finished = true
	case trace.Crash:
		st.crashed, st.dead, st.blocked, st.crashT = true, true, nil, e.T
	case trace.Restart:
		if st.finished {
			c.finished--
		}
		*st = nodeState{}
	case trace.Error:
		if c.outcome.Failed == "" && !c.stopping {
			c.outcome.Failed = e.Node
			c.outcome.Err = e.Node + ": " + e.Text
			c.outcome.ScriptError = true
			go c.Stop("stopped")
		}
	case trace.Exit:
		st.dead = true
	}
	if e.LC > st.lc {
		st.lc = e.LC
	}
	// The run is complete when every script has finished and the last
	// messages (a token passed back to a finished heavyweight) are in.
	if c.allDone() && !c.stopping && c.quiet() {
		c.outcome.Complete = true
		go c.Stop("stopped")
	}
}

// allDone reports whether every node's script has finished, but for
// those crashed by the plan for good: the run ends with the survivors.
func (c *Cluster) allDone() bool {
	if c.finished == len(c.ids) {
		return true
	}
	for _, id := range c.ids {
		if st := c.state[id]; !st.finished && !c.crashedForGood(id) {
			return false
		}
	}
	return true
}

// quiet reports whether no message is in flight.
func (c *Cluster) quiet() bool {
	for _, n := range c.inflight {
		if n > 0 {
			return false
		}
	}
	return true
}

// stalled returns the wait-for graph when no node can move, or nil.
func (c *Cluster) stalled() *trace.Stall {
	if c.steer.active() || c.stopping || c.allDone() || !c.quiet() || c.planAhead() {
		return nil
	}
	var blocked []trace.Blocked
	for _, id := range c.ids {
		st := c.state[id]
		switch {
		case st.dead, st.finished:
		case st.blocked != nil:
			blocked = append(blocked, trace.Blocked{Node: id, Wait: st.blocked})
		default:
			return nil // running, sleeping or in the critical section
		}
	}
	if len(blocked) == 0 {
		return nil
	}
	s := trace.Analyze(blocked, c.goneLocked())
	return &s
}

// goneLocked names the nodes that died (not those the run stopped).
func (c *Cluster) goneLocked() map[string]string {
	gone := map[string]string{}
	for id, st := range c.state {
		if st.dead {
			why := "exited"
			if p := c.procs[id]; p != nil && p.killed {
				why = "killed"
			}
			if st.crashed {
				// As the trace's fold says it (trace.NodeState).
				why = (&trace.NodeState{Crashed: true, CrashT: st.crashT}).Gone()
			}
			gone[id] = why
		}
	}
	return gone
}

// watchStall ends a run in which nothing can move any more.
func (c *Cluster) watchStall() {
	if c.opts.StallAfter < 0 {
		return
	}
	tick := time.NewTicker(c.opts.StallAfter / 5)
	defer tick.Stop()
	var since time.Time
	var seen int64
	for {
		select {
		case <-c.done:
			return
		case <-tick.C:
		}
		c.mu.Lock()
		w := c.stalled()
		n := c.nevents
		c.mu.Unlock()
		switch {
		case w == nil || n != seen:
			since, seen = time.Time{}, n
			if w != nil {
				since = time.Now()
			}
		case since.IsZero():
			since = time.Now()
		case time.Since(since) >= c.opts.StallAfter:
			c.mu.Lock()
			stopping := c.stopping
			if !stopping {
				c.outcome.Stalled = true
				c.outcome.Stall = w
				c.outcome.WaitFor = w.String()
			}
			c.mu.Unlock()
			if stopping {
				return
			}
			if c.opts.FreezeOnStall {
				// Paused, the nodes keep their state and answer status,
				// inspect and pending; nothing more can happen until Stop.
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				c.Pause(ctx, c.liveIDs()...)
				cancel()
			}
			if c.opts.OnStall != nil {
				c.opts.OnStall(c, w)
			}
			if !c.opts.FreezeOnStall {
				c.Stop("stalled")
			}
			return
		}
	}
}

// Frozen reports whether the run stalled and was kept, paused, for
// inspection (Options.FreezeOnStall) and is not over yet.
func (c *Cluster) Frozen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.opts.FreezeOnStall && c.outcome.Stalled && !c.stopping
}

// liveIDs returns the nodes whose process is still up.
func (c *Cluster) liveIDs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ids []string
	for _, id := range c.ids {
		if !c.state[id].dead {
			ids = append(ids, id)
		}
	}
	return ids
}

// Waits returns who waits on what now (for the REPL): the wait-for graph
// of the blocked nodes, its cycle first.
func (c *Cluster) Waits() trace.Stall {
	c.mu.Lock()
	defer c.mu.Unlock()
	var blocked []trace.Blocked
	for _, id := range c.ids {
		st := c.state[id]
		if !st.dead && !st.finished && st.blocked != nil {
			blocked = append(blocked, trace.Blocked{Node: id, Wait: st.blocked})
		}
	}
	return trace.Analyze(blocked, c.goneLocked())
}
