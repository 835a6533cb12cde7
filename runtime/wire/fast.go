package wire

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// The fast paths. Nearly every frame a node reads was written by Encode,
// so it has one form: the four keys in order, no spaces, ts a plain
// integer. decodeFast parses exactly that form without reflection and
// gives up on anything else, which then goes to the strict decoder; for
// every line both give the same message or the fast path gives up
// (FuzzFastDecode holds them to it). appendFast writes the frame that
// json.Marshal would, byte for byte, when the payload is already compact
// and has nothing json.Marshal would escape (FuzzFastEncode).

var (
	prefixType   = []byte(`{"type":"`)
	prefixSender = []byte(`","sender":"`)
	prefixTS     = []byte(`","ts":`)
	prefixPay    = []byte(`,"payload":`)
)

// decodeFast parses a frame in Encode's form; ok is false for any other.
func decodeFast(line []byte) (m Message, ok bool) {
	b := line
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if !bytes.HasPrefix(b, prefixType) {
		return m, false
	}
	i := len(prefixType)
	j := i
	for j < len(b) && b[j] != '"' {
		c := b[j]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return m, false
		}
		j++
	}
	typ := b[i:j]
	if !bytes.HasPrefix(b[j:], prefixSender) {
		return m, false
	}
	i = j + len(prefixSender)
	j = i
	for j < len(b) && b[j] != '"' {
		c := b[j]
		if !(isLetter(c) || c >= '0' && c <= '9' || c == '_') {
			return m, false
		}
		j++
	}
	sender := b[i:j]
	if !bytes.HasPrefix(b[j:], prefixTS) {
		return m, false
	}
	i = j + len(prefixTS)
	j = i
	var ts int64
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		ts = ts*10 + int64(b[j]-'0')
		j++
	}
	if d := j - i; d == 0 || d > 18 || (d > 1 && b[i] == '0') {
		return m, false
	}
	if !bytes.HasPrefix(b[j:], prefixPay) {
		return m, false
	}
	i = j + len(prefixPay)
	if len(b) < i+3 || b[i] != '{' || b[len(b)-1] != '}' {
		return m, false
	}
	p := b[i : len(b)-1]
	if !(len(p) == 2 && p[1] == '}') && !json.Valid(p) {
		return m, false
	}
	m = Message{Type: string(typ), Sender: string(sender), TS: ts, Payload: bytes.Clone(p)}
	if !ValidType(m.Type) || !ValidID(m.Sender) {
		return Message{}, false
	}
	return m, true
}

// appendFast appends m's frame (newline included) to dst as json.Marshal
// would write it; ok is false when it cannot be sure, and dst is then
// unchanged. m has been validated.
func appendFast(dst []byte, m Message) ([]byte, bool) {
	p := m.Payload
	for _, c := range p {
		// Whitespace json.Marshal would compact away, characters it
		// escapes (<, >, &, and U+2028/U+2029 start with 0xE2).
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '<' || c == '>' || c == '&' || c == 0xE2 {
			return dst, false
		}
	}
	if !(len(p) == 2 && p[0] == '{' && p[1] == '}') && !json.Valid(p) {
		return dst, false
	}
	dst = append(dst, prefixType...)
	dst = append(dst, m.Type...)
	dst = append(dst, prefixSender...)
	dst = append(dst, m.Sender...)
	dst = append(dst, prefixTS...)
	dst = strconv.AppendInt(dst, m.TS, 10)
	dst = append(dst, prefixPay...)
	dst = append(dst, p...)
	return append(dst, '}', '\n'), true
}
