package scenario

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Fault kinds.
const (
	Crash     = "crash"
	Restart   = "restart"
	Pause     = "pause"
	Cut       = "cut"
	Partition = "partition"
)

// FaultKinds are the kinds of a fault plan's steps, in the order they
// are documented.
var FaultKinds = []string{Crash, Restart, Pause, Cut, Partition}

// AfterKinds are the events a crash or a pause may follow (Fault.After).
var AfterKinds = []string{"cs_enter", "cs_exit", "send", "recv"}

// Fault is one step of a scenario's fault plan (docs/scenario.md,
// Faults). Times are seconds before speed.
type Fault struct {
	Kind     string     // Crash, Restart, Pause, Cut, Partition
	Node     string     // crash, restart, pause: the node's id
	From, To string     // cut: the link From->To
	Both     bool       // cut: both ways ("A1<->A2")
	Sides    [][]string // partition: two or more sides, each a list of group ids; every link between sides is cut both ways
	At       float64    // seconds after the start; used when After is ""
	After    string     // crash (and pause): an event kind of Node: "cs_enter", "cs_exit", "send", "recv"
	Count    int        // with After: the Count-th such event of Node (default 1)
	Duration float64    // pause (> 0 required), cut, partition: seconds; 0 = for good (cut/partition)
}

// String is the fault as a person reads it: "crash B3 at 2.5s",
// "crash A1 after its 2nd cs_enter", "cut A1<->A2 at 1s for 2s",
// "partition A | B at 1s".
func (f Fault) String() string {
	var b strings.Builder
	b.WriteString(f.Kind)
	switch f.Kind {
	case Cut:
		arrow := "->"
		if f.Both {
			arrow = "<->"
		}
		b.WriteString(" " + f.From + arrow + f.To)
	case Partition:
		sides := make([]string, len(f.Sides))
		for i, s := range f.Sides {
			sides[i] = strings.Join(s, ",")
		}
		b.WriteString(" " + strings.Join(sides, " | "))
	default:
		b.WriteString(" " + f.Node)
	}
	if f.After != "" {
		fmt.Fprintf(&b, " after its %s %s", Ordinal(int64(max(f.Count, 1))), f.After)
	} else {
		b.WriteString(" at " + secs(f.At))
	}
	if f.Duration > 0 {
		b.WriteString(" for " + secs(f.Duration))
	}
	return b.String()
}

func secs(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) + "s" }

// Lasts reports whether the fault ends by itself: a pause, and a cut or a
// partition with a duration.
func (f Fault) Lasts() bool { return f.Duration > 0 }

// FaultLinks returns the directed links a cut or a partition cuts, as
// [from, to] pairs in a stable order (Nodes() order of from, then of to);
// nil for the other kinds. A partition cuts every link between two nodes
// of different sides, both ways.
func (s *Scenario) FaultLinks(f Fault) [][2]string {
	switch f.Kind {
	case Cut:
		out := [][2]string{{f.From, f.To}}
		if f.Both {
			out = append(out, [2]string{f.To, f.From})
		}
		return out
	case Partition:
		side := map[string]int{}
		for i, groups := range f.Sides {
			for _, g := range groups {
				side[g] = i + 1
			}
		}
		nodes := s.Nodes()
		var out [][2]string
		for _, a := range nodes {
			for _, b := range nodes {
				sa, sb := side[a.Group], side[b.Group]
				if sa != 0 && sb != 0 && sa != sb {
					out = append(out, [2]string{a.ID, b.ID})
				}
			}
		}
		return out
	}
	return nil
}

// The fields of a fault's table and what they must hold.
var faultFields = []string{Crash, Restart, Pause, Cut, Partition, "at", "after", "count", "duration"}

const (
	wantFaults    = `a list of faults { {crash = "B3", at = 2.5}, {cut = "A1->A2", at = 1, duration = 2}, ... }`
	wantFault     = `a table with one of crash, restart, pause, cut, partition, like {crash = "B3", at = 2.5}`
	wantFaultNode = "a node id of the scenario"
	wantCut       = `a link "FROM->TO" or "FROM<->TO" between two nodes of the scenario, like "A1->A2"`
	wantSides     = `a list of two or more sides, each a list of group ids, like { {"A"}, {"B", "C"} }`
	wantAfter     = `one of "cs_enter", "cs_exit", "send", "recv"`
	wantCount     = "an integer from 1 to 1000000000"
	wantProb      = "a probability from 0 to less than 1"
)

// faults decodes the fault plan: types only; check validates the values.
func (d *decoder) faults(t *lua.LTable) []Fault {
	list, ok := d.list(t, "", "faults", wantFaults)
	if !ok || d.err != nil {
		return nil
	}
	var out []Fault
	for i, v := range list {
		field := fmt.Sprintf("faults[%d]", i+1)
		ft, ok := v.(*lua.LTable)
		if !ok {
			d.fail(field, wantFault, v)
			return nil
		}
		d.known(ft, field, faultFields)
		var f Fault
		for _, k := range FaultKinds {
			if ft.RawGetString(k) == lua.LNil {
				continue
			}
			if f.Kind != "" {
				d.err = &Error{File: d.file, Field: field, Msg: fmt.Sprintf("expected one kind of fault, got both %s and %s", f.Kind, k)}
				return nil
			}
			f.Kind = k
		}
		if f.Kind == "" && d.err == nil {
			d.fail(field, wantFault, ft)
			return nil
		}
		switch f.Kind {
		case Crash, Restart, Pause:
			f.Node = d.str(ft, field, f.Kind, wantFaultNode, "")
		case Cut:
			link := d.str(ft, field, Cut, wantCut, "")
			if from, to, ok := strings.Cut(link, "<->"); ok {
				f.From, f.To, f.Both = strings.TrimSpace(from), strings.TrimSpace(to), true
			} else if from, to, ok := strings.Cut(link, "->"); ok {
				f.From, f.To = strings.TrimSpace(from), strings.TrimSpace(to)
			} else if d.err == nil {
				d.fail(field+".cut", wantCut, lua.LString(link))
			}
		case Partition:
			f.Sides = d.sides(ft, field+".partition")
		}
		f.At = d.number(ft, field, "at", wantSeconds, 0)
		if v := ft.RawGetString("after"); v != lua.LNil {
			f.After = d.str(ft, field, "after", wantAfter, "")
			if d.err == nil && f.After == "" {
				d.fail(field+".after", wantAfter, v)
			}
			if ft.RawGetString("at") != lua.LNil && d.err == nil {
				d.err = &Error{File: d.file, Field: field + ".after", Msg: "expected at or after, not both"}
			}
		}
		if v := ft.RawGetString("count"); v != lua.LNil {
			if d.err == nil && f.After == "" {
				d.err = &Error{File: d.file, Field: field + ".count", Msg: `counts the events of after; give after = "cs_enter" (or another event) with it`}
			}
			n := d.integer(ft, field, "count", wantCount, 1)
			if d.err == nil && (n < 1 || n > MaxRounds) {
				d.fail(field+".count", wantCount, v)
			}
			f.Count = int(n)
		} else if f.After != "" {
			f.Count = 1
		}
		f.Duration = d.number(ft, field, "duration", wantSeconds, 0)
		if d.err != nil {
			return nil
		}
		out = append(out, f)
	}
	return out
}

// sides decodes a partition's sides: a list of lists of strings.
func (d *decoder) sides(ft *lua.LTable, field string) [][]string {
	st, ok := ft.RawGetString(Partition).(*lua.LTable)
	if !ok {
		d.fail(field, wantSides, ft.RawGetString(Partition))
		return nil
	}
	var out [][]string
	for i := 1; ; i++ {
		v := st.RawGetInt(i)
		if v == lua.LNil {
			break
		}
		side, ok := v.(*lua.LTable)
		if !ok {
			d.fail(fmt.Sprintf("%s[%d]", field, i), wantSides, v)
			return nil
		}
		var ids []string
		for j := 1; ; j++ {
			g := side.RawGetInt(j)
			if g == lua.LNil {
				break
			}
			s, ok := g.(lua.LString)
			if !ok {
				d.fail(fmt.Sprintf("%s[%d][%d]", field, i, j), wantGroupID, g)
				return nil
			}
			ids = append(ids, string(s))
		}
		if side.Len() != len(ids) || len(ids) == 0 {
			d.fail(fmt.Sprintf("%s[%d]", field, i), "a non-empty list of group ids like {\"A\", \"B\"}", side)
			return nil
		}
		out = append(out, ids)
	}
	return out
}

// checkFaults validates the plan's values and how they fit the scenario.
func (s *Scenario) checkFaults(fail func(field, want string, v any) error) error {
	bad := func(field, msg string) error { return &Error{File: s.File, Field: field, Msg: msg} }
	nodes := strings.Join(s.NodeIDs(), " ")
	ids := map[string]bool{}
	for _, id := range s.NodeIDs() {
		ids[id] = true
	}
	groups := map[string]bool{}
	var groupIDs []string
	for _, g := range s.Groups {
		groups[g.ID] = true
		groupIDs = append(groupIDs, g.ID)
	}
	noNode := func(field, id string) error {
		msg := fmt.Sprintf("no node %q (nodes: %s)", id, nodes)
		if hint := suggestID(id, s.NodeIDs()); hint != "" {
			msg += "; did you mean " + hint + "?"
		}
		return bad(field, msg)
	}
	// crashed[node] is the time of the node's last crash at a known time
	// in the plan so far, -1 for a crash after an event.
	crashed := map[string]float64{}
	for i, f := range s.Faults {
		field := fmt.Sprintf("faults[%d]", i+1)
		kf := field + "." + f.Kind
		if !slices.Contains(FaultKinds, f.Kind) {
			return fail(field, wantFault, f.Kind)
		}
		switch f.Kind {
		case Crash, Restart, Pause:
			if !ids[f.Node] {
				return noNode(kf, f.Node)
			}
		case Cut:
			for _, id := range []string{f.From, f.To} {
				if !ids[id] {
					return noNode(kf, id)
				}
			}
			if f.From == f.To {
				return fail(kf, wantCut, f.From+"->"+f.To)
			}
		case Partition:
			if len(f.Sides) < 2 {
				return fail(kf, wantSides, fmt.Sprintf("%d side(s)", len(f.Sides)))
			}
			side := map[string]int{}
			for si, sd := range f.Sides {
				for gi, g := range sd {
					gf := fmt.Sprintf("%s[%d][%d]", kf, si+1, gi+1)
					if !groups[g] {
						return bad(gf, fmt.Sprintf("no group %q (groups: %s)", g, strings.Join(groupIDs, " ")))
					}
					if j, dup := side[g]; dup {
						return bad(gf, fmt.Sprintf("group %q is on side %d already; a group is on one side", g, j))
					}
					side[g] = si + 1
				}
			}
		}
		if !seconds(f.At) {
			return fail(field+".at", wantSeconds, f.At)
		}
		if f.After != "" {
			if f.Kind != Crash && f.Kind != Pause {
				return bad(field+".after", "only a crash or a pause can follow an event; give at = SECONDS")
			}
			if !slices.Contains(AfterKinds, f.After) {
				return fail(field+".after", wantAfter, f.After)
			}
			if f.Count < 1 || f.Count > MaxRounds {
				return fail(field+".count", wantCount, f.Count)
			}
		}
		if !seconds(f.Duration) {
			return fail(field+".duration", wantSeconds, f.Duration)
		}
		switch f.Kind {
		case Pause:
			if f.Duration <= 0 {
				return bad(field+".duration", "a pause needs a duration > 0 (seconds)")
			}
		case Crash, Restart:
			if f.Duration != 0 {
				return bad(field+".duration", "a "+f.Kind+" has no duration; restart the node with a fault of its own")
			}
		}
		switch f.Kind {
		case Crash:
			if f.After != "" {
				crashed[f.Node] = -1
			} else {
				crashed[f.Node] = f.At
			}
		case Restart:
			at, ok := crashed[f.Node]
			if !ok {
				return bad(kf, fmt.Sprintf("%s is not crashed by an earlier fault of the plan; crash it first", f.Node))
			}
			if at >= 0 && f.At <= at {
				return bad(field+".at", fmt.Sprintf("expected a time after %s's crash at %s, got %s", f.Node, secs(at), secs(f.At)))
			}
			delete(crashed, f.Node)
		}
	}
	return nil
}

// suggestID returns the id closest to s, for a typo of a node id.
func suggestID(s string, ids []string) string {
	up := strings.ToUpper(s)
	if up != s && slices.Contains(ids, up) {
		return up
	}
	return ""
}

// checkProb validates a loss or duplicate probability.
func checkProb(p float64) bool { return p >= 0 && p < 1 }
