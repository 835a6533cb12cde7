package trace

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// LineEncoder encodes trace lines: one JSON object, HTML characters left
// as they are, a newline at the end. Every line of a trace is encoded by
// one, once: by the Writer, or by a launched node before it sends the
// line to the launcher, which writes it unchanged.
//
// An Event takes a fast path without reflection (appendEvent) that writes
// the line encoding/json would, byte for byte; an event it cannot be sure
// of (a string to escape, a payload not compact, a State) and anything
// else goes through encoding/json.
//
// The zero value is ready to use; it is not safe for concurrent use.
type LineEncoder struct {
	buf  bytes.Buffer
	enc  *json.Encoder
	line []byte
}

// Encode returns v's line, newline included. The bytes are valid until
// the next call.
func (l *LineEncoder) Encode(v any) ([]byte, error) {
	switch e := v.(type) {
	case Event:
		return l.EncodeEvent(&e)
	case *Event:
		if e != nil {
			return l.EncodeEvent(e)
		}
	}
	return l.encodeJSON(v)
}

// EncodeEvent is Encode for an event, without copying it.
func (l *LineEncoder) EncodeEvent(e *Event) ([]byte, error) {
	if b, ok := appendEvent(l.line[:0], e); ok {
		l.line = b
		return b, nil
	}
	slow := *e // a copy, so that e does not escape on the fast path
	return l.encodeJSON(slow)
}

func (l *LineEncoder) encodeJSON(v any) ([]byte, error) {
	if l.enc == nil {
		l.enc = json.NewEncoder(&l.buf)
		l.enc.SetEscapeHTML(false)
	}
	l.buf.Reset()
	if err := l.enc.Encode(v); err != nil {
		return nil, err
	}
	return l.buf.Bytes(), nil
}

// appendEvent appends e's line as encoding/json writes it (the fields in
// Event's order, omitempty honoured, no HTML escaping); ok is false when
// it cannot be sure, and dst is then to be discarded.
func appendEvent(dst []byte, e *Event) ([]byte, bool) {
	if e.State != nil {
		return dst, false
	}
	var ok bool
	dst = append(dst, `{"ev":`...)
	if dst, ok = appendPlain(dst, e.Ev); !ok {
		return dst, false
	}
	dst = append(dst, `,"t":`...)
	dst = strconv.AppendInt(dst, e.T, 10)
	dst = append(dst, `,"node":`...)
	if dst, ok = appendPlain(dst, e.Node); !ok {
		return dst, false
	}
	dst = append(dst, `,"lc":`...)
	dst = strconv.AppendInt(dst, e.LC, 10)
	if e.PID != 0 {
		dst = append(dst, `,"pid":`...)
		dst = strconv.AppendInt(dst, int64(e.PID), 10)
	}
	for _, f := range [...]struct {
		key string
		v   string
	}{{`,"to":`, e.To}, {`,"from":`, e.From}, {`,"type":`, e.Type}} {
		if f.v != "" {
			dst = append(dst, f.key...)
			if dst, ok = appendPlain(dst, f.v); !ok {
				return dst, false
			}
		}
	}
	if e.TS != 0 {
		dst = append(dst, `,"ts":`...)
		dst = strconv.AppendInt(dst, e.TS, 10)
	}
	if e.Seq != 0 {
		dst = append(dst, `,"seq":`...)
		dst = strconv.AppendInt(dst, e.Seq, 10)
	}
	if len(e.Payload) != 0 {
		if !compactJSON(e.Payload) {
			return dst, false
		}
		dst = append(dst, `,"payload":`...)
		dst = append(dst, e.Payload...)
	}
	if e.Round != 0 {
		dst = append(dst, `,"round":`...)
		dst = strconv.AppendInt(dst, int64(e.Round), 10)
	}
	for _, f := range [...]struct {
		key string
		v   string
	}{{`,"text":`, e.Text}, {`,"on":`, e.On}} {
		if f.v != "" {
			dst = append(dst, f.key...)
			if dst, ok = appendPlain(dst, f.v); !ok {
				return dst, false
			}
		}
	}
	if w := e.Wait; w != nil {
		dst = append(dst, `,"wait":{"kind":`...)
		if dst, ok = appendPlain(dst, w.Kind); !ok {
			return dst, false
		}
		if w.Type != "" {
			dst = append(dst, `,"type":`...)
			if dst, ok = appendPlain(dst, w.Type); !ok {
				return dst, false
			}
		}
		if len(w.From) > 0 {
			dst = append(dst, `,"from":[`...)
			for i, id := range w.From {
				if i > 0 {
					dst = append(dst, ',')
				}
				if dst, ok = appendPlain(dst, id); !ok {
					return dst, false
				}
			}
			dst = append(dst, ']')
		}
		if w.Label != "" {
			dst = append(dst, `,"label":`...)
			if dst, ok = appendPlain(dst, w.Label); !ok {
				return dst, false
			}
		}
		dst = append(dst, '}')
	}
	if e.Reason != "" {
		dst = append(dst, `,"reason":`...)
		if dst, ok = appendPlain(dst, e.Reason); !ok {
			return dst, false
		}
	}
	if e.Dup {
		dst = append(dst, `,"dup":true`...)
	}
	return append(dst, '}', '\n'), true
}

// appendPlain appends s quoted when it needs no escape: printable ASCII
// without '"' or '\'. Anything else is left to encoding/json.
func appendPlain(dst []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return dst, false
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"'), true
}

// compactJSON reports whether p is valid JSON that encoding/json would
// write unchanged: no whitespace to take out, nothing it might escape.
func compactJSON(p []byte) bool {
	if len(p) == 2 && p[0] == '{' && p[1] == '}' {
		return true
	}
	for _, c := range p {
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '<' || c == '>' || c == '&' || c == 0xE2 {
			return false
		}
	}
	return json.Valid(p)
}
