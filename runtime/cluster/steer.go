package cluster

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"mutexlab/runtime/driver"
	"mutexlab/runtime/node"
)

// Steering a live run: holding, delivering, dropping, delaying and cutting
// the messages of its links, pausing and killing its nodes, looking inside
// them. The REPL and the tests call these methods; each is a typed
// control command (runtime/node control.go) sent to the nodes concerned.
// A link is shaped at its receiving node, which keeps the channel's order.
//
// The cluster keeps the one record of what is in force (Steering), from
// the commands the nodes applied. While anything holds the system still
// (a held or cut link, a paused or killed node), a still system is the
// user's doing and the stall detector gives no verdict.
//
// Links into a node that is no longer running are skipped: nothing
// arrives there. Steering commands are applied one at a time.

// Link is a directed channel: From's messages to To.
type Link struct{ From, To string }

func (l Link) String() string { return l.From + "->" + l.To }

// ErrNotHeld is Deliver's error for a link that is not held.
var ErrNotHeld = errors.New("not held: its messages flow anyway")

// Steering is what is in force, links and nodes in the scenario's order.
type Steering struct {
	Held   []Link
	Cut    []Link
	Delays []LinkDelay // links whose delay replaces the scenario's
	Paused []string
	Killed []string
}

// LinkDelay is a link's delay in seconds, before the speed divides it.
type LinkDelay struct {
	Link
	Seconds float64
}

// Active reports whether anything holds the system still: then a still
// system is not a stall.
func (s Steering) Active() bool {
	return len(s.Held) > 0 || len(s.Cut) > 0 || len(s.Paused) > 0 || len(s.Killed) > 0
}

// steering is the cluster's record, kept under Cluster.mu.
type steering struct {
	held, cut      map[Link]bool
	delay          map[Link]float64
	paused, killed map[string]bool
}

func newSteering() steering {
	return steering{held: map[Link]bool{}, cut: map[Link]bool{}, delay: map[Link]float64{},
		paused: map[string]bool{}, killed: map[string]bool{}}
}

func (s *steering) active() bool {
	return len(s.held) > 0 || len(s.cut) > 0 || len(s.paused) > 0 || len(s.killed) > 0
}

// Links returns every link of the run: each ordered pair of distinct
// nodes, in the scenario's order.
func (c *Cluster) Links() []Link {
	var out []Link
	for _, from := range c.ids {
		for _, to := range c.ids {
			if from != to {
				out = append(out, Link{from, to})
			}
		}
	}
	return out
}

// Steering returns what is in force now.
func (c *Cluster) Steering() Steering {
	c.mu.Lock()
	defer c.mu.Unlock()
	var s Steering
	for _, l := range c.Links() {
		if c.steer.held[l] {
			s.Held = append(s.Held, l)
		}
		if c.steer.cut[l] {
			s.Cut = append(s.Cut, l)
		}
		if d, ok := c.steer.delay[l]; ok {
			s.Delays = append(s.Delays, LinkDelay{l, d})
		}
	}
	for _, id := range c.ids {
		if c.steer.paused[id] {
			s.Paused = append(s.Paused, id)
		}
		if c.steer.killed[id] {
			s.Killed = append(s.Killed, id)
		}
	}
	return s
}

// Hold makes the messages of links wait, in order, until Deliver or
// Release.
func (c *Cluster) Hold(ctx context.Context, links ...Link) error {
	_, err := c.linkCommand(ctx, driver.Command{Op: driver.OpHold}, links,
		func(s *steering, l Link) { s.held[l] = true })
	return err
}

// Release stops holding links; what waited is delivered.
func (c *Cluster) Release(ctx context.Context, links ...Link) error {
	_, err := c.linkCommand(ctx, driver.Command{Op: driver.OpRelease}, links,
		func(s *steering, l Link) { delete(s.held, l) })
	return err
}

// Deliver lets the next n messages waiting on a held link through, in
// order, and returns how many there were (at most n).
func (c *Cluster) Deliver(ctx context.Context, l Link, n int) (int, error) {
	if err := c.checkCount(l, n); err != nil {
		return 0, err
	}
	c.steerMu.Lock()
	defer c.steerMu.Unlock()
	c.mu.Lock()
	held := c.steer.held[l]
	c.mu.Unlock()
	if !held {
		return 0, fmt.Errorf("%s is %w", l, ErrNotHeld)
	}
	res, err := c.command(ctx, l.To, driver.Command{Op: driver.OpDeliver, Links: driver.Links{From: []string{l.From}}, N: n})
	return res.Moved, err
}

// Drop loses the next n messages of a link, whenever they come.
func (c *Cluster) Drop(ctx context.Context, l Link, n int) error {
	if err := c.checkCount(l, n); err != nil {
		return err
	}
	c.steerMu.Lock()
	defer c.steerMu.Unlock()
	_, err := c.command(ctx, l.To, driver.Command{Op: driver.OpDrop, Links: driver.Links{From: []string{l.From}}, N: n})
	return err
}

// Delay gives links a delay of seconds per message (divided by the run's
// speed) instead of the scenario's.
func (c *Cluster) Delay(ctx context.Context, seconds float64, links ...Link) error {
	if seconds < 0 || math.IsNaN(seconds) || math.IsInf(seconds, 0) {
		return fmt.Errorf("delay %g s: want a number of seconds ≥ 0", seconds)
	}
	_, err := c.linkCommand(ctx, driver.Command{Op: driver.OpDelay, Delay: &seconds}, links,
		func(s *steering, l Link) { s.delay[l] = seconds })
	return err
}

// ClearDelay gives links the scenario's delay again.
func (c *Cluster) ClearDelay(ctx context.Context, links ...Link) error {
	_, err := c.linkCommand(ctx, driver.Command{Op: driver.OpDelay}, links,
		func(s *steering, l Link) { delete(s.delay, l) })
	return err
}

// Partition cuts every link between nodes of different groups, both ways:
// what waits on them and what comes is lost until Heal. It returns the
// links it cut.
func (c *Cluster) Partition(ctx context.Context, groups ...[]string) ([]Link, error) {
	side := map[string]int{}
	sides := 0
	for i, g := range groups {
		if len(g) > 0 {
			sides++
		}
		for _, id := range g {
			if err := c.checkNode(id); err != nil {
				return nil, err
			}
			if j, dup := side[id]; dup && j != i {
				return nil, fmt.Errorf("%s is on two sides", id)
			}
			side[id] = i
		}
	}
	if sides < 2 {
		return nil, errors.New("a partition needs two sides")
	}
	var links []Link
	for _, l := range c.Links() {
		a, okA := side[l.From]
		b, okB := side[l.To]
		if okA && okB && a != b {
			links = append(links, l)
		}
	}
	return c.linkCommand(ctx, driver.Command{Op: driver.OpCut}, links,
		func(s *steering, l Link) { s.cut[l] = true })
}

// Heal undoes Partition on links.
func (c *Cluster) Heal(ctx context.Context, links ...Link) error {
	_, err := c.linkCommand(ctx, driver.Command{Op: driver.OpHeal}, links,
		func(s *steering, l Link) { delete(s.cut, l) })
	return err
}

// Pending lists the links with messages waiting on them, receivers in the
// scenario's order.
func (c *Cluster) Pending(ctx context.Context) ([]driver.PendingLink, error) {
	ids := c.running(c.ids)
	res, errs := c.each(ctx, ids, func(string) driver.Command { return driver.Command{Op: driver.OpPending} })
	var out []driver.PendingLink
	for _, r := range res {
		out = append(out, r.Pending...)
	}
	return out, firstErr(errs)
}

// Pause stops nodes handling events; what arrives waits until Resume.
func (c *Cluster) Pause(ctx context.Context, ids ...string) error {
	return c.nodeCommand(ctx, driver.OpPause, ids, true)
}

// Resume lets paused nodes go on.
func (c *Cluster) Resume(ctx context.Context, ids ...string) error {
	return c.nodeCommand(ctx, driver.OpResume, ids, false)
}

// Status asks a node what it is doing.
func (c *Cluster) Status(ctx context.Context, id string) (node.Status, error) {
	res, err := c.command(ctx, id, driver.Command{Op: driver.OpStatus})
	if err == nil && res.Status == nil {
		err = fmt.Errorf("%s sent no status", id)
	}
	if err != nil {
		return node.Status{}, err
	}
	return *res.Status, nil
}

// State returns a node's algorithm state (its module's table, without
// functions), between two of its events.
func (c *Cluster) State(ctx context.Context, id string) (string, error) {
	res, err := c.command(ctx, id, driver.Command{Op: driver.OpState})
	return res.Value, err
}

// Eval evaluates a Lua expression in a node, between two of its events.
func (c *Cluster) Eval(ctx context.Context, id, expr string) (string, error) {
	res, err := c.command(ctx, id, driver.Command{Op: driver.OpEval, Expr: expr})
	return res.Value, err
}

func (c *Cluster) checkNode(id string) error {
	if !slices.Contains(c.ids, id) {
		return fmt.Errorf("no node %q", id)
	}
	return nil
}

func (c *Cluster) checkLink(l Link) error {
	if err := c.checkNode(l.From); err != nil {
		return err
	}
	if err := c.checkNode(l.To); err != nil {
		return err
	}
	if l.From == l.To {
		return fmt.Errorf("no link %s: a link joins two different nodes", l)
	}
	return nil
}

func (c *Cluster) checkCount(l Link, n int) error {
	if err := c.checkLink(l); err != nil {
		return err
	}
	if n < 1 {
		return fmt.Errorf("count %d: want a whole number ≥ 1", n)
	}
	return nil
}

// running returns the nodes of ids still running.
func (c *Cluster) running(ids []string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, id := range ids {
		if !c.state[id].dead {
			out = append(out, id)
		}
	}
	return out
}

// linkCommand sends cmd to the receiver of each link that is running,
// naming the link's senders, and records the links of the receivers that
// applied it. It returns those links, and the first error.
func (c *Cluster) linkCommand(ctx context.Context, cmd driver.Command, links []Link, record func(*steering, Link)) ([]Link, error) {
	from := map[string][]string{}
	for _, l := range links {
		if err := c.checkLink(l); err != nil {
			return nil, err
		}
		if !slices.Contains(from[l.To], l.From) {
			from[l.To] = append(from[l.To], l.From)
		}
	}
	c.steerMu.Lock()
	defer c.steerMu.Unlock()
	var to []string
	for _, id := range c.running(c.ids) {
		if len(from[id]) > 0 {
			to = append(to, id)
		}
	}
	_, errs := c.each(ctx, to, func(id string) driver.Command {
		cmd := cmd
		cmd.Links = driver.Links{From: from[id]}
		return cmd
	})
	applied := map[string]bool{}
	for i, id := range to {
		applied[id] = errs[i] == nil
	}
	var done []Link
	c.mu.Lock()
	for _, l := range links {
		if applied[l.To] && !slices.Contains(done, l) {
			record(&c.steer, l)
			done = append(done, l)
		}
	}
	c.mu.Unlock()
	return done, firstErr(errs)
}

// nodeCommand sends op to every node of ids and records them as paused
// (or not) once they applied it.
func (c *Cluster) nodeCommand(ctx context.Context, op driver.Op, ids []string, paused bool) error {
	for _, id := range ids {
		if err := c.checkNode(id); err != nil {
			return err
		}
	}
	c.steerMu.Lock()
	defer c.steerMu.Unlock()
	_, errs := c.each(ctx, ids, func(string) driver.Command { return driver.Command{Op: op} })
	c.mu.Lock()
	for i, id := range ids {
		if errs[i] != nil {
			continue
		}
		if paused {
			c.steer.paused[id] = true
		} else {
			delete(c.steer.paused, id)
		}
	}
	c.mu.Unlock()
	return firstErr(errs)
}

// each sends a command to every node of ids at once and returns their
// results and errors in the order of ids.
func (c *Cluster) each(ctx context.Context, ids []string, cmd func(id string) driver.Command) ([]driver.Result, []error) {
	res := make([]driver.Result, len(ids))
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() { res[i], errs[i] = c.command(ctx, id, cmd(id)) })
	}
	wg.Wait()
	return res, errs
}

// firstErr is the first error of errs in order, or nil: one line for the
// user, about the first node that refused.
func firstErr(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
