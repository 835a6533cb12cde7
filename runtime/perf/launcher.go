package perf

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// LauncherRSS runs `binary run FILE --json` in a process of its own and
// returns the launcher's peak resident set size in bytes: the high-water
// mark the kernel keeps (VmHWM), read every few milliseconds until the
// process exits, so at most the last few milliseconds' growth is missed.
// The nodes' memory is not counted (they are other processes).
func LauncherRSS(binary, file string, limit time.Duration) (int64, time.Duration, error) {
	cmd := exec.Command(binary, "run", file, "--json")
	cmd.Stdout = io.Discard
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
	var hwm int64
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(limit)
	for {
		select {
		case err := <-exited:
			if err != nil {
				return 0, 0, fmt.Errorf("mutexlab run: %v: %s", err, bytes.TrimSpace(stderr.Bytes()))
			}
			return hwm, time.Since(t0), nil
		case <-timeout:
			cmd.Process.Kill()
			<-exited
			return 0, 0, fmt.Errorf("mutexlab run: not done within %v", limit)
		case <-tick.C:
			if v := readKB(status, "VmHWM:"); v > hwm {
				hwm = v
			}
		}
	}
}

// readKB reads one "Name:   1234 kB" line of a /proc status file, in bytes.
func readKB(path, field string) int64 {
	v := readFields(path, field)
	return v[0]
}

// readFields reads "Name:   1234 kB" lines of a /proc status file, in
// bytes, in the order of fields; 0 for one not found.
func readFields(path string, fields ...string) []int64 {
	out := make([]int64, len(fields))
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		for i, field := range fields {
			if !bytes.HasPrefix(line, []byte(field)) {
				continue
			}
			if fs := bytes.Fields(line[len(field):]); len(fs) > 0 {
				n, _ := strconv.ParseInt(string(fs[0]), 10, 64)
				out[i] = n << 10
			}
		}
	}
	return out
}
