package trace

import "bytes"

// Merger puts the event streams of a run's nodes together into one trace
// that is consistent at every prefix: a receive (or a drop) is let
// through only after the send it matches, the one with the same (from,
// to, seq), so a reader of the trace never sees a message arrive that was
// not sent. Each node's events come in that node's order; between nodes,
// in the order they are let through.
//
// Memory stays bounded by what is in flight: a node's events are held
// only from a receive whose send has not come yet until it comes, and a
// send is remembered only until its message is received or dropped.
//
// A send that can no longer come (its node's stream has ended, or was cut)
// cuts the waiting node's stream: that node's held events and all its
// later ones are left out. What is left is a consistent cut of the run,
// the state a snapshot algorithm would record.
//
// A Merger is not safe for concurrent use.
type Merger struct {
	emit    func(e *Event, line []byte)
	leave   func(e *Event)
	streams map[string]*stream
	order   []*stream
	sent    map[msgKey]struct{}
	work    []*stream
}

// msgKey names one message: its channel and its number on it.
type msgKey struct {
	from, to string
	seq      int64
}

type stream struct {
	id      string
	queue   []held
	ended   bool // every event of the node has been added
	cut     bool // a send it waits for cannot come: the rest is left out
	retired bool // ended or cut, and nothing held: it sends and receives no more
	waiting msgKey
	queued  bool // on the work list
}

type held struct {
	ev   Event
	line []byte
}

// NewMerger returns a Merger that hands every event it lets through to
// emit, with its trace line, and every event it leaves out to leave. The
// event and the line are valid only during the call.
func NewMerger(emit func(e *Event, line []byte), leave func(e *Event)) *Merger {
	return &Merger{emit: emit, leave: leave, streams: map[string]*stream{}, sent: map[msgKey]struct{}{}}
}

func (m *Merger) stream(id string) *stream {
	s := m.streams[id]
	if s == nil {
		s = &stream{id: id}
		m.streams[id] = s
		m.order = append(m.order, s)
	}
	return s
}

// Add takes the next event of node e.Node, with its trace line. The
// Merger copies what it holds: the caller may reuse e and line once Add
// returns.
func (m *Merger) Add(e *Event, line []byte) {
	s := m.stream(e.Node)
	switch {
	case s.cut || s.ended:
		m.leave(e)
	case len(s.queue) == 0 && m.ready(e):
		m.release(e, line)
	default:
		c := held{ev: e.Clone(), line: bytes.Clone(line)}
		s.queue = append(s.queue, c)
		if len(s.queue) == 1 {
			s.waiting = keyOf(e)
			m.settle(s)
		}
	}
	m.run()
}

// End says that every event of node id has been added: the sends it has
// not made will not come.
func (m *Merger) End(id string) {
	s := m.stream(id)
	if s.ended {
		return
	}
	s.ended = true
	m.settle(s)
	m.run()
}

// Reopen says that node id takes events again after End: a crashed node
// restarted (docs/trace.md, Faults). Its new incarnation's events are let
// through as any node's; what was left out of the old one stays out.
func (m *Merger) Reopen(id string) {
	s := m.stream(id)
	if len(s.queue) > 0 {
		m.cut(s)
	}
	s.ended, s.cut, s.retired = false, false, false
	s.waiting = msgKey{}
}

// Finish leaves out whatever is still held back. Call it once every
// stream has ended.
func (m *Merger) Finish() {
	for _, s := range m.order {
		if len(s.queue) > 0 {
			m.cut(s)
		}
	}
}

// Held returns how many events are held back, waiting for their sends.
func (m *Merger) Held() int {
	n := 0
	for _, s := range m.order {
		n += len(s.queue)
	}
	return n
}

// InFlight returns how many sent messages are not yet received or dropped.
func (m *Merger) InFlight() int { return len(m.sent) }

func keyOf(e *Event) msgKey {
	if e.Ev == Send {
		return msgKey{e.Node, e.To, e.Seq}
	}
	return msgKey{e.From, e.Node, e.Seq}
}

// ready reports whether e can be let through now. A duplicate's recv
// comes after the message's first recv on the same node, so after its
// send.
func (m *Merger) ready(e *Event) bool {
	if (e.Ev != Recv && e.Ev != Drop) || e.Dup {
		return true
	}
	_, ok := m.sent[keyOf(e)]
	return ok
}

func (m *Merger) release(e *Event, line []byte) {
	switch e.Ev {
	case Send:
		k := keyOf(e)
		r := m.streams[e.To]
		if r == nil || !r.retired {
			m.sent[k] = struct{}{}
		}
		if r != nil && len(r.queue) > 0 && r.waiting == k {
			m.schedule(r)
		}
	case Recv, Drop:
		if !e.Dup {
			delete(m.sent, keyOf(e))
		}
	}
	m.emit(e, line)
}

func (m *Merger) schedule(s *stream) {
	if !s.queued {
		s.queued = true
		m.work = append(m.work, s)
	}
}

// run lets through what has become ready.
func (m *Merger) run() {
	for len(m.work) > 0 {
		s := m.work[len(m.work)-1]
		m.work = m.work[:len(m.work)-1]
		s.queued = false
		m.drain(s)
	}
}

// drain lets s's held events through up to the next one that must wait.
func (m *Merger) drain(s *stream) {
	i := 0
	for i < len(s.queue) && !s.cut {
		h := &s.queue[i]
		if !m.ready(&h.ev) {
			s.waiting = keyOf(&h.ev)
			break
		}
		m.release(&h.ev, h.line)
		i++
	}
	if s.cut {
		return
	}
	n := copy(s.queue, s.queue[i:])
	clear(s.queue[n:])
	s.queue = s.queue[:n]
	if n == 0 && cap(s.queue) > 1024 {
		s.queue = nil // give back what a long wait took
	}
	m.settle(s)
}

// settle cuts s if the send it waits for cannot come, and retires s once
// it can neither send nor receive any more.
func (m *Merger) settle(s *stream) {
	if m.stuck(s) {
		m.cut(s)
		return
	}
	if m.final(s.id) && !s.retired {
		m.retire(s)
	}
}

// retire forgets the messages to s it will not receive, and cuts the
// streams that wait for a send of s: it makes none any more.
func (m *Merger) retire(s *stream) {
	s.retired = true
	for k := range m.sent {
		if k.to == s.id {
			delete(m.sent, k)
		}
	}
	for _, o := range m.order {
		if o != s && o.waiting.from == s.id && m.stuck(o) {
			m.cut(o)
		}
	}
}

// stuck reports whether s holds a receive whose send cannot come. (Its
// send may have come since s last looked: then s is on the work list.)
func (m *Merger) stuck(s *stream) bool {
	return len(s.queue) > 0 && !s.cut && !m.ready(&s.queue[0].ev) && m.final(s.waiting.from)
}

// final reports whether node id will let no more sends through.
func (m *Merger) final(id string) bool {
	s := m.streams[id]
	if s == nil {
		return false
	}
	return s.cut || (s.ended && len(s.queue) == 0)
}

func (m *Merger) cut(s *stream) {
	s.cut = true
	q := s.queue
	s.queue = nil
	for i := range q {
		m.leave(&q[i].ev)
	}
	m.settle(s)
}
