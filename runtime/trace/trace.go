// Package trace is the record of a run: JSON lines, a meta header first,
// then one event per line, written as the run goes so that a crash loses
// nothing already recorded. Real runs and simulated runs write the same
// format; check, diagram and replay read it.
//
//	{"ev":"meta","scenario":"seed","nodes":["A","B","A1",...],...}
//	{"ev":"start","t":0,"node":"A1","lc":0,"pid":4242}
//	{"ev":"send","t":1234567,"node":"A1","lc":5,"to":"A2","type":"REQUEST","ts":5,"seq":3}
//	{"ev":"recv","t":1234890,"node":"A2","lc":7,"from":"A1","type":"REQUEST","ts":5,"seq":3}
package trace

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// Event kinds.
const (
	Start   = "start"    // a node began; PID set in a real run
	Exit    = "exit"     // a node ended; Text says why ("done", "stopped", "killed", an error)
	Send    = "send"     // To, Type, TS, Seq, Payload
	Recv    = "recv"     // From, Type, TS, Seq: delivered, clock applied
	Drop    = "drop"     // From, Type, TS, Seq: a message lost on its link (REPL drop/partition)
	CSEnter = "cs_enter" // Round
	Print   = "print"    // Text: one line of the critical section's screen output
	CSExit  = "cs_exit"  // Round
	Block   = "block"    // Wait (and On, its text): what the main script waits for
	Unblock = "unblock"  // the main script runs again
	Log     = "log"      // Text from node.log
	Error   = "error"    // Text: "file:line: message"
	Tick    = "tick"     // a local event from node.clock.tick()
	Finish  = "finish"   // the main script returned; the node still answers messages
)

// CS is the critical section's shape.
type CS struct {
	Prints   int     `json:"prints"`
	Interval float64 `json:"interval"`
}

// Meta is the header line of a trace.
type Meta struct {
	Ev       string `json:"ev"` // always "meta"
	Scenario string `json:"scenario"`
	// Nodes lists every node: heavyweights first in ring order, then the
	// lightweights group by group.
	Nodes []string `json:"nodes"`
	// Algorithms maps a group id to its lightweights' algorithm.
	Algorithms map[string]string `json:"algorithms"`
	// Token is the heavyweights' algorithm.
	Token string `json:"token"`
	// Groups maps a heavyweight to its lightweights, in order.
	Groups    map[string][]string `json:"groups"`
	CS        CS                  `json:"cs"`
	Rounds    int                 `json:"rounds,omitempty"` // 0: forever
	Speed     float64             `json:"speed"`
	Addresses map[string]string   `json:"addresses,omitempty"`
	Mode      string              `json:"mode"` // "tcp" or "sim"
	Seed      int64               `json:"seed"`
	Version   string              `json:"version"`
}

// Event is one line after the header. Fields that do not apply to the
// kind are left out of the JSON.
type Event struct {
	Ev      string          `json:"ev"`
	T       int64           `json:"t"` // ns on the run's shared clock (virtual in the simulator)
	Node    string          `json:"node"`
	LC      int64           `json:"lc"` // the node's Lamport clock after the event
	PID     int             `json:"pid,omitempty"`
	To      string          `json:"to,omitempty"`
	From    string          `json:"from,omitempty"`
	Type    string          `json:"type,omitempty"`
	TS      int64           `json:"ts,omitempty"`
	Seq     int64           `json:"seq,omitempty"` // numbers the messages of one (from, to) channel from 1
	Payload json.RawMessage `json:"payload,omitempty"`
	Round   int             `json:"round,omitempty"`
	Text    string          `json:"text,omitempty"`
	On      string          `json:"on,omitempty"`   // block: the wait as text, for people
	Wait    *Wait           `json:"wait,omitempty"` // block: the wait as data

	// Line is the event's line number in the file it was read from.
	Line int `json:"-"`
}

// Sink receives events as they happen.
type Sink interface {
	Record(e Event)
}

// Writer writes a trace to an io.Writer, one line per call, safe for
// concurrent use. Every line is handed to the underlying writer at once.
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	buf bytes.Buffer
	err error
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// WriteMeta writes the header.
func (w *Writer) WriteMeta(m Meta) error {
	m.Ev = "meta"
	return w.writeJSON(m)
}

// Record writes one event. The first write error is kept and returned by Err.
func (w *Writer) Record(e Event) { _ = w.writeJSON(e) }

// Err returns the first write error.
func (w *Writer) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *Writer) writeJSON(v any) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	w.buf.Reset()
	enc := json.NewEncoder(&w.buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		w.err = err
		return err
	}
	if _, err := w.w.Write(w.buf.Bytes()); err != nil {
		w.err = err
	}
	return w.err
}

// Trace is a trace read back.
type Trace struct {
	Meta   Meta
	Events []Event
	// Warnings are problems that did not stop the read, such as a
	// truncated last line.
	Warnings []string
}

// ReadFile reads the trace at path.
func ReadFile(path string) (*Trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Count the lines first, so the events take one slice of the right
	// size instead of growing through copies (docs/trace.md, Reading).
	lines, err := countLines(f)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	t, err := read(f, lines)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// MaxNodes is the most nodes a trace may name, in its header and its
// events together: the most a scenario can have, 26 groups of a
// heavyweight and 64 lightweights (docs/trace.md). A header that
// declares more is refused before anything is built for them.
const MaxNodes = 26 * 65

// MaxLine is the longest line Read accepts.
const MaxLine = 1 << 20

// Read reads a trace. A malformed last line without its newline (a crash
// mid-write) is dropped with a warning; any other malformed line is an
// error naming its line number.
//
// What it keeps is proportional to the trace's content: the events, with
// the strings that repeat (node ids, kinds, message types) held once. A
// header or events naming more than MaxNodes nodes, or a line longer
// than MaxLine, is an error.
func Read(r io.Reader) (*Trace, error) { return read(r, 0) }

// countLines counts the newlines of r.
func countLines(r io.Reader) (int, error) {
	buf := make([]byte, 1<<16)
	n := 0
	for {
		k, err := r.Read(buf)
		n += bytes.Count(buf[:k], []byte{'\n'})
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

func read(r io.Reader, lines int) (*Trace, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	t := &Trace{Events: make([]Event, 0, lines)}
	lineNo := 0
	in := &interner{}
	nodes := map[string]bool{}
	name := func(lineNo int, id string) error {
		if id == "" || nodes[id] {
			return nil
		}
		if len(nodes) >= MaxNodes {
			return fmt.Errorf("line %d: more than %d nodes, the most a scenario can have", lineNo, MaxNodes)
		}
		nodes[id] = true
		return nil
	}
	var long []byte
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A line longer than the buffer: gather it, up to MaxLine.
			long = append(long[:0], line...)
			for err == bufio.ErrBufferFull {
				if len(long) > MaxLine {
					return nil, fmt.Errorf("line %d: longer than %d bytes", lineNo+1, MaxLine)
				}
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if len(line) == 0 && err == io.EOF {
			break
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		lineNo++
		complete := err == nil
		body := bytes.TrimSpace(line)
		if len(body) == 0 {
			if err == io.EOF {
				break
			}
			continue
		}
		if lineNo == 1 {
			m, err := readMeta(body)
			if err != nil {
				return nil, err
			}
			for _, id := range m.Nodes {
				if err := name(1, id); err != nil {
					return nil, err
				}
			}
			t.Meta = m
			continue
		}
		var e Event
		if jerr := json.Unmarshal(body, &e); jerr != nil || e.Ev == "" {
			if !complete {
				t.Warnings = append(t.Warnings, fmt.Sprintf("line %d: truncated last line ignored", lineNo))
				break
			}
			if jerr == nil {
				jerr = errors.New(`no "ev" field`)
			}
			return nil, fmt.Errorf("line %d: malformed event: %v", lineNo, jerr)
		}
		for _, id := range []string{e.Node, e.From, e.To} {
			if err := name(lineNo, id); err != nil {
				return nil, err
			}
		}
		e.Ev, e.Node, e.From, e.To, e.Type = in.s(e.Ev), in.s(e.Node), in.s(e.From), in.s(e.To), in.s(e.Type)
		e.On, e.Text = in.s(e.On), in.s(e.Text)
		e.Wait = in.wait(e.Wait)
		if len(e.Payload) == 0 || string(e.Payload) == "{}" {
			e.Payload = nil
		}
		e.Line = lineNo
		t.Events = append(t.Events, e)
		if err == io.EOF {
			break
		}
	}
	if lineNo == 0 {
		return nil, errors.New("empty trace")
	}
	return t, nil
}

// readMeta decodes the header, refusing one that declares more nodes
// than a scenario can have before it is decoded whole.
func readMeta(body []byte) (Meta, error) {
	var probe struct {
		Ev    string            `json:"ev"`
		Nodes []json.RawMessage `json:"nodes"`
	}
	if err := json.Unmarshal(body, &probe); err != nil || probe.Ev != "meta" {
		return Meta{}, errors.New("line 1: not a mutexlab trace (no meta header)")
	}
	if len(probe.Nodes) > MaxNodes {
		return Meta{}, fmt.Errorf("line 1: the header declares %d nodes, more than the %d a scenario can have", len(probe.Nodes), MaxNodes)
	}
	var m Meta
	if err := json.Unmarshal(body, &m); err != nil {
		return Meta{}, errors.New("line 1: not a mutexlab trace (no meta header)")
	}
	members := 0
	for _, g := range m.Groups {
		members += 1 + len(g)
	}
	if members > MaxNodes || len(m.Algorithms) > MaxNodes || len(m.Addresses) > MaxNodes {
		return Meta{}, fmt.Errorf("line 1: the header's groups name more than the %d nodes a scenario can have", MaxNodes)
	}
	return m, nil
}

// interner holds one copy of each repeated string and wait (a trace's
// events are read-only once read).
type interner struct {
	strs  map[string]string
	waits map[string]*Wait
}

func (in *interner) s(v string) string {
	if v == "" || len(v) > 64 {
		return v
	}
	if x, ok := in.strs[v]; ok {
		return x
	}
	if in.strs == nil {
		in.strs = map[string]string{}
	}
	in.strs[v] = v
	return v
}

func (in *interner) wait(w *Wait) *Wait {
	if w == nil {
		return nil
	}
	key := w.Kind + "\x00" + w.Type + "\x00" + w.Label + "\x00" + strings.Join(w.From, "\x00")
	if x, ok := in.waits[key]; ok {
		return x
	}
	if in.waits == nil {
		in.waits = map[string]*Wait{}
	}
	w.Kind, w.Type, w.Label = in.s(w.Kind), in.s(w.Type), in.s(w.Label)
	for i, f := range w.From {
		w.From[i] = in.s(f)
	}
	in.waits[key] = w
	return w
}
