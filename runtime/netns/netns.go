// Package netns puts the groups of a run on hosts of their own: one
// Linux network namespace per group, each joined by a veth pair to one
// bridge, with an address of its own (10.77.G.1/16 for the G-th group;
// the bridge, where the launcher listens for its nodes, is 10.77.0.1). A
// message between groups crosses a real kernel network, not loopback.
// Runs at the same time each take a /16 of their own (10.78, 10.79, ...):
// the first free one is chosen under a lock.
//
// Where the kernel has the netem queueing discipline, the scenario's
// network delay and jitter become `tc qdisc ... netem` on every
// namespace's links; where it has not (many container kernels), the
// runtime's own delays stay in force and the run's header says so.
//
// Everything made is named from a prefix and the launcher's pid
// (namespaces mlx<pid>-A, the bridge mlx<pid>b, veths mlx<pid>A and
// mlx<pid>An), so Close removes exactly what this run made, and Sweep,
// at the next start, removes what a launcher killed with SIGKILL left
// behind: whatever has the prefix and a pid that is no longer running.
//
// It needs root (CAP_NET_ADMIN) and iproute2's `ip` (and `tc` for netem).
// It imports no other mutexlab package.
package netns

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Prefix begins the name of everything this package makes.
const Prefix = "mlx"

// Net is the namespaces of one run.
type Net struct {
	pid    int
	octet  int // the run's addresses are 10.octet.x.x
	groups []string
	bridge string
	made   []string // namespaces made, for Close
	// Netem says whether delays are netem's (true) or the runtime's.
	Netem bool
	// NoNetem is why netem is not used, when it is not.
	NoNetem string
}

// Shaping is what netem should add to every packet leaving a host.
type Shaping struct {
	Delay, Jitter time.Duration
}

// Usable says why namespaces cannot be made here, or nil: not root, no
// `ip`, not Linux.
func Usable() error {
	if runtime.GOOS != "linux" {
		return errors.New("--netns needs Linux network namespaces")
	}
	if os.Geteuid() != 0 {
		return errors.New("--netns needs root (network namespaces, veth pairs and a bridge are made with ip; run it with sudo)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return errors.New("--netns needs iproute2's ip command (apt-get install iproute2)")
	}
	return nil
}

// names of this run's things.
func nsName(pid int, g string) string   { return fmt.Sprintf("%s%d-%s", Prefix, pid, g) }
func bridgeName(pid int) string         { return fmt.Sprintf("%s%db", Prefix, pid) }
func vethHost(pid int, g string) string { return fmt.Sprintf("%s%d%s", Prefix, pid, g) }
func vethNode(pid int, g string) string { return fmt.Sprintf("%s%d%sn", Prefix, pid, g) }

// hostAddr is the address of the i-th group's host (from 0).
func (n *Net) hostAddr(i int) string { return fmt.Sprintf("10.%d.%d.1", n.octet, i+1) }

// bridgeAddr is the launcher's address on the bridge.
func (n *Net) bridgeAddr() string { return fmt.Sprintf("10.%d.0.1", n.octet) }

// freeOctet returns the first N from 77 such that no interface has an
// address in 10.N.0.0/16.
func freeOctet() (int, error) {
	out, err := exec.Command("ip", "-o", "-4", "addr", "show").Output()
	if err != nil {
		return 0, fmt.Errorf("ip -o -4 addr show: %v", err)
	}
	used := map[int]bool{}
	for _, m := range inet10.FindAllStringSubmatch(string(out), -1) {
		n, _ := strconv.Atoi(m[1])
		used[n] = true
	}
	for n := 77; n < 255; n++ {
		if !used[n] {
			return n, nil
		}
	}
	return 0, errors.New("no free 10.N.0.0/16 for the hosts' addresses")
}

var inet10 = regexp.MustCompile(`inet 10\.(\d+)\.`)

// Create makes a namespace per group (groups in ring order, one letter
// each), with shaping applied by netem where the kernel has it. On an
// error everything made so far is removed.
func Create(groups []string, sh Shaping) (n *Net, err error) {
	if len(groups) > 254 {
		return nil, fmt.Errorf("at most 254 hosts, got %d", len(groups))
	}
	n = &Net{pid: os.Getpid(), groups: groups, bridge: bridgeName(os.Getpid())}
	defer func() {
		if err != nil {
			n.Close()
			n = nil
		}
	}()
	// One launcher at a time picks its /16 and takes it.
	unlock, err := lockSubnets()
	if err != nil {
		return n, err
	}
	defer unlock()
	if n.octet, err = freeOctet(); err != nil {
		return n, err
	}
	if err = ip("link", "add", n.bridge, "type", "bridge"); err != nil {
		return n, err
	}
	for _, c := range [][]string{
		{"addr", "add", n.bridgeAddr() + "/16", "dev", n.bridge},
		{"link", "set", n.bridge, "up"},
	} {
		if err = ip(c...); err != nil {
			return n, err
		}
	}
	for i, g := range groups {
		ns, vh, vn := nsName(n.pid, g), vethHost(n.pid, g), vethNode(n.pid, g)
		if err = ip("netns", "add", ns); err != nil {
			return n, err
		}
		n.made = append(n.made, ns)
		for _, c := range [][]string{
			{"link", "add", vh, "type", "veth", "peer", "name", vn},
			{"link", "set", vn, "netns", ns},
			{"link", "set", vh, "master", n.bridge},
			{"link", "set", vh, "up"},
			{"-n", ns, "addr", "add", n.hostAddr(i) + "/16", "dev", vn},
			{"-n", ns, "link", "set", vn, "up"},
			{"-n", ns, "link", "set", "lo", "up"},
		} {
			if err = ip(c...); err != nil {
				return n, err
			}
		}
	}
	n.NoNetem = "the scenario has no network delay"
	if sh.Delay > 0 || sh.Jitter > 0 {
		n.Netem, n.NoNetem = n.netem(sh)
	}
	return n, nil
}

// netem shapes every host's links (its veth to the bridge, and its
// loopback, which messages within a group take), or says why it cannot.
func (n *Net) netem(sh Shaping) (bool, string) {
	if _, err := exec.LookPath("tc"); err != nil {
		return false, "no tc command (apt-get install iproute2)"
	}
	args := netemArgs(sh)
	for _, g := range n.groups {
		ns := nsName(n.pid, g)
		for _, dev := range []string{vethNode(n.pid, g), "lo"} {
			c := append([]string{"-n", ns, "qdisc", "add", "dev", dev, "root", "netem"}, args...)
			if out, err := exec.Command("tc", c...).CombinedOutput(); err != nil {
				msg := strings.TrimSpace(string(out))
				if strings.Contains(msg, "qdisc kind is unknown") {
					return false, "this kernel has no netem (sch_netem)"
				}
				return false, "tc: " + firstLine(msg)
			}
		}
	}
	return true, ""
}

// netemArgs are netem's options for sh. netem's jitter is ± around the
// delay; the scenario's is [0, jitter) on top of it: centred, uniform.
func netemArgs(sh Shaping) []string {
	if sh.Jitter <= 0 {
		return []string{"delay", usec(sh.Delay)}
	}
	return []string{"delay", usec(sh.Delay + sh.Jitter/2), usec(sh.Jitter / 2), "distribution", "uniform"}
}

func usec(d time.Duration) string { return strconv.FormatInt(d.Microseconds(), 10) + "us" }

// Host returns the namespace and address of group g's host.
func (n *Net) Host(g string) (ns, addr string, ok bool) {
	for i, h := range n.groups {
		if h == g {
			return nsName(n.pid, g), n.hostAddr(i), true
		}
	}
	return "", "", false
}

// Command returns the command that runs bin with args inside namespace
// ns: `ip netns exec` enters it and executes bin in its place (the same
// process id), keeping the descriptors it inherits.
func Command(ns, bin string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns, bin}, args...)...)
}

// Close removes every namespace (and with it its veth pair) and the
// bridge. It returns the first error, having tried everything.
func (n *Net) Close() error {
	var first error
	for _, ns := range n.made {
		if err := ip("netns", "del", ns); err != nil && first == nil {
			first = err
		}
	}
	n.made = nil
	if err := ip("link", "del", n.bridge); err != nil && first == nil && !strings.Contains(err.Error(), "Cannot find device") {
		first = err
	}
	return first
}

// Describe is the run header's line about the network.
func (n *Net) Describe() string {
	first, last := n.groups[0], n.groups[len(n.groups)-1]
	s := fmt.Sprintf("%d hosts: namespaces %s..%s on bridge %s; the nodes of the G-th group on 10.%d.G.1", len(n.groups), nsName(n.pid, first), last, n.bridge, n.octet)
	if n.Netem {
		return s + "; delays by netem"
	}
	return s + "; delays are the runtime's own (" + n.NoNetem + ")"
}

var (
	staleNS   = regexp.MustCompile(`^` + Prefix + `(\d+)-[A-Z]$`)
	staleLink = regexp.MustCompile(`^` + Prefix + `(\d+)(b|[A-Z]n?)$`)
)

// Sweep removes the namespaces and bridges an earlier launcher made and
// left behind (killed with SIGKILL): those named with the prefix and the
// pid of a process that is no longer running. It returns how many it
// removed.
func Sweep() int {
	removed := 0
	out, _ := exec.Command("ip", "netns", "list").Output()
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if m := staleNS.FindStringSubmatch(f[0]); m != nil && dead(m[1]) {
			if ip("netns", "del", f[0]) == nil {
				removed++
			}
		}
	}
	// The bridge, and a veth pair not yet moved into its namespace when
	// the launcher was killed.
	out, _ = exec.Command("ip", "-o", "link", "show").Output()
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		name := strings.TrimSuffix(strings.SplitN(f[1], "@", 2)[0], ":")
		if m := staleLink.FindStringSubmatch(name); m != nil && dead(m[1]) {
			if ip("link", "del", name) == nil {
				removed++
			}
		}
	}
	return removed
}

// dead says whether no process has this pid, or only a zombie.
func dead(pid string) bool {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if errors.Is(err, os.ErrNotExist) {
		return true
	}
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && (b[i+2] == 'Z' || b[i+2] == 'X')
}

// ip runs one ip command; its error is the command and ip's first line.
func ip(args ...string) error {
	var stderr bytes.Buffer
	cmd := exec.Command("ip", args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := firstLine(strings.TrimSpace(stderr.String()))
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("ip %s: %s", strings.Join(args, " "), msg)
	}
	return nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// The launcher's view of the hosts (cluster.Hosts).

// ListenNode opens a listener for a node of group g on its host, on a
// port the kernel picks.
func (n *Net) ListenNode(g string) (net.Listener, error) {
	ns, addr, ok := n.Host(g)
	if !ok {
		return nil, fmt.Errorf("no host for group %s", g)
	}
	return Listen(ns, net.JoinHostPort(addr, "0"))
}

// ControlHost is where the launcher listens for its nodes: the bridge.
func (n *Net) ControlHost() string { return n.bridgeAddr() }

// NodeCommand runs bin with args on group g's host.
func (n *Net) NodeCommand(g, bin string, args ...string) *exec.Cmd {
	ns, _, _ := n.Host(g)
	return Command(ns, bin, args...)
}

// Shaped says whether netem adds the scenario's delays, so that the
// nodes must not add them again.
func (n *Net) Shaped() bool { return n.Netem }

// Probe is Usable, then makes a namespace and removes it: root in a
// container without CAP_NET_ADMIN passes Usable but can make none. The
// tests skip, saying why, where it fails.
func Probe() error {
	if err := Usable(); err != nil {
		return err
	}
	name := nsName(os.Getpid(), "probe")
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		return fmt.Errorf("ip netns add: %v: %s", err, strings.TrimSpace(string(out)))
	}
	if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
		return fmt.Errorf("ip netns del %s: %v: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}
