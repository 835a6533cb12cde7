package transport

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// Refusals counts the connections a listener refused (strangers, wrong
// secrets, garbage) and reports them in a bounded number of lines: the
// first at once, with its reason, then at most one summary every Every
// of the refusals since, and a last one at Flush. A flood of strangers
// costs a line every ten seconds, not a line each.
type Refusals struct {
	Logf  func(format string, args ...any)
	Every time.Duration // default 10 s

	mu      sync.Mutex
	total   int
	pending map[string]int // reason -> count, not yet reported
	first   bool
	timer   *time.Timer
	stopped bool
}

// Note counts one refused connection from addr for reason (a short
// phrase: "wrong session secret"); detail is the first refusal's whole
// story.
func (r *Refusals) Note(addr, reason, detail string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total++
	if !r.first {
		r.first = true
		if r.Logf != nil {
			r.Logf("refused a connection from %s: %s (further refusals are counted and summed up every %v)", addr, detail, r.every())
		}
		return
	}
	if r.pending == nil {
		r.pending = map[string]int{}
	}
	r.pending[reason]++
	if r.timer == nil && !r.stopped {
		r.timer = time.AfterFunc(r.every(), r.tick)
	}
}

func (r *Refusals) every() time.Duration {
	if r.Every <= 0 {
		return 10 * time.Second
	}
	return r.Every
}

func (r *Refusals) tick() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.timer = nil
	r.reportLocked()
}

// Flush reports what is counted and not yet reported, and stops the
// timer: the listener is closing.
func (r *Refusals) Flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	r.reportLocked()
}

func (r *Refusals) reportLocked() {
	n := 0
	var parts []string
	for reason, k := range r.pending {
		n += k
		parts = append(parts, fmt.Sprintf("%s %d", reason, k))
	}
	if n == 0 {
		return
	}
	sort.Strings(parts)
	r.pending = nil
	if r.Logf != nil {
		r.Logf("refused %d more connection(s) (%s); %d in all", n, strings.Join(parts, ", "), r.total)
	}
}

// Total returns how many connections were refused.
func (r *Refusals) Total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total
}
