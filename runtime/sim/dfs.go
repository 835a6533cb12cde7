package sim

// dfs is the policy of the exhaustive search: a stateless depth-first
// enumeration of the choice points with sleep sets (Godefroid, 1996).
//
// Each schedule is run from the start. The stack holds one frame per
// choice point of the current path (a state with two or more steps worth
// taking); a frame lists those steps and which one the path takes. After
// a schedule, backtrack moves the deepest frame to its next step, so the
// next run follows the same path up to there and diverges.
//
// Steps of different nodes commute: each changes only its own node and
// appends to its own outgoing channels. So after exploring step a at a
// frame, a sibling b's subtree need not try a again while only steps
// independent of a happen: a goes to sleep, and wakes when a step of a's
// node is taken. A run in which every enabled step is asleep is a
// schedule already covered (Pruned). Every schedule that differs in some
// node's history is still covered, each once.
type dfs struct {
	stack []frame
	depth int       // frames passed in the current run
	sleep []sleeper // the current sleep set
	spare []sleeper
	// full turns the sleep sets off: every interleaving is a schedule of
	// its own (tests compare the reduction against it).
	full bool
	// diverged is set when a replayed prefix met a different state: the
	// scripts are not deterministic (math.random, say).
	diverged bool
}

type frame struct {
	alts []sleeper // the awake steps of the choice point, in order
	next int       // the one the current path takes; alts[:next] are done
}

// sleeper names a step across runs and the node it belongs to (-1:
// advancing time, which depends on every step).
type sleeper struct {
	id   uint64
	node int
}

func (d *dfs) begin() {
	d.depth = 0
	d.sleep = d.sleep[:0]
}

// backtrack moves to the next path; false when every path is done.
func (d *dfs) backtrack() bool {
	for len(d.stack) > 0 {
		f := &d.stack[len(d.stack)-1]
		f.next++
		if f.next < len(f.alts) {
			return true
		}
		d.stack = d.stack[:len(d.stack)-1]
	}
	return false
}

func independent(a, b sleeper) bool { return a.node >= 0 && b.node >= 0 && a.node != b.node }

func (d *dfs) asleep(id uint64) bool {
	for _, s := range d.sleep {
		if s.id == id {
			return true
		}
	}
	return false
}

func (d *dfs) pick(_ *machine, en []step) int {
	var awake []sleeper
	first := -1
	for i, s := range en {
		if !d.asleep(s.id) {
			if first < 0 {
				first = i
			}
			awake = append(awake, sleeper{s.id, s.node})
		}
	}
	if first < 0 {
		return -1
	}
	var take sleeper
	var done []sleeper
	switch {
	case len(awake) < 2:
		take = awake[0]
	case d.depth < len(d.stack):
		f := &d.stack[d.depth]
		take, done = f.alts[f.next], f.alts[:f.next]
		d.depth++
	default:
		d.stack = append(d.stack, frame{alts: awake})
		take = awake[0]
		d.depth++
	}
	idx := -1
	for i, s := range en {
		if s.id == take.id {
			idx = i
			break
		}
	}
	if idx < 0 {
		d.diverged = true
		return -1
	}
	// The child's sleep set: what sleeps here or was explored here, and
	// commutes with the step taken.
	next := d.spare[:0]
	for _, set := range [2][]sleeper{d.sleep, done} {
		for _, s := range set {
			if independent(s, take) {
				next = append(next, s)
			}
		}
	}
	if d.full {
		next = next[:0]
	}
	d.spare, d.sleep = d.sleep, next
	return idx
}
