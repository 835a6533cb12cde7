package perf

import (
	"os"
	"testing"
	"time"

	"mutexlab/runtime/cluster/clustertest"
	"mutexlab/runtime/trace"
)

func TestMain(m *testing.M) { os.Exit(clustertest.Main(m)) }

// binary is the mutexlab measured: $MUTEXLAB_BENCH_BINARY when set (to
// compare builds with benchstat), else one built from this tree.
func binary(b *testing.B) string {
	if p := os.Getenv("MUTEXLAB_BENCH_BINARY"); p != "" {
		return p
	}
	return clustertest.Binary(b)
}

func TestSummarize(t *testing.T) {
	s := Summarize([]float64{5, 1, 3, 9})
	if s.Median != 4 || s.Min != 1 || s.Max != 9 || s.N != 4 {
		t.Fatalf("Summarize = %+v", s)
	}
	if s := Summarize([]float64{2, 7, 1}); s.Median != 2 {
		t.Fatalf("odd median = %v", s.Median)
	}
}

// TestCriticalPath: two chains, A->B->C->A (3 messages) and a lone
// D->E; the longest is 3, the span from the first send to the last
// receive.
func TestCriticalPath(t *testing.T) {
	evs := []trace.Event{
		{Ev: trace.Send, T: 10, Node: "A", To: "B", Seq: 1},
		{Ev: trace.Send, T: 11, Node: "D", To: "E", Seq: 1},
		{Ev: trace.Recv, T: 20, Node: "B", From: "A", Seq: 1},
		{Ev: trace.Recv, T: 21, Node: "E", From: "D", Seq: 1},
		{Ev: trace.Send, T: 30, Node: "B", To: "C", Seq: 1},
		{Ev: trace.Send, T: 31, Node: "E", To: "C", Seq: 1},
		{Ev: trace.Recv, T: 40, Node: "C", From: "E", Seq: 1},
		{Ev: trace.Recv, T: 41, Node: "C", From: "B", Seq: 1},
		{Ev: trace.Send, T: 50, Node: "C", To: "A", Seq: 1},
		{Ev: trace.Recv, T: 60, Node: "A", From: "C", Seq: 1},
	}
	hops, span := CriticalPath(evs)
	if hops != 3 || span != 50 {
		t.Fatalf("CriticalPath = %d hops, %v; want 3, 50ns", hops, span)
	}
}

func TestPingRTTs(t *testing.T) {
	evs := []trace.Event{
		{Ev: trace.Send, T: 0, Node: "A", Type: "PING"},
		{Ev: trace.Recv, T: 5, Node: "B", Type: "PING"},
		{Ev: trace.Recv, T: 9, Node: "A", Type: "PONG"},
		{Ev: trace.Send, T: 10, Node: "A", Type: "PING"},
		{Ev: trace.Recv, T: 17, Node: "A", Type: "PONG"},
	}
	got := PingRTTs(evs, "A", 1)
	if len(got) != 1 || got[0] != 7 {
		t.Fatalf("PingRTTs = %v, want [7ns]", got)
	}
}

// The benchmarks behind bench's figures, for benchstat: each reports its
// figure as a metric of its own (µs/rtt, ms/round, ...).

func BenchmarkRawPingPong(b *testing.B) {
	bin := binary(b)
	rtts, err := RawPingPong(bin, b.N, time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(MedianDuration(rtts), "µs/rtt")
}

func benchLua(b *testing.B, handler bool) {
	bin := binary(b)
	file, err := PingPongScenario(b.TempDir(), handler, b.N+10)
	if err != nil {
		b.Fatal(err)
	}
	p := &Pings{Pinger: "A", Skip: 10}
	r, err := Launch(bin, file, 5*time.Minute, p)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(MedianDuration(p.RTTs), "µs/rtt")
	b.ReportMetric(float64(MaxRSS(r.RSS))/(1<<20), "MB-rss")
}

func BenchmarkLuaPingPong(b *testing.B)        { benchLua(b, false) }
func BenchmarkLuaPingPongHandler(b *testing.B) { benchLua(b, true) }

// BenchmarkSeedRound launches the seed's one round b.N times.
func BenchmarkSeedRound(b *testing.B) {
	bin := binary(b)
	file, err := SeedScenario(b.TempDir(), 1)
	if err != nil {
		b.Fatal(err)
	}
	var rounds, startups []float64
	hops := 0
	for range b.N {
		var path Path
		r, err := Launch(bin, file, time.Minute, &path)
		if err != nil {
			b.Fatal(err)
		}
		h, span := path.Result()
		hops = h
		rounds = append(rounds, float64(span)/1e6)
		startups = append(startups, float64(r.Startup)/1e6)
	}
	b.ReportMetric(Summarize(rounds).Median, "ms/round")
	b.ReportMetric(Summarize(startups).Median, "ms/startup")
	b.ReportMetric(float64(hops), "hops")
}

func BenchmarkSaturationLamport8(b *testing.B) {
	bin := binary(b)
	file, err := SaturationScenario(b.TempDir(), "lamport", 8, max(1, b.N))
	if err != nil {
		b.Fatal(err)
	}
	var s Saturation
	if _, err := Launch(bin, file, 5*time.Minute, &s); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(s.Entries)/s.Span.Seconds(), "entries/s")
	b.ReportMetric(float64(s.Messages)/float64(s.Entries), "msgs/entry")
}

// BenchmarkSimulator is SimRate over b.N schedules.
func BenchmarkSimulator(b *testing.B) {
	rate, _, err := SimRate("bench", time.Hour, b.N)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(rate, "schedules/s")
}

// BenchmarkLauncherRSS runs `mutexlab run` over b.N seed rounds in a
// process of its own and reports its peak memory.
func BenchmarkLauncherRSS(b *testing.B) {
	bin := binary(b)
	file, err := SeedScenario(b.TempDir(), max(1, b.N))
	if err != nil {
		b.Fatal(err)
	}
	rss, _, err := LauncherRSS(bin, file, 10*time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(rss)/(1<<20), "MB-launcher")
}
