package trace

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Scanner reads a trace one event at a time, so that a long trace can be
// looked through in bounded memory (the REPL's views of a live run do).
// It reads what Read reads, with the same errors and warnings.
//
//	sc, err := trace.NewScanner(f)
//	for sc.Scan() {
//		e := sc.Event()
//	}
//	if err := sc.Err(); err != nil { ... }
type Scanner struct {
	br       *bufio.Reader
	dec      *Decoder
	meta     Meta
	lineNo   int
	ev       Event
	long     []byte
	err      error
	done     bool
	warnings []string
	nodes    map[string]bool // every node named so far: at most MaxNodes
}

// NewScanner reads the header of the trace in r.
func NewScanner(r io.Reader) (*Scanner, error) {
	s := &Scanner{br: bufio.NewReaderSize(r, 1<<16), dec: NewDecoder()}
	line, complete, err := s.readLine()
	if err != nil && err != io.EOF {
		return nil, err
	}
	if len(line) == 0 && err == io.EOF {
		return nil, errors.New("empty trace")
	}
	_ = complete
	body := bytes.TrimSpace(line)
	m, err2 := readMeta(body)
	if err2 != nil {
		return nil, err2
	}
	s.meta = m
	s.nodes = map[string]bool{}
	for _, id := range m.Nodes {
		s.nodes[id] = true
	}
	if err == io.EOF {
		s.done = true
	}
	return s, nil
}

// Meta returns the header.
func (s *Scanner) Meta() Meta { return s.meta }

// Scan reads the next event; it returns false at the end of the trace or
// on an error (see Err).
func (s *Scanner) Scan() bool {
	for !s.done {
		line, complete, err := s.readLine()
		if err != nil && err != io.EOF {
			s.err, s.done = err, true
			return false
		}
		if err == io.EOF {
			s.done = true
			if len(line) == 0 {
				return false
			}
		}
		body := bytes.TrimSpace(line)
		if len(body) == 0 {
			continue
		}
		derr := s.dec.Decode(body, &s.ev)
		if derr == nil && s.ev.Ev == "" {
			derr = errNoEv
		}
		if derr != nil {
			if !complete {
				s.warnings = append(s.warnings, fmt.Sprintf("line %d: truncated last line ignored", s.lineNo))
				s.done = true
				return false
			}
			s.err, s.done = fmt.Errorf("line %d: malformed event: %v", s.lineNo, derr), true
			return false
		}
		for _, id := range [3]string{s.ev.Node, s.ev.From, s.ev.To} {
			if id != "" && !s.nodes[id] {
				if len(s.nodes) >= MaxNodes {
					s.err, s.done = fmt.Errorf("line %d: more than %d nodes, the most a scenario can have", s.lineNo, MaxNodes), true
					return false
				}
				s.nodes[id] = true
			}
		}
		s.ev.Line = s.lineNo
		return true
	}
	return false
}

// Event returns the event just scanned. It and its Payload are valid
// until the next Scan; Clone keeps a copy.
func (s *Scanner) Event() *Event { return &s.ev }

// Err returns the error that ended the scan, if any.
func (s *Scanner) Err() error { return s.err }

// Warnings are problems that did not stop the scan, such as a truncated
// last line.
func (s *Scanner) Warnings() []string { return s.warnings }

// readLine returns the next line (its newline included when complete)
// and whether it ended with a newline. The line is valid until the next
// call.
func (s *Scanner) readLine() ([]byte, bool, error) {
	s.lineNo++
	line, err := s.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		s.long = append(s.long[:0], line...)
		for err == bufio.ErrBufferFull {
			if len(s.long) > MaxLine {
				return nil, false, fmt.Errorf("line %d: longer than %d bytes", s.lineNo, MaxLine)
			}
			line, err = s.br.ReadSlice('\n')
			s.long = append(s.long, line...)
		}
		line = s.long
	}
	if err != nil && err != io.EOF {
		return nil, false, err
	}
	return line, err == nil, err
}

// Clone returns a copy of e that owns its payload.
func (e *Event) Clone() Event {
	c := *e
	if c.Payload != nil {
		c.Payload = bytes.Clone(c.Payload)
	}
	return c
}
