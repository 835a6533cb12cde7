package cluster

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"

	"mutexlab/runtime/trace"
)

// BenchmarkLauncherMemory runs the seed at full speed (one-line critical
// sections, no pause, forever) with the launcher in this process, writing
// its trace to a file, and reports the process's resident memory after
// 100,000 and after 1,000,000 trace events (docs/trace.md):
//
//	go test ./runtime/cluster -run - -bench LauncherMemory -benchtime 1x
func BenchmarkLauncherMemory(b *testing.B) {
	const total = 1_000_000
	for b.Loop() {
		f, err := os.Create(filepath.Join(b.TempDir(), "t.jsonl"))
		if err != nil {
			b.Fatal(err)
		}
		var n atomic.Int64
		at10, at100 := make(chan struct{}), make(chan struct{})
		c, err := Start(Options{Scenario: loadFullSpeed(b), Binary: bin, Trace: f, OnEvent: func(trace.Event) {
			switch n.Add(1) {
			case total / 10:
				close(at10)
			case total:
				close(at100)
			}
		}})
		if err != nil {
			b.Fatal(err)
		}
		<-at10
		rss10, heap10 := rssKB(b), heapKB()
		<-at100
		rss100, heap100 := rssKB(b), heapKB()
		c.Stop("interrupted")
		f.Close()
		b.ReportMetric(float64(rss10)/1024, "MB-RSS-at-10%")
		b.ReportMetric(float64(rss100)/1024, "MB-RSS-at-100%")
		b.ReportMetric(float64(heap10)/1024, "MB-heap-at-10%")
		b.ReportMetric(float64(heap100)/1024, "MB-heap-at-100%")
		b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "events/s")
	}
}

// heapKB is the Go heap in use.
func heapKB() int64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse / 1024)
}

// rssKB is this process's resident set size.
func rssKB(b *testing.B) int64 {
	runtime.GC() // what is live, not what the collector has yet to free
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skip("no /proc/self/status:", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmRSS:")); ok {
			kb, _ := strconv.ParseInt(string(bytes.Fields(rest)[0]), 10, 64)
			return kb
		}
	}
	b.Skip("no VmRSS")
	return 0
}
