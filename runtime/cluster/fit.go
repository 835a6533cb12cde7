package cluster

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"mutexlab/runtime/scenario"
)

// What a run costs in memory, measured on Linux with launched nodes at
// one P each and GOGC=50 (nodeRuntime): the machine's used memory
// (MemTotal - MemAvailable) grew by 10.1 GB at 26 groups of 64 (1,690
// nodes, 65 links each; the processes' own memory, summed as PSS, was
// 8.8 GB of it, the launcher 0.8 GB, the rest the kernel's sockets and
// page tables) and by 2.5 to 2.9 GB at 26 groups of 32; with every link
// dialled before the start, by 10.5 GB, and by 9.7 GB once a link's
// writer lost its buffer and its reader's shrank to 1 KB (GB here are
// 2^30 bytes). A node costs about 2.5 MB, and 48 KB more for each peer
// it keeps a connection with;
// the launcher about 0.2 MB a node (0.17 GB at 858 nodes, since its
// reading buffers grow only as needed; 0.8 GB at 1,690 before).
const (
	nodeBase    = 5 << 19  // 2.5 MB: Go runtime, Lua VM, scripts, kernel
	perLink     = 48 << 10 // two sockets, their buffers and goroutines
	launcherMem = 64 << 20
	perNodeCtl  = 256 << 10 // the launcher's share for one node
)

// Estimate is the memory a launched run of s is expected to take, in
// bytes: its node processes and the launcher.
func Estimate(s *scenario.Scenario) int64 {
	total := int64(launcherMem)
	for _, n := range s.Nodes() {
		total += perNodeCtl
		links := len(n.Peers) + len(n.Children)
		if n.Parent != "" {
			links++
		}
		total += nodeBase + int64(links)*perLink
	}
	return total
}

// Descriptors is how many files the launcher holds open for a run of n
// nodes: while they start, each node's listening socket, its stdout and
// stderr pipes and its control connection; and a few of its own. (A node
// holds two sockets for each peer it talks to, at most 130 or so: far
// below any limit.)
func Descriptors(n int) uint64 { return uint64(4*n + 64) }

// Fits refuses, in one line, a run of s that would not fit in the memory
// the machine has available (MemAvailable in /proc/meminfo): the
// processes would thrash the machine rather than fail; or that needs
// more open files than the launcher may have. Where a figure cannot be
// read (not Linux), the run fits.
func Fits(s *scenario.Scenario) error {
	if limit, ok := openFiles(); ok {
		if need := Descriptors(len(s.NodeIDs())); need > limit {
			return &scenario.Error{File: s.File, Field: "groups", Msg: fmt.Sprintf(
				"%d processes need about %d open files in the launcher, and it may open %d (ulimit -n); raise the limit or run fewer lightweights",
				len(s.NodeIDs()), need, limit)}
		}
	}
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	avail, ok := memAvailable(f)
	if !ok {
		return nil
	}
	return fits(s, avail)
}

func fits(s *scenario.Scenario, avail int64) error {
	need := Estimate(s)
	if need <= avail {
		return nil
	}
	return &scenario.Error{File: s.File, Field: "groups", Msg: fmt.Sprintf(
		"%d processes need about %s of memory, and this machine has %s available (MemAvailable); run fewer lightweights, or free memory",
		len(s.NodeIDs()), sizeText(need), sizeText(avail))}
}

// memAvailable reads MemAvailable from /proc/meminfo, in bytes.
func memAvailable(r io.Reader) (int64, bool) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, false
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || kb < 0 {
			return 0, false
		}
		return kb << 10, true
	}
	return 0, false
}

// sizeText is "6.1 GB", "850 MB".
func sizeText(b int64) string {
	if b >= 1<<30 {
		return fmt.Sprintf("%.1f GB", float64(b)/(1<<30))
	}
	return fmt.Sprintf("%d MB", b>>20)
}
