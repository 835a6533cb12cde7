package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/trace"
)

// ScriptChange is how a script recorded in a trace's header stands now.
type ScriptChange struct {
	Script trace.Script `json:"script"`
	// Status is "changed" (the file's text differs from the recorded
	// hash) or "missing" (the file is gone; the script is searched for
	// as usual).
	Status string `json:"status"`
}

func (c ScriptChange) String() string {
	what := c.Script.Path
	if rest, ok := strings.CutPrefix(what, trace.EmbeddedPrefix); ok {
		what = "the embedded " + rest
	} else if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, what); err == nil && !strings.HasPrefix(rel, "..") {
			what = rel
		}
	}
	if c.Status == "missing" {
		return fmt.Sprintf("%s (%s) is gone since the recording; %s is searched for as usual", what, c.Script.Module, c.Script.Module)
	}
	return fmt.Sprintf("%s (%s) changed since the recording: the replay runs it as it is now", what, c.Script.Module)
}

// PinRecorded pins lib's modules to the scripts a trace's header records
// (trace.Meta.Scripts), so a replay runs the files the recorded run ran
// wherever it is started from, and reports each one that changed since
// or is gone. A trace without scripts (written before they were
// recorded) pins nothing.
func PinRecorded(lib *node.Library, m trace.Meta) []ScriptChange {
	var changes []ScriptChange
	for _, sc := range m.Scripts {
		src, err := readScript(lib, sc)
		if err != nil {
			changes = append(changes, ScriptChange{Script: sc, Status: "missing"})
			continue
		}
		if lib.Pinned == nil {
			lib.Pinned = map[string]string{}
		}
		lib.Pinned[sc.Module] = sc.Path
		if sum := sha256.Sum256(src); hex.EncodeToString(sum[:]) != sc.SHA256 {
			changes = append(changes, ScriptChange{Script: sc, Status: "changed"})
		}
	}
	return changes
}

// readScript reads a recorded script through a library pinned to it alone.
func readScript(lib *node.Library, sc trace.Script) ([]byte, error) {
	probe := &node.Library{Pinned: map[string]string{sc.Module: sc.Path}, Embedded: lib.Embedded}
	_, src, err := probe.Find(sc.Module)
	return src, err
}

// AssumesFIFO names the shipped algorithms that are correct only over
// FIFO channels (their header comments say so). Under network.reorder a
// failure of theirs is the channels', not a bug (docs/scenario.md).
var AssumesFIFO = map[string]bool{"lamport": true}

// FIFOAlgorithms lists the algorithms of s, token included, that assume
// FIFO channels, each once, in group order.
func FIFOAlgorithms(s *scenario.Scenario) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range append([]string{s.Token}, s.Algorithms()...) {
		if AssumesFIFO[a] && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}
