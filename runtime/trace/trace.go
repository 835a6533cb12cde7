// Package trace is the record of a run: JSON lines, a meta header first,
// then one event per line, written as the run goes so that a crash loses
// little (docs/trace.md). Real runs and simulated runs write the same
// format; check, diagram and replay read it.
//
//	{"ev":"meta","scenario":"seed","nodes":["A","B","A1",...],...}
//	{"ev":"start","t":0,"node":"A1","lc":0,"pid":4242}
//	{"ev":"send","t":1234567,"node":"A1","lc":5,"to":"A2","type":"REQUEST","ts":5,"seq":3}
//	{"ev":"recv","t":1234890,"node":"A2","lc":7,"from":"A1","type":"REQUEST","ts":5,"seq":3}
package trace

import (
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
	Drop    = "drop"     // From, Type, TS, Seq, Reason: a message lost on its link
	CSEnter = "cs_enter" // Round
	Print   = "print"    // Text: one line of the critical section's screen output
	CSExit  = "cs_exit"  // Round
	Block   = "block"    // Wait (and On, its text): what the main script waits for
	Unblock = "unblock"  // the main script runs again
	Log     = "log"      // Text from node.log
	Error   = "error"    // Text: "file:line: message"
	Tick    = "tick"     // a local event from node.clock.tick()
	Finish  = "finish"   // the main script returned; the node still answers messages

	// Faults of the scenario's plan (docs/trace.md, Faults). Node is the
	// node the fault applies to; for cut and heal, the receiving side of
	// the link From->To (links are shaped at the receiver). LC is the
	// node's clock as it stood: a fault is not a clock event.
	Crash   = "crash"   // the node stops for good: no more events of its own
	Restart = "restart" // a crashed node starts again, fresh: new Lua state, LC from 0
	Pause   = "pause"   // the node takes no message and fires no timer until its resume
	Resume  = "resume"  // the node runs again
	Cut     = "cut"     // From, To: messages sent over the link are dropped (reason "cut")
	Heal    = "heal"    // From, To: the link carries messages again
)

// Reasons of a drop (Event.Reason).
const (
	ReasonLoss    = "loss"    // the link's loss probability (network.loss)
	ReasonCut     = "cut"     // the link was cut (a cut or a partition of the plan)
	ReasonCrashed = "crashed" // the receiver had crashed
	ReasonSteered = "steered" // the REPL's drop or partition
)

// FaultKinds are the event kinds a fault plan records.
var FaultKinds = []string{Crash, Restart, Pause, Resume, Cut, Heal}

// SeqBase is where incarnation k of a node (0 at first, k after its
// k-th restart) starts numbering the messages it sends on each channel:
// the first is SeqBase(k)+1. A restarted node's sends can then never
// take the seq of one its earlier incarnation sent (docs/trace.md).
func SeqBase(incarnation int) int64 { return int64(incarnation) << 32 }

// Incarnation is the incarnation of the sender of a message with seq.
func Incarnation(seq int64) int { return int((seq - 1) >> 32) }

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
	// File is the scenario's file: an absolute path, or
	// "embedded:seed.lua" for one built into the binary.
	File string `json:"file,omitempty"`
	// Scripts are the Lua files the run's nodes run, each with where it
	// came from and a hash of its text, so a replay finds them and can
	// tell when one changed since (docs/trace.md).
	Scripts []Script `json:"scripts,omitempty"`
}

// Script is one Lua file a run uses.
type Script struct {
	Module string `json:"module"` // "lamport", "lightweight"
	// Path is the file's absolute path, or "embedded:algorithms/lamport.lua"
	// for a script built into the binary.
	Path   string `json:"path"`
	SHA256 string `json:"sha256"` // of the file's bytes, hex
}

// EmbeddedPrefix marks a Script.Path or Meta.File built into the binary.
const EmbeddedPrefix = "embedded:"

// Embedded reports whether the script is built into the binary.
func (s Script) Embedded() bool { return strings.HasPrefix(s.Path, EmbeddedPrefix) }

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
	// Reason says why a drop's message was lost: ReasonLoss, ReasonCut,
	// ReasonCrashed, ReasonSteered; empty in traces written before
	// faults (read as steered).
	Reason string `json:"reason,omitempty"`
	// Dup marks a recv that delivers a message a second time (the
	// network's duplicate): same from, seq and type as the recv before it.
	Dup bool `json:"dup,omitempty"`
	// State is the node's algorithm state after the event, field by
	// field (the algorithm module's table without its functions, each
	// value as inspect shows it); only simulated runs asked for it
	// record it (--state).
	State map[string]string `json:"state,omitempty"`

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
	enc LineEncoder
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
	line, err := w.enc.Encode(v)
	if err != nil {
		w.err = err
		return err
	}
	if _, err := w.w.Write(line); err != nil {
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
	t, err := Read(f)
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
// than MaxLine, is an error (docs/trace.md, Reading).
func Read(r io.Reader) (*Trace, error) {
	sc, err := NewScanner(r)
	if err != nil {
		return nil, err
	}
	t := &Trace{Meta: sc.Meta()}
	in := &interner{}
	for sc.Scan() {
		e := sc.Event().Clone()
		e.Ev, e.Node, e.From, e.To, e.Type = in.s(e.Ev), in.s(e.Node), in.s(e.From), in.s(e.To), in.s(e.Type)
		e.On, e.Text, e.Reason = in.s(e.On), in.s(e.Text), in.s(e.Reason)
		e.Wait = in.wait(e.Wait)
		if len(e.Payload) == 0 || string(e.Payload) == "{}" {
			e.Payload = nil
		}
		t.Events = append(t.Events, e)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	t.Warnings = sc.Warnings()
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
