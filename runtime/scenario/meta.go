package scenario

import (
	"path/filepath"
	"strings"

	"mutexlab/runtime/trace"
)

// Meta returns the trace header of a run of s: mode is "tcp" or "sim",
// addrs the nodes' addresses of a real run. File is the scenario's file,
// made absolute; the caller adds the scripts (node.Library.Preflight).
func (s *Scenario) Meta(addrs map[string]string, mode, version string) trace.Meta {
	m := trace.Meta{Scenario: s.Name, Nodes: s.NodeIDs(), Algorithms: map[string]string{}, Token: s.Token,
		Groups: map[string][]string{}, CS: trace.CS{Prints: s.CS.Prints, Interval: s.CS.Interval},
		Rounds: s.Rounds, Speed: s.Speed, Addresses: addrs, Mode: mode, Seed: s.Seed, Version: version}
	m.File = s.File
	if m.File != "" && !strings.HasPrefix(m.File, trace.EmbeddedPrefix) {
		if abs, err := filepath.Abs(m.File); err == nil {
			m.File = abs
		}
	}
	for _, n := range s.Nodes() {
		if n.Role == Heavyweight {
			m.Groups[n.ID] = n.Children
		} else {
			m.Algorithms[n.Group] = n.Algorithm
		}
	}
	return m
}
