package check

import "testing"

// In the clean Lamport trace A2 waits for A1's RELEASE: one handover of
// one message; in the clean Ricart–Agrawala trace, for deferred REPLYs.
func TestMeasure(t *testing.T) {
	for _, tc := range []struct {
		file             string
		entries, msgs    int
		waits, handovers int
	}{
		{"clean_lamport.jsonl", 2, 6, 2, 1},
		{"clean_ra.jsonl", 3, 12, 3, 2},
	} {
		t.Run(tc.file, func(t *testing.T) {
			m := Measure(readTrace(t, tc.file))
			if m.Duration <= 0 || len(m.Groups) == 0 {
				t.Fatalf("measures: %+v", m)
			}
			g := m.Groups[0]
			if g.Group != "A" || g.Entries != tc.entries || g.Messages != tc.msgs || len(g.Waits) != tc.waits {
				t.Errorf("group A: %+v", g)
			}
			if len(g.Syncs) != tc.handovers {
				t.Fatalf("%d handovers, want %d: %+v", len(g.Syncs), tc.handovers, g.Syncs)
			}
			for _, s := range g.Syncs {
				if s.Hops != 1 || s.T <= 0 {
					t.Errorf("handover %+v, want 1 hop", s)
				}
			}
		})
	}
}
