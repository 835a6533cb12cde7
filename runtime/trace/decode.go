package trace

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// Decoder parses event lines. The lines this package writes (an object
// of the known keys, integers, strings without escapes, a payload, a
// block's wait) take a
// fast path without reflection, which also interns the short strings
// that repeat from line to line (event kinds, node ids, message types,
// the critical section's text), so a long trace costs little to read.
// Any other line goes to encoding/json, which has the last word on what a
// valid line is: both paths give the same event for every line.
//
// A Decoder is not safe for concurrent use; use one per goroutine.
type Decoder struct {
	intern map[string]string
}

// maxInterned bounds the interning table: past it, new strings are
// allocated as usual.
const (
	maxInterned  = 4096
	maxInternLen = 64
)

// NewDecoder returns a Decoder.
func NewDecoder() *Decoder { return &Decoder{intern: map[string]string{}} }

// Decode parses one event line, with or without its newline, into e
// (which it resets; Line is left 0). e.Payload aliases line on the fast
// path: copy it to keep it past line's lifetime.
func (d *Decoder) Decode(line []byte, e *Event) error {
	*e = Event{}
	if d.fast(line, e) {
		return nil
	}
	*e = Event{}
	return json.Unmarshal(line, e)
}

// IsEventLine reports whether line is a trace event as this package
// encodes it: Ev is the first field of Event, so the line starts with
// {"ev":. The control connection tells trace lines from its own frames
// by this (docs/trace.md).
func IsEventLine(line []byte) bool { return bytes.HasPrefix(line, eventPrefix) }

var (
	eventPrefix = []byte(`{"ev":`)
	litTrue     = []byte("true")
	litFalse    = []byte("false")
)

// str returns b as a string, interned when short.
func (d *Decoder) str(b []byte) string {
	if len(b) > maxInternLen {
		return string(b)
	}
	if s, ok := d.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(d.intern) < maxInterned {
		d.intern[s] = s
	}
	return s
}

// fast parses the lines this package writes; it returns false for any
// line it is not sure of, leaving the verdict to encoding/json.
func (d *Decoder) fast(b []byte, e *Event) bool {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return false
	}
	for {
		var key []byte
		var ok bool
		if key, i, ok = rawString(b, i); !ok {
			return false
		}
		i = skipWS(b, i)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipWS(b, i+1)
		var s []byte
		var n int64
		switch string(key) {
		case "ev", "node", "to", "from", "type", "text", "on", "reason":
			if s, i, ok = rawString(b, i); !ok {
				return false
			}
			v := d.str(s)
			switch string(key) {
			case "ev":
				e.Ev = v
			case "node":
				e.Node = v
			case "to":
				e.To = v
			case "from":
				e.From = v
			case "type":
				e.Type = v
			case "text":
				e.Text = v
			case "on":
				e.On = v
			case "reason":
				e.Reason = v
			}
		case "dup":
			switch {
			case bytes.HasPrefix(b[i:], litTrue):
				e.Dup, i = true, i+len(litTrue)
			case bytes.HasPrefix(b[i:], litFalse):
				e.Dup, i = false, i+len(litFalse)
			default:
				return false
			}
		case "t", "lc", "ts", "seq", "pid", "round":
			if n, i, ok = integer(b, i); !ok {
				return false
			}
			switch string(key) {
			case "t":
				e.T = n
			case "lc":
				e.LC = n
			case "ts":
				e.TS = n
			case "seq":
				e.Seq = n
			case "pid":
				e.PID = int(n)
			case "round":
				e.Round = int(n)
			}
		case "payload":
			start := i
			if i, ok = skipValue(b, i, 0); !ok {
				return false
			}
			p := b[start:i]
			if !(len(p) == 2 && p[0] == '{' && p[1] == '}') && !json.Valid(p) {
				return false
			}
			e.Payload = p
		case "wait":
			if e.Wait != nil {
				return false // a second wait merges into the first in encoding/json
			}
			if e.Wait, i, ok = d.wait(b, i); !ok {
				return false
			}
		default:
			return false // a key this path does not know: encoding/json decides
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return false
		}
		if b[i] == ',' {
			i = skipWS(b, i+1)
			continue
		}
		if b[i] != '}' {
			return false
		}
		return skipWS(b, i+1) == len(b)
	}
}

// wait reads a block event's wait: an object of the keys Wait has, each
// once, strings and a list of strings.
func (d *Decoder) wait(b []byte, i int) (*Wait, int, bool) {
	if i >= len(b) || b[i] != '{' {
		return nil, i, false
	}
	w := &Wait{}
	var seen [4]bool
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return w, i + 1, true
	}
	for {
		key, j, ok := rawString(b, i)
		if !ok {
			return nil, i, false
		}
		i = skipWS(b, j)
		if i >= len(b) || b[i] != ':' {
			return nil, i, false
		}
		i = skipWS(b, i+1)
		k := -1
		switch string(key) {
		case "kind":
			k = 0
		case "type":
			k = 1
		case "from":
			k = 2
		case "label":
			k = 3
		}
		if k < 0 || seen[k] {
			return nil, i, false
		}
		seen[k] = true
		if k == 2 {
			if i >= len(b) || b[i] != '[' {
				return nil, i, false
			}
			w.From = []string{}
			i = skipWS(b, i+1)
			if i < len(b) && b[i] == ']' {
				i++
			} else {
				for {
					var s []byte
					if s, i, ok = rawString(b, i); !ok {
						return nil, i, false
					}
					w.From = append(w.From, d.str(s))
					i = skipWS(b, i)
					if i >= len(b) {
						return nil, i, false
					}
					if b[i] == ']' {
						i++
						break
					}
					if b[i] != ',' {
						return nil, i, false
					}
					i = skipWS(b, i+1)
				}
			}
		} else {
			var s []byte
			if s, i, ok = rawString(b, i); !ok {
				return nil, i, false
			}
			v := d.str(s)
			switch k {
			case 0:
				w.Kind = v
			case 1:
				w.Type = v
			case 3:
				w.Label = v
			}
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return nil, i, false
		}
		if b[i] == '}' {
			return w, i + 1, true
		}
		if b[i] != ',' {
			return nil, i, false
		}
		i = skipWS(b, i+1)
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// rawString reads a JSON string without escapes or control characters,
// in valid UTF-8; anything else is left to encoding/json.
func rawString(b []byte, i int) ([]byte, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, i, false
	}
	start := i + 1
	ascii := true
	for j := start; j < len(b); j++ {
		c := b[j]
		switch {
		case c == '"':
			s := b[start:j]
			if !ascii && !utf8.Valid(s) {
				return nil, i, false
			}
			return s, j + 1, true
		case c == '\\' || c < 0x20:
			return nil, i, false
		case c >= 0x80:
			ascii = false
		}
	}
	return nil, i, false
}

// integer reads a JSON integer that fits an int64 comfortably.
func integer(b []byte, i int) (int64, int, bool) {
	neg := false
	if i < len(b) && b[i] == '-' {
		neg = true
		i++
	}
	start := i
	var n int64
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		n = n*10 + int64(b[i]-'0')
		i++
	}
	digits := i - start
	if digits == 0 || digits > 18 || (digits > 1 && b[start] == '0') {
		return 0, i, false
	}
	if i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E') {
		return 0, i, false
	}
	if neg {
		n = -n
	}
	return n, i, true
}

// skipValue finds the end of the JSON value at i. It only needs to be
// right for valid JSON: the caller validates what it skipped.
func skipValue(b []byte, i, depth int) (int, bool) {
	if i >= len(b) || depth > 64 {
		return i, false
	}
	switch c := b[i]; {
	case c == '{' || c == '[':
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == closer {
			return i + 1, true
		}
		for {
			var ok bool
			if c == '{' {
				if i, ok = skipString(b, i); !ok {
					return i, false
				}
				i = skipWS(b, i)
				if i >= len(b) || b[i] != ':' {
					return i, false
				}
				i = skipWS(b, i+1)
			}
			if i, ok = skipValue(b, i, depth+1); !ok {
				return i, false
			}
			i = skipWS(b, i)
			if i >= len(b) {
				return i, false
			}
			if b[i] == closer {
				return i + 1, true
			}
			if b[i] != ',' {
				return i, false
			}
			i = skipWS(b, i+1)
		}
	case c == '"':
		return skipString(b, i)
	default:
		j := i
		for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\n' && b[j] != '\t' && b[j] != '\r' {
			j++
		}
		return j, j > i
	}
}

// skipString finds the end of the JSON string at i, escapes included.
func skipString(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return i, false
	}
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true
		}
	}
	return i, false
}

// errNoEv is the error for a line that is JSON but not an event.
var errNoEv = errors.New(`no "ev" field`)
