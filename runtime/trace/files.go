package trace

import (
	"bufio"
	"container/heap"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
)

// MergeFiles puts together the traces of one run that its nodes wrote
// each for itself (nodes started by hand, on one machine or several:
// `mutexlab node --trace FILE`) and writes one trace to w, its lines in an
// order consistent at every prefix, as a launcher's Merger writes them:
// a receive after its send. The files are read as streams, the one whose
// next event is earliest first, so memory is what is in flight.
//
// Every file must be of the same run (the same scenario and nodes in its
// header), each node's events must be in one file only, and together the
// files must hold every node of the run: a subset cannot be judged (a
// receive from a node whose trace is missing has no send), so it is an
// error naming the missing nodes. Warnings (a truncated last line) are
// returned with the file named.
func MergeFiles(paths []string, w io.Writer) (warnings []string, err error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("no trace to merge")
	}
	// First pass: the headers agree, and who is in which file.
	var meta Meta
	owner := map[string]string{}
	for i, p := range paths {
		m, nodes, err := fileNodes(p)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			meta = m
		} else if err := sameRun(meta, paths[0], m, p); err != nil {
			return nil, err
		}
		for _, id := range nodes {
			if other, dup := owner[id]; dup {
				return nil, fmt.Errorf("%s: node %s's events are also in %s: give each node's trace once", p, id, other)
			}
			owner[id] = p
		}
	}
	var missing []string
	for _, id := range meta.Nodes {
		if _, ok := owner[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the traces hold %d of the run's %d nodes; missing %s (each node's own trace is needed: a receive from a node without one has no send)",
			len(meta.Nodes)-len(missing), len(meta.Nodes), strings.Join(missing, " "))
	}

	// Second pass: merge, the earliest next event first.
	bw := bufio.NewWriterSize(w, 1<<16)
	tw := NewWriter(bw)
	if err := tw.WriteMeta(meta); err != nil {
		return nil, err
	}
	var enc LineEncoder
	var werr error
	merger := NewMerger(func(e *Event, _ []byte) {
		if werr != nil {
			return
		}
		line, err := enc.Encode(e)
		if err == nil {
			_, err = bw.Write(line)
		}
		werr = err
	}, func(*Event) {})
	var q cursors
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			q.close()
			return nil, err
		}
		sc, err := NewScanner(f)
		if err != nil {
			f.Close()
			q.close()
			return nil, fmt.Errorf("%s: %v", p, err)
		}
		c := &cursor{path: p, f: f, sc: sc}
		if c.next() {
			q = append(q, c)
		} else if err := c.end(&warnings); err != nil {
			q.close()
			return nil, err
		}
	}
	heap.Init(&q)
	for len(q) > 0 {
		c := q[0]
		merger.Add(c.sc.Event(), nil)
		if c.next() {
			heap.Fix(&q, 0)
			continue
		}
		heap.Pop(&q)
		if err := c.end(&warnings); err != nil {
			q.close()
			return nil, err
		}
	}
	for _, id := range meta.Nodes {
		merger.End(id)
	}
	merger.Finish()
	if werr != nil {
		return nil, werr
	}
	return warnings, bw.Flush()
}

// fileNodes reads a trace's header and the nodes its events are of.
func fileNodes(path string) (Meta, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return Meta{}, nil, err
	}
	defer f.Close()
	sc, err := NewScanner(f)
	if err != nil {
		return Meta{}, nil, fmt.Errorf("%s: %v", path, err)
	}
	seen := map[string]bool{}
	for sc.Scan() {
		seen[sc.Event().Node] = true
	}
	if err := sc.Err(); err != nil {
		return Meta{}, nil, fmt.Errorf("%s: %v", path, err)
	}
	return sc.Meta(), slices.Sorted(maps.Keys(seen)), nil
}

// sameRun says whether two headers are of one run.
func sameRun(a Meta, pa string, b Meta, pb string) error {
	switch {
	case a.Scenario != b.Scenario:
		return fmt.Errorf("%s: a trace of scenario %q, %s of %q: not one run", pb, b.Scenario, pa, a.Scenario)
	case !slices.Equal(a.Nodes, b.Nodes):
		return fmt.Errorf("%s: its nodes (%s) are not those of %s (%s): not one run", pb, strings.Join(b.Nodes, " "), pa, strings.Join(a.Nodes, " "))
	case a.Seed != b.Seed:
		return fmt.Errorf("%s: seed %d, %s has seed %d: not one run", pb, b.Seed, pa, a.Seed)
	}
	return nil
}

// cursor is one file being merged, at its next event.
type cursor struct {
	path string
	f    *os.File
	sc   *Scanner
}

func (c *cursor) next() bool { return c.sc.Scan() }

// end closes the file and reports how its scan ended.
func (c *cursor) end(warnings *[]string) error {
	c.f.Close()
	if err := c.sc.Err(); err != nil {
		return fmt.Errorf("%s: %v", c.path, err)
	}
	for _, w := range c.sc.Warnings() {
		*warnings = append(*warnings, c.path+": "+w)
	}
	return nil
}

// cursors is a heap of files by the time of their next event.
type cursors []*cursor

func (q cursors) Len() int           { return len(q) }
func (q cursors) Less(i, j int) bool { return q[i].sc.Event().T < q[j].sc.Event().T }
func (q cursors) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *cursors) Push(x any)        { *q = append(*q, x.(*cursor)) }
func (q *cursors) Pop() any {
	old := *q
	c := old[len(old)-1]
	*q = old[:len(old)-1]
	return c
}

func (q cursors) close() {
	for _, c := range q {
		c.f.Close()
	}
}
