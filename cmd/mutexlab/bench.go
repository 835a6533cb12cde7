package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"time"

	"github.com/mattn/go-isatty"

	"mutexlab/runtime/node"
	"mutexlab/runtime/scenario"
	"mutexlab/runtime/sim"
	"mutexlab/runtime/transport"
	"mutexlab/runtime/wire"
)

// bench measures the runtime for real on 127.0.0.1: raw loopback TCP (the
// limit), the project's transport against it, the transport's round trip,
// and the simulator's speed. Every loop is bounded in count and in time.

func init() {
	c := &command{
		name:    "bench",
		usage:   "bench [--quick] [--json]",
		summary: "runtime figures against the loopback limit",
	}
	c.run = func(args []string) error { return runBench(c, os.Stdout, args) }
	register(c)
}

// benchSizes are the counts and time bounds of one bench.
type benchSizes struct {
	messages  int           // frames for (a) and (b)
	pings     int           // round trips for (c)
	simFor    time.Duration // how long (d) runs
	simMax    int           // and at most how many schedules
	timeLimit time.Duration // per part: stop sending after it
}

var (
	benchQuick = benchSizes{messages: 200_000, pings: 500, simFor: 250 * time.Millisecond, simMax: 5_000, timeLimit: 1500 * time.Millisecond}
	benchFull  = benchSizes{messages: 2_000_000, pings: 5_000, simFor: time.Second, simMax: 100_000, timeLimit: 5 * time.Second}
)

// benchReport is the --json document.
type benchReport struct {
	Quick      bool           `json:"quick"`
	FrameBytes int            `json:"frame_bytes"`
	Loopback   benchThrough   `json:"loopback"`
	Transport  benchThrough   `json:"transport"`
	RoundTrip  benchRoundTrip `json:"round_trip"`
	Sim        benchSim       `json:"sim"`
}

type benchThrough struct {
	Messages        int     `json:"messages"`
	Seconds         float64 `json:"seconds"`
	MessagesPerS    float64 `json:"messages_per_s"`
	MBPerS          float64 `json:"mb_per_s"`
	RatioToLoopback float64 `json:"ratio_to_loopback,omitempty"`
}

type benchRoundTrip struct {
	Count    int     `json:"count"`
	MedianUS float64 `json:"median_us"`
	P99US    float64 `json:"p99_us"`
}

type benchSim struct {
	Scenario     string  `json:"scenario"`
	Runs         int     `json:"runs"`
	Seconds      float64 `json:"seconds"`
	RunsPerS     float64 `json:"runs_per_s"`
	StepsPerRun  float64 `json:"steps_per_run"`
	EventsPerRun float64 `json:"events_per_run"`
}

func runBench(c *command, w io.Writer, args []string) error {
	fs := newFlags(c)
	quick := fs.Bool("quick", false, "small counts: done in a second or two")
	asJSON := fs.Bool("json", false, "print the figures as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("bench takes flags only, not %q", pos[0])
	}
	sz := benchFull
	if *quick {
		sz = benchQuick
	}
	prog := newBenchProgress(os.Stderr)
	defer prog.clear()

	frame, err := wire.Encode(benchMessage(1))
	if err != nil {
		return runtimeErr("%v", err)
	}
	doc := benchReport{Quick: *quick, FrameBytes: len(frame)}

	prog.show("raw loopback TCP")
	if doc.Loopback, err = benchLoopback(frame, sz); err != nil {
		return runtimeErr("loopback: %v", err)
	}
	prog.show("transport throughput")
	if doc.Transport, err = benchTransport(len(frame), sz); err != nil {
		return runtimeErr("transport: %v", err)
	}
	if doc.Loopback.MessagesPerS > 0 {
		doc.Transport.RatioToLoopback = doc.Transport.MessagesPerS / doc.Loopback.MessagesPerS
	}
	prog.show("transport round trip")
	if doc.RoundTrip, err = benchRoundTrips(sz); err != nil {
		return runtimeErr("round trip: %v", err)
	}
	prog.show("simulator")
	if doc.Sim, err = benchSimulator(sz); err != nil {
		return classify(err)
	}
	prog.clear()

	if *asJSON {
		b, _ := json.MarshalIndent(doc, "", "  ")
		fmt.Fprintln(w, string(b))
		return nil
	}
	printBench(w, &doc)
	return nil
}

// benchMessage is a REQUEST as the seed's lightweights send it.
func benchMessage(ts int64) wire.Message {
	return wire.Message{Type: wire.Request, Sender: "A1", TS: ts, Payload: json.RawMessage(`{"round":1}`)}
}

func through(n, frameBytes int, d time.Duration) benchThrough {
	secs := d.Seconds()
	if secs <= 0 {
		secs = 1e-9
	}
	return benchThrough{Messages: n, Seconds: secs, MessagesPerS: float64(n) / secs,
		MBPerS: float64(n*frameBytes) / secs / 1e6}
}

// benchLoopback writes frames on one loopback connection as fast as it can
// and reads them as JSON lines on the other side: the limit.
func benchLoopback(frame []byte, sz benchSizes) (benchThrough, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return benchThrough{}, err
	}
	defer ln.Close()
	type accepted struct {
		c   net.Conn
		err error
	}
	acc := make(chan accepted, 1)
	go func() {
		c, err := ln.Accept()
		acc <- accepted{c, err}
	}()
	out, err := net.DialTimeout("tcp", ln.Addr().String(), 2*time.Second)
	if err != nil {
		return benchThrough{}, err
	}
	defer out.Close()
	a := <-acc
	if a.err != nil {
		return benchThrough{}, a.err
	}
	in := a.c
	defer in.Close()

	deadline := time.Now().Add(sz.timeLimit)
	in.SetDeadline(deadline.Add(5 * time.Second))
	out.SetDeadline(deadline.Add(5 * time.Second))
	sent := make(chan int, 1)
	start := time.Now()
	go func() {
		bw := bufio.NewWriterSize(out, 64*1024)
		n := 0
		for n < sz.messages {
			if _, err := bw.Write(frame); err != nil {
				break
			}
			n++
			if n%4096 == 0 && time.Now().After(deadline) {
				break
			}
		}
		bw.Flush()
		sent <- n
		out.(*net.TCPConn).CloseWrite()
	}()
	br := bufio.NewReaderSize(in, 64*1024)
	got := 0
	for {
		line, err := br.ReadSlice('\n')
		if err == io.EOF {
			break
		}
		if err != nil {
			return benchThrough{}, err
		}
		if len(line) > 0 {
			got++
		}
	}
	elapsed := time.Since(start)
	if n := <-sent; got != n {
		return benchThrough{}, fmt.Errorf("sent %d frames, read %d", n, got)
	}
	return through(got, len(frame), elapsed), nil
}

// benchPair starts transports A and B on loopback.
func benchPair() (a, b *transport.TCP, err error) {
	la, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	lb, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		la.Close()
		return nil, nil, err
	}
	addrs := map[string]string{"A1": la.Addr().String(), "A2": lb.Addr().String()}
	a = transport.NewTCP(transport.TCPConfig{ID: "A1", Session: "bench", Listener: la, Addresses: addrs})
	b = transport.NewTCP(transport.TCPConfig{ID: "A2", Session: "bench", Listener: lb, Addresses: addrs})
	return a, b, nil
}

// benchTransport sends the same count through a transport pair A1 -> A2.
// The time includes the first dial and handshake.
func benchTransport(frameBytes int, sz benchSizes) (benchThrough, error) {
	a, b, err := benchPair()
	if err != nil {
		return benchThrough{}, err
	}
	defer a.Close()
	defer b.Close()
	deadline := time.Now().Add(sz.timeLimit)
	start := time.Now()
	sent := 0
	got := 0
	// Keep at most a window of messages in flight, so the sender's queue
	// stays small.
	const window = 8192
	timeout := time.NewTimer(time.Until(deadline.Add(5 * time.Second)))
	defer timeout.Stop()
	for got < sent || (sent < sz.messages && time.Now().Before(deadline)) {
		for sent < sz.messages && sent-got < window && time.Now().Before(deadline) {
			if err := a.Send("A2", benchMessage(int64(sent+1))); err != nil {
				return benchThrough{}, err
			}
			sent++
			if sent%1024 == 0 {
				break
			}
		}
		select {
		case <-b.Incoming():
			got++
		case <-timeout.C:
			return benchThrough{}, fmt.Errorf("received %d of %d messages in time", got, sent)
		}
	drain:
		for got < sent {
			select {
			case <-b.Incoming():
				got++
			default:
				break drain
			}
		}
	}
	return through(got, frameBytes, time.Since(start)), nil
}

// benchRoundTrips measures ping-pong through a transport pair.
func benchRoundTrips(sz benchSizes) (benchRoundTrip, error) {
	a, b, err := benchPair()
	if err != nil {
		return benchRoundTrip{}, err
	}
	stop := make(chan struct{})
	echoed := make(chan struct{})
	go func() {
		defer close(echoed)
		for {
			select {
			case m := <-b.Incoming():
				m.Sender = "A2"
				if b.Send("A1", m) != nil {
					return
				}
			case <-stop:
				return
			}
		}
	}()
	defer func() {
		close(stop)
		<-echoed
		a.Close()
		b.Close()
	}()
	deadline := time.Now().Add(sz.timeLimit)
	ping := func(i int) (time.Duration, error) {
		t0 := time.Now()
		if err := a.Send("A2", benchMessage(int64(i))); err != nil {
			return 0, err
		}
		select {
		case <-a.Incoming():
			return time.Since(t0), nil
		case <-time.After(5 * time.Second):
			return 0, fmt.Errorf("no answer to ping %d within 5 s", i)
		}
	}
	// Warm up: dial both connections.
	for i := range 10 {
		if _, err := ping(i); err != nil {
			return benchRoundTrip{}, err
		}
	}
	var rtts []time.Duration
	for i := 0; i < sz.pings && time.Now().Before(deadline); i++ {
		d, err := ping(i)
		if err != nil {
			return benchRoundTrip{}, err
		}
		rtts = append(rtts, d)
	}
	slices.Sort(rtts)
	q := func(p float64) float64 {
		i := min(len(rtts)-1, int(p*float64(len(rtts))))
		return float64(rtts[i]) / 1e3
	}
	return benchRoundTrip{Count: len(rtts), MedianUS: q(0.5), P99US: q(0.99)}, nil
}

// benchSimulator runs complete one-round seed schedules for a while.
func benchSimulator(sz benchSizes) (benchSim, error) {
	s, err := scenario.Default()
	if err != nil {
		return benchSim{}, err
	}
	s.Rounds = 1
	lib := node.NewLibrary()
	start := time.Now()
	runs, steps, events := 0, 0, 0
	for runs < sz.simMax && (runs == 0 || time.Since(start) < sz.simFor) {
		res, err := sim.Run(s, lib, Version, sim.Options{Seed: int64(runs + 1)})
		if err != nil {
			return benchSim{}, err
		}
		if res.Outcome != sim.Complete {
			return benchSim{}, fmt.Errorf("seed schedule %d did not complete: %s", runs+1, res.Outcome)
		}
		runs++
		steps += res.Steps
		events += len(res.Trace.Events)
	}
	secs := time.Since(start).Seconds()
	return benchSim{Scenario: s.Name, Runs: runs, Seconds: secs, RunsPerS: float64(runs) / secs,
		StepsPerRun: float64(steps) / float64(runs), EventsPerRun: float64(events) / float64(runs)}, nil
}

func printBench(w io.Writer, d *benchReport) {
	mode := "full"
	if d.Quick {
		mode = "quick"
	}
	fmt.Fprintf(w, "bench (%s) on 127.0.0.1, frames of %d bytes\n\n", mode, d.FrameBytes)
	fmt.Fprintf(w, "  raw loopback TCP    %10.0f msg/s  %7.1f MB/s   (%d frames, %.3fs)  the limit\n",
		d.Loopback.MessagesPerS, d.Loopback.MBPerS, d.Loopback.Messages, d.Loopback.Seconds)
	fmt.Fprintf(w, "  transport A1->A2    %10.0f msg/s  %7.1f MB/s   (%d frames, %.3fs)  %.1f%% of the limit\n",
		d.Transport.MessagesPerS, d.Transport.MBPerS, d.Transport.Messages, d.Transport.Seconds, 100*d.Transport.RatioToLoopback)
	fmt.Fprintf(w, "  transport round trip  median %.0f µs, p99 %.0f µs   (%d ping-pongs)\n",
		d.RoundTrip.MedianUS, d.RoundTrip.P99US, d.RoundTrip.Count)
	fmt.Fprintf(w, "  simulator           %10.0f schedules/s   (one-round %s, %d schedules, %.0f steps each, one core)\n",
		d.Sim.RunsPerS, d.Sim.Scenario, d.Sim.Runs, d.Sim.StepsPerRun)
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
