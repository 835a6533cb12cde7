// Package wire is the node-to-node message format: one JSON object per
// line, at most MaxLine bytes, exactly the seed's schema
//
//	{"type": "REQUEST", "sender": "A1", "ts": 12, "payload": {}}
//
// plus the HELLO handshake that opens every connection. Decoding is strict
// (unknown fields, missing fields, a bad type word or a non-object payload
// are errors) so a broken peer is noticed at once and never crashes the
// reader.
package wire

import (
	"bufio"
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxLine is the largest frame, newline included.
const MaxLine = 64 * 1024

// The message types of the seed system and the handshake.
const (
	Hello   = "HELLO"
	Request = "REQUEST"
	Reply   = "REPLY"
	Release = "RELEASE"
	Token   = "TOKEN"
	CSGrant = "CS_GRANT"
	Done    = "DONE"
)

// Message is one frame on the wire.
type Message struct {
	Type    string          `json:"type"`
	Sender  string          `json:"sender"`
	TS      int64           `json:"ts"`
	Payload json.RawMessage `json:"payload"`
}

// EmptyPayload is the payload of a message that carries none.
var EmptyPayload = json.RawMessage(`{}`)

// ValidType reports whether s is a message type word: [A-Z][A-Z0-9_]{0,31}.
func ValidType(s string) bool {
	if len(s) == 0 || len(s) > 32 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// ValidID reports whether s can name a node: [A-Za-z][A-Za-z0-9_]{0,31}.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > 32 || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(isLetter(c) || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }

// Validate checks a message against the schema.
func (m Message) Validate() error {
	if !ValidType(m.Type) {
		return fmt.Errorf("type %q is not an upper-case word ([A-Z][A-Z0-9_]{0,31})", m.Type)
	}
	if !ValidID(m.Sender) {
		return fmt.Errorf("sender %q is not a node id", m.Sender)
	}
	if m.TS < 0 {
		return fmt.Errorf("ts %d is negative", m.TS)
	}
	p := bytes.TrimSpace(m.Payload)
	if len(p) == 0 || p[0] != '{' {
		return fmt.Errorf("payload must be a JSON object, got %.40s", string(p))
	}
	return nil
}

// Encode returns the frame for m, newline included.
func Encode(m Message) ([]byte, error) {
	if len(m.Payload) == 0 {
		m.Payload = EmptyPayload
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if b, ok := appendFast(make([]byte, 0, 48+len(m.Type)+len(m.Sender)+len(m.Payload)), m); ok {
		if len(b) > MaxLine {
			return nil, fmt.Errorf("encode %s: frame of %d bytes exceeds %d", m.Type, len(b), MaxLine)
		}
		return b, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", m.Type, err)
	}
	b = append(b, '\n')
	if len(b) > MaxLine {
		return nil, fmt.Errorf("encode %s: frame of %d bytes exceeds %d", m.Type, len(b), MaxLine)
	}
	return b, nil
}

// strict mirrors Message with pointers so that missing fields are noticed.
type strict struct {
	Type    *string          `json:"type"`
	Sender  *string          `json:"sender"`
	TS      *int64           `json:"ts"`
	Payload *json.RawMessage `json:"payload"`
}

// Decode parses one frame (with or without its newline): Encode's form
// on the fast path (fast.go), anything else strictly.
func Decode(line []byte) (Message, error) {
	if m, ok := decodeFast(line); ok {
		return m, nil
	}
	return decodeStrict(line)
}

// decodeStrict is the decoder with the last word on what a frame is.
func decodeStrict(line []byte) (Message, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	var s strict
	if err := dec.Decode(&s); err != nil {
		return Message{}, fmt.Errorf("bad frame: %w", err)
	}
	if dec.More() {
		return Message{}, errors.New("bad frame: more than one JSON value on the line")
	}
	switch {
	case s.Type == nil:
		return Message{}, errors.New("bad frame: missing field \"type\"")
	case s.Sender == nil:
		return Message{}, errors.New("bad frame: missing field \"sender\"")
	case s.TS == nil:
		return Message{}, errors.New("bad frame: missing field \"ts\"")
	case s.Payload == nil:
		return Message{}, errors.New("bad frame: missing field \"payload\"")
	}
	m := Message{Type: *s.Type, Sender: *s.Sender, TS: *s.TS, Payload: *s.Payload}
	if err := m.Validate(); err != nil {
		return Message{}, fmt.Errorf("bad frame: %w", err)
	}
	return m, nil
}

// ErrTooLong is returned by Reader.Read for a line over MaxLine bytes.
var ErrTooLong = fmt.Errorf("frame exceeds %d bytes", MaxLine)

// Reader reads frames from a stream. Its buffer starts small
// (readBuffer) and a longer line is gathered in a second one, up to
// MaxLine: a node holds a reader per incoming link, and most frames are
// a hundred bytes.
type Reader struct {
	br   *bufio.Reader
	long []byte
}

// readBuffer is a Reader's buffer for the frames that fit it.
const readBuffer = 1 << 10

// NewReader returns a Reader over r.
func NewReader(r io.Reader) *Reader { return &Reader{br: bufio.NewReaderSize(r, readBuffer)} }

// Read returns the next message. At the end of the stream it returns
// io.EOF; a line cut short by the end of the stream is io.ErrUnexpectedEOF.
func (r *Reader) Read() (Message, error) {
	line, err := r.ReadLine()
	if err != nil {
		return Message{}, err
	}
	return Decode(line)
}

// ReadLine returns the next raw line without its newline, valid until
// the next call. A line over MaxLine bytes, newline included, is
// ErrTooLong.
func (r *Reader) ReadLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = r.br.ReadSlice('\n')
			if len(r.long)+len(line) > MaxLine {
				return nil, ErrTooLong
			}
			r.long = append(r.long, line...)
		}
		line = r.long
	}
	switch {
	case err == io.EOF && len(line) > 0:
		return nil, io.ErrUnexpectedEOF
	case err != nil:
		return nil, err
	}
	return line[:len(line)-1], nil
}

// ReadFirst reads the first line of a connection from r, whose buffer
// (bufio.NewReaderSize(conn, n)) bounds it: a stranger's first line costs
// no more than that. A line longer than the buffer is ErrFirstTooLong.
// Go on reading the connection through r: it holds what came after.
func ReadFirst(r *bufio.Reader) (Message, error) {
	line, err := r.ReadSlice('\n')
	switch {
	case err == bufio.ErrBufferFull:
		return Message{}, ErrFirstTooLong
	case err == io.EOF && len(line) > 0:
		return Message{}, io.ErrUnexpectedEOF
	case err != nil:
		return Message{}, err
	}
	return Decode(line)
}

// ErrFirstTooLong is a first line longer than the buffer it is read with.
var ErrFirstTooLong = errors.New("first line too long for a HELLO")

// HelloPayload is the payload of the HELLO that opens a connection.
type HelloPayload struct {
	Session string `json:"session"`
}

// NewHello returns the HELLO a node sends first on a connection it dials.
func NewHello(sender, session string) Message {
	p, _ := json.Marshal(HelloPayload{Session: session})
	return Message{Type: Hello, Sender: sender, Payload: p}
}

// CheckHello verifies that m is a HELLO for this run's session from a node
// that known accepts, and returns the sender.
func CheckHello(m Message, session string, known func(id string) bool) (string, error) {
	if m.Type != Hello {
		return "", fmt.Errorf("first message is %s, not HELLO", m.Type)
	}
	var p HelloPayload
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return "", fmt.Errorf("HELLO from %s: bad payload: %v", m.Sender, err)
	}
	if subtle.ConstantTimeCompare([]byte(p.Session), []byte(session)) != 1 {
		return "", fmt.Errorf("HELLO from %s: wrong session secret", m.Sender)
	}
	if known != nil && !known(m.Sender) {
		return "", fmt.Errorf("HELLO from %s: not a node of this run", m.Sender)
	}
	return m.Sender, nil
}
