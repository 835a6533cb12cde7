package sim

import (
	"testing"

	"mutexlab/runtime/scenario"
)

// family are the shipped algorithms beyond the seed's two; each has an
// example scenario of its name: two groups of five lightweights.
var family = []string{"suzuki_kasami", "maekawa", "raymond", "central", "naimi_trehel", "roucairol_carvalho"}

// cleanRuns explores s and requires every schedule to pass every check.
func cleanRuns(t *testing.T, s *scenario.Scenario, opts ExploreOptions) {
	t.Helper()
	res := explore(t, s, opts)
	if res.Failure != nil {
		t.Fatalf("%s: schedule %d (seed %d) failed: %s", s.Name, res.Failure.Index, res.Failure.Seed, describeFailure(res.Failure))
	}
	if res.Passed != opts.Runs {
		t.Fatalf("%s: passed %d of %d", s.Name, res.Passed, opts.Runs)
	}
}

// Each algorithm of the family runs clean in its example (two groups of
// five lightweights) for 1,000 schedules, 100 with -short or -race; with the
// network's lag, over two rounds; and between five heavyweights, as
// their token, beside groups of 1, 2, 3 and 12 lightweights (A12 sorts
// after A9). By hand: mutexlab explore NAME --runs 1000
func TestFamilyClean(t *testing.T) {
	runs, more := 1000, 200
	if testing.Short() || raceOn {
		runs, more = 100, 20
	}
	for _, alg := range family {
		t.Run(alg, func(t *testing.T) {
			cleanRuns(t, load(t, alg, 1), ExploreOptions{Runs: runs, Seed: 1})
			cleanRuns(t, load(t, alg, 2), ExploreOptions{Runs: more, Seed: 1, Lag: true})

			s := load(t, alg, 2)
			s.Token = alg
			s.CS = scenario.CS{Prints: 1, Interval: 0.1}
			s.Groups = []scenario.Group{
				{ID: "A", Algorithm: alg, Lightweights: 3},
				{ID: "B", Algorithm: "lamport", Lightweights: 2},
				{ID: "C", Algorithm: alg, Lightweights: 1},
				{ID: "D", Algorithm: alg, Lightweights: 2},
				{ID: "E", Algorithm: alg, Lightweights: 12},
			}
			cleanRuns(t, s, ExploreOptions{Runs: more, Seed: 1, Lag: true})
		})
	}
}
