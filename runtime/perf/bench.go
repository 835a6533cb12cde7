package perf

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// Config sizes one bench.
type Config struct {
	Binary  string // the mutexlab binary whose processes are measured
	Version string
	Quick   bool
	Trials  int // trials of the ping-pongs and of the seed round
	Pings   int // round trips per ping-pong trial
	// Algorithms, Sizes, SatRounds and SatTrials size the saturation runs.
	Algorithms []string
	Sizes      []int
	SatRounds  int
	SatTrials  int
	// LauncherRounds are the seed runs whose launcher is measured: the
	// launcher's memory should not grow with the run's length.
	LauncherRounds []int
	SimFor         time.Duration
	SimTrials      int
	// Progress, if set, is told what is being measured.
	Progress func(what string)
}

// Quick and Full are the sizes of `mutexlab bench --quick` and `bench`.
var (
	Quick = Config{Quick: true, Trials: 3, Pings: 300, Algorithms: []string{"lamport", "ricart_agrawala"},
		Sizes: []int{3, 8, 16}, SatRounds: 3, SatTrials: 1, LauncherRounds: []int{1, 10},
		SimFor: 400 * time.Millisecond, SimTrials: 3}
	Full = Config{Trials: 7, Pings: 1000, Algorithms: []string{"lamport", "ricart_agrawala", "roucairol_carvalho",
		"maekawa", "suzuki_kasami", "raymond", "naimi_trehel", "central"},
		Sizes: []int{3, 8, 16}, SatRounds: 10, SatTrials: 3, LauncherRounds: []int{1, 100},
		SimFor: time.Second, SimTrials: 5}
)

// Report is the bench's figures: each headline figure is a median over
// trials, and Spread holds every figure's median, least and greatest.
type Report struct {
	Quick             bool               `json:"quick"`
	CPUs              int                `json:"cpus"`
	PingpongRawUS     float64            `json:"pingpong_raw_us"`
	PingpongLuaUS     float64            `json:"pingpong_lua_us"`
	PingpongHandlerUS float64            `json:"pingpong_handler_us"`
	LuaRatio          float64            `json:"lua_ratio"`
	HandlerRatio      float64            `json:"handler_ratio"`
	SeedRoundMS       float64            `json:"seed_round_ms"`
	CriticalPathHops  int                `json:"critical_path_hops"`
	LimitRatio        float64            `json:"limit_ratio"`
	StartupMS         float64            `json:"startup_ms"`
	RSSMBMax          float64            `json:"rss_mb_max"`
	PrivateMBMax      float64            `json:"private_mb_max"`
	LauncherRSSMB     float64            `json:"launcher_rss_mb"`
	Launcher          []LauncherFigure   `json:"launcher"`
	SimRunsPerS       float64            `json:"sim_runs_per_s"`
	Throughput        []ThroughputFigure `json:"throughput"`
	Spread            map[string]Stats   `json:"spread"`
	Seconds           float64            `json:"seconds"`
}

// LauncherFigure is the launcher's peak memory over a run of some rounds.
type LauncherFigure struct {
	Rounds  int     `json:"rounds"`
	RSSMB   float64 `json:"rss_mb"`
	Seconds float64 `json:"seconds"`
}

// ThroughputFigure is one saturated run's rate.
type ThroughputFigure struct {
	Algorithm        string  `json:"algorithm"`
	N                int     `json:"n"`
	EntriesPerS      float64 `json:"entries_per_s"`
	MessagesPerEntry float64 `json:"messages_per_entry"`
	RSSMBMax         float64 `json:"rss_mb_max"`
	Spread           Stats   `json:"entries_per_s_spread"`
}

const mb = 1 << 20

// Bench measures everything, in trials interleaved so that a load that
// comes and goes on a shared machine touches every figure alike.
func Bench(cfg Config, nproc int) (*Report, error) {
	t0 := time.Now()
	say := func(f string, a ...any) {
		if cfg.Progress != nil {
			cfg.Progress(fmt.Sprintf(f, a...))
		}
	}
	dir, err := os.MkdirTemp("", "mutexlab-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	recvFile, err := PingPongScenario(dir, false, cfg.Pings+10)
	if err != nil {
		return nil, err
	}
	handFile, err := PingPongScenario(dir, true, cfg.Pings+10)
	if err != nil {
		return nil, err
	}
	seedFile, err := SeedScenario(dir, 1)
	if err != nil {
		return nil, err
	}
	const limit = 60 * time.Second
	var raw, lua, hand, round, hops, ratio, startup, rss, private []float64
	for i := range cfg.Trials {
		say("ping-pong, trial %d of %d", i+1, cfg.Trials)
		rtts, err := RawPingPong(cfg.Binary, cfg.Pings, limit)
		if err != nil {
			return nil, fmt.Errorf("raw ping-pong: %w", err)
		}
		raw = append(raw, MedianDuration(rtts))
		for _, f := range []struct {
			file string
			to   *[]float64
		}{{recvFile, &lua}, {handFile, &hand}} {
			p := &Pings{Pinger: "A", Skip: 10}
			r, err := Launch(cfg.Binary, f.file, limit, p)
			if err != nil {
				return nil, fmt.Errorf("the Lua ping-pong: %w", err)
			}
			rtts := p.RTTs
			if len(rtts) == 0 {
				return nil, errors.New("the Lua ping-pong: no round trip in the trace")
			}
			*f.to = append(*f.to, MedianDuration(rtts))
			rss = append(rss, float64(MaxRSS(r.RSS))/mb)
			private = append(private, float64(MaxRSS(r.Private))/mb)
		}
		say("seed round, trial %d of %d", i+1, cfg.Trials)
		var path Path
		r, err := Launch(cfg.Binary, seedFile, limit, &path)
		if err != nil {
			return nil, fmt.Errorf("seed round: %w", err)
		}
		h, span := path.Result()
		round = append(round, float64(span)/1e6)
		hops = append(hops, float64(h))
		if h > 0 {
			// The limit: hops one-way trips of this trial's raw ping-pong.
			ratio = append(ratio, float64(span)/1e3/(float64(h)*raw[len(raw)-1]/2))
		}
		startup = append(startup, float64(r.Startup)/1e6)
		rss = append(rss, float64(MaxRSS(r.RSS))/mb)
		private = append(private, float64(MaxRSS(r.Private))/mb)
	}
	rep := &Report{Quick: cfg.Quick, CPUs: nproc, Spread: map[string]Stats{}}
	put := func(name string, xs []float64) float64 {
		s := Summarize(xs)
		rep.Spread[name] = s
		return s.Median
	}
	rep.PingpongRawUS = put("pingpong_raw_us", raw)
	rep.PingpongLuaUS = put("pingpong_lua_us", lua)
	rep.PingpongHandlerUS = put("pingpong_handler_us", hand)
	rep.LuaRatio = rep.PingpongLuaUS / rep.PingpongRawUS
	rep.HandlerRatio = rep.PingpongHandlerUS / rep.PingpongRawUS
	rep.SeedRoundMS = put("seed_round_ms", round)
	rep.CriticalPathHops = int(put("critical_path_hops", hops))
	rep.LimitRatio = put("limit_ratio", ratio)
	rep.StartupMS = put("startup_ms", startup)

	for _, alg := range cfg.Algorithms {
		for _, n := range cfg.Sizes {
			say("saturation, %s at N = %d", alg, n)
			file, err := SaturationScenario(dir, alg, n, cfg.SatRounds)
			if err != nil {
				return nil, err
			}
			var rates, per []float64
			var peak float64
			for range cfg.SatTrials {
				var s Saturation
				r, err := Launch(cfg.Binary, file, limit, &s)
				if err != nil {
					return nil, fmt.Errorf("saturation %s N=%d: %w", alg, n, err)
				}
				if s.Entries == 0 || s.Span <= 0 {
					return nil, fmt.Errorf("saturation %s N=%d: no critical section in the trace", alg, n)
				}
				rates = append(rates, float64(s.Entries)/s.Span.Seconds())
				per = append(per, float64(s.Messages)/float64(s.Entries))
				m := float64(MaxRSS(r.RSS)) / mb
				peak = max(peak, m)
				rss = append(rss, m)
				private = append(private, float64(MaxRSS(r.Private))/mb)
			}
			st := Summarize(rates)
			rep.Throughput = append(rep.Throughput, ThroughputFigure{Algorithm: alg, N: n, EntriesPerS: st.Median,
				MessagesPerEntry: Summarize(per).Median, RSSMBMax: peak, Spread: st})
		}
	}
	rs := Summarize(rss)
	rep.RSSMBMax = rs.Max
	rep.Spread["rss_mb"] = rs
	ps := Summarize(private)
	rep.PrivateMBMax = ps.Max
	rep.Spread["private_mb"] = ps

	for _, rounds := range cfg.LauncherRounds {
		say("launcher memory, %d rounds", rounds)
		file, err := SeedScenario(dir, rounds)
		if err != nil {
			return nil, err
		}
		b, d, err := LauncherRSS(cfg.Binary, file, 5*limit)
		if err != nil {
			return nil, fmt.Errorf("launcher memory: %w", err)
		}
		rep.Launcher = append(rep.Launcher, LauncherFigure{Rounds: rounds, RSSMB: float64(b) / mb, Seconds: d.Seconds()})
		rep.LauncherRSSMB = max(rep.LauncherRSSMB, float64(b)/mb)
	}

	var sims []float64
	for i := range cfg.SimTrials {
		say("simulator, trial %d of %d", i+1, cfg.SimTrials)
		rate, _, err := SimRate(cfg.Version, cfg.SimFor, 1_000_000)
		if err != nil {
			return nil, fmt.Errorf("simulator: %w", err)
		}
		sims = append(sims, rate)
	}
	rep.SimRunsPerS = put("sim_runs_per_s", sims)
	rep.Seconds = time.Since(t0).Seconds()
	return rep, nil
}
