package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"text/tabwriter"

	"github.com/mattn/go-isatty"

	"mutexlab/runtime/perf"
)

// bench measures the runtime for real (runtime/perf): node processes on
// 127.0.0.1 against a raw JSON-lines ping-pong between two processes, the
// limit. Every figure is a median over trials, with its spread.

func init() {
	c := &command{
		name:    "bench",
		usage:   "bench [--quick] [--json]",
		summary: "runtime figures against the loopback limit",
	}
	c.run = func(args []string) error { return runBench(c, os.Stdout, args) }
	register(c)
	// The far side of the raw ping-pong: bench starts it, it is nobody's
	// command.
	register(&command{name: perf.EchoArg, usage: perf.EchoArg + " ADDR", hidden: true,
		summary: "the echo peer of bench's raw ping-pong",
		run: func(args []string) error {
			if len(args) != 1 {
				return usageErr("%s takes the address to dial", perf.EchoArg)
			}
			if err := perf.Echo(args[0]); err != nil {
				return runtimeErr("%v", err)
			}
			return nil
		}})
}

// benchBinary is the mutexlab whose processes bench measures; tests set
// it to a binary built from the tree.
var benchBinary = func() (string, error) { return os.Executable() }

// benchSizes overrides the sizes (tests use tiny ones).
var benchSizes *perf.Config

func runBench(c *command, w io.Writer, args []string) error {
	fs := newFlags(c)
	quick := fs.Bool("quick", false, "fewer trials and runs: done within 30 s")
	asJSON := fs.Bool("json", false, "print the figures as one JSON object")
	binary := fs.String("binary", "", "measure the processes of this mutexlab build instead (compare before and after a change)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("bench takes flags only, not %q", pos[0])
	}
	cfg := perf.Full
	if *quick {
		cfg = perf.Quick
	}
	if benchSizes != nil {
		cfg = *benchSizes
	}
	if cfg.Binary, err = benchBinary(); err != nil {
		return runtimeErr("%v", err)
	}
	if *binary != "" {
		if st, err := os.Stat(*binary); err != nil || st.IsDir() {
			return usageErr("--binary %s: not a mutexlab executable", *binary)
		}
		cfg.Binary = *binary
	}
	cfg.Version = Version
	prog := newBenchProgress(os.Stderr)
	defer prog.clear()
	cfg.Progress = prog.show
	rep, err := perf.Bench(cfg, runtime.NumCPU())
	prog.clear()
	if err != nil {
		return runtimeErr("bench: %v", err)
	}
	if *asJSON {
		b, _ := json.MarshalIndent(rep, "", "  ")
		_, err := fmt.Fprintln(w, string(b))
		return writeErr(err)
	}
	printBench(w, rep)
	return nil
}

func writeErr(err error) error {
	if err != nil {
		return runtimeErr("writing the output: %v", err)
	}
	return nil
}

func printBench(w io.Writer, r *perf.Report) {
	mode := "full"
	if r.Quick {
		mode = "quick"
	}
	sp := func(name string, f string) string {
		s := r.Spread[name]
		return fmt.Sprintf("["+f+"–"+f+"]", s.Min, s.Max)
	}
	fmt.Fprintf(w, "bench (%s), %d CPUs, 127.0.0.1: medians over %d trials [least–greatest], %.0f s\n\n",
		mode, r.CPUs, r.Spread["pingpong_raw_us"].N, r.Seconds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "figure\tmedian\tspread\tagainst the limit\n")
	fmt.Fprintf(tw, "ping-pong, raw Go JSON lines (2 processes)\t%.1f µs\t%s\tthe limit\n", r.PingpongRawUS, sp("pingpong_raw_us", "%.1f"))
	fmt.Fprintf(tw, "ping-pong, Lua node.receive (2 nodes)\t%.1f µs\t%s\t%.2f× raw\n", r.PingpongLuaUS, sp("pingpong_lua_us", "%.1f"), r.LuaRatio)
	fmt.Fprintf(tw, "ping-pong, Lua handlers (2 nodes)\t%.1f µs\t%s\t%.2f× raw\n", r.PingpongHandlerUS, sp("pingpong_handler_us", "%.1f"), r.HandlerRatio)
	fmt.Fprintf(tw, "seed round (prints 1, interval 0)\t%.2f ms\t%s\t%.1f× %d hops × %.1f µs one-way\n", r.SeedRoundMS, sp("seed_round_ms", "%.2f"),
		r.LimitRatio, r.CriticalPathHops, r.PingpongRawUS/2)
	fmt.Fprintf(tw, "startup, 8 processes connected\t%.0f ms\t%s\t\n", r.StartupMS, sp("startup_ms", "%.0f"))
	fmt.Fprintf(tw, "peak RSS of a node\t%.1f MB\t%s\tthe greatest of every run\n", r.RSSMBMax, sp("rss_mb", "%.1f"))
	fmt.Fprintf(tw, "  of which its own (not the binary's)\t%.1f MB\t%s\tsampled\n", r.PrivateMBMax, sp("private_mb", "%.1f"))
	for _, l := range r.Launcher {
		fmt.Fprintf(tw, "peak RSS of the launcher, %d round(s)\t%.1f MB\t\t`mutexlab run`, %.1f s\n", l.Rounds, l.RSSMB, l.Seconds)
	}
	fmt.Fprintf(tw, "simulator, one-round seed schedules\t%.0f /s\t%s\tone core\n", r.SimRunsPerS, sp("sim_runs_per_s", "%.0f"))
	tw.Flush()
	if len(r.Throughput) == 0 {
		return
	}
	fmt.Fprintf(w, "\nsaturation: two groups of N lightweights, every one entering as often as it can\n\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "algorithm\tN\tCS entries/s\tspread\tmessages/entry\tnode RSS MB\t\n")
	for _, t := range r.Throughput {
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t[%.0f–%.0f]\t%.1f\t%.1f\t\n", t.Algorithm, t.N, t.EntriesPerS, t.Spread.Min, t.Spread.Max,
			t.MessagesPerEntry, t.RSSMBMax)
	}
	tw.Flush()
}

// benchProgress names the running part on stderr, only on a terminal.
type benchProgress struct {
	w     io.Writer
	tty   bool
	shown bool
}

func newBenchProgress(f *os.File) *benchProgress {
	return &benchProgress{w: f, tty: isatty.IsTerminal(f.Fd()) && os.Getenv("TERM") != "dumb"}
}

func (p *benchProgress) show(what string) {
	if !p.tty {
		return
	}
	fmt.Fprintf(p.w, "\r\033[Kbench: %s…", what)
	p.shown = true
}

func (p *benchProgress) clear() {
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}
