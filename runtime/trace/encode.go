package trace

import (
	"bytes"
	"encoding/json"
)

// LineEncoder encodes trace lines: one JSON object, HTML characters left
// as they are, a newline at the end. Every line of a trace is encoded by
// one, once: by the Writer, or by a launched node before it sends the
// line to the launcher, which writes it unchanged.
//
// The zero value is ready to use; it is not safe for concurrent use.
type LineEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

// Encode returns v's line, newline included. The bytes are valid until
// the next call.
func (l *LineEncoder) Encode(v any) ([]byte, error) {
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
