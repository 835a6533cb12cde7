// Package scenario loads and validates scenario files and turns them into
// the run's topology: which nodes exist, their roles, peers and algorithms.
//
// A scenario is a Lua file that returns a table (see examples/seed.lua,
// embedded as the default). Every field is validated; a bad one is an
// error naming the file, the field and what was expected.
package scenario

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
)

// Roles of a node.
const (
	Heavyweight = "heavyweight"
	Lightweight = "lightweight"
)

// Scenario is a loaded, validated scenario.
type Scenario struct {
	Name string
	// File is the path it was loaded from, or "embedded:seed.lua".
	File string
	// Dir is the scenario's folder, searched for scripts after --scripts;
	// empty for an embedded scenario.
	Dir string

	Token   string  // the heavyweights' algorithm module
	Groups  []Group // in ring order; the first holds the token at start
	CS      CS
	Rounds  int     // 0: forever
	Speed   float64 // divides every sleep and interval; > 0
	Network Network
	// Faults is the fault plan, carried out in its order by run and by
	// the simulator (docs/scenario.md, Faults).
	Faults []Fault
	Seed   int64

	// Host is the address nodes listen on (default 127.0.0.1).
	Host string
	// Port, when not 0, is the first of the fixed ports used by nodes
	// started by hand: node i (in Nodes() order) listens on Port+i.
	Port int
	// Addresses, when set, fixes a node's address ("host:port"),
	// overriding Host and Port.
	Addresses map[string]string
	// Session is the shared secret of nodes started by hand; the launcher
	// makes a fresh one for every run it starts.
	Session string
}

// Group is one heavyweight and its lightweights.
type Group struct {
	ID           string // "A"
	Algorithm    string // the lightweights' algorithm module
	Lightweights int
}

// CS is the critical section's shape.
type CS struct {
	Prints   int
	Interval float64 // seconds
}

// Network shapes delivery. Delays are seconds, applied before speed.
type Network struct {
	Delay   float64
	Jitter  float64
	Reorder bool // simulator only: channels need not be FIFO
	// Loss and Duplicate are the probabilities, in [0, 1), that a message
	// is lost, or delivered twice; a link's own override them.
	Loss, Duplicate float64
	Links           map[string]Link
}

// Link shapes one directed link "A1->A2". A field the scenario leaves
// out of the link's table is the network's.
type Link struct {
	Delay           float64
	Jitter          float64
	Loss, Duplicate float64 // probabilities in [0, 1) per message
}

// LinkFor returns the shaping of the link from -> to.
func (n Network) LinkFor(from, to string) Link {
	if l, ok := n.Links[from+"->"+to]; ok {
		return l
	}
	return Link{Delay: n.Delay, Jitter: n.Jitter, Loss: n.Loss, Duplicate: n.Duplicate}
}

// Node is one process of the run and what its scripts see of the topology.
type Node struct {
	ID        string
	Group     string
	Role      string   // Heavyweight or Lightweight
	Algorithm string   // module required by the role script
	Parent    string   // a lightweight's heavyweight
	Peers     []string // the other lightweights of the group, or the other heavyweights in ring order
	Children  []string // a heavyweight's lightweights
	Next      string   // a heavyweight's successor in the ring
	Index     int      // position in Nodes()
}

// Nodes returns every node: heavyweights first in ring order, then each
// group's lightweights. It is linear in the number of nodes and their
// peers; Find and NodeIDs build no more than they return.
func (s *Scenario) Nodes() []Node {
	out := make([]Node, 0, s.count())
	kids := make([][]string, len(s.Groups))
	for i, g := range s.Groups {
		kids[i] = s.children(g)
	}
	for i := range s.Groups {
		out = append(out, s.heavy(i, kids[i]))
	}
	for i := range s.Groups {
		for k := range kids[i] {
			out = append(out, s.light(i, k, kids[i]))
		}
	}
	for i := range out {
		out[i].Index = i
	}
	return out
}

// count is the number of nodes.
func (s *Scenario) count() int {
	n := len(s.Groups)
	for _, g := range s.Groups {
		n += max(g.Lightweights, 0)
	}
	return n
}

// heavy is group i's heavyweight, kids its lightweights' ids.
func (s *Scenario) heavy(i int, kids []string) Node {
	g := s.Groups[i]
	var peers []string // nil when alone, as before
	for k := 1; k < len(s.Groups); k++ {
		peers = append(peers, s.Groups[(i+k)%len(s.Groups)].ID)
	}
	return Node{ID: g.ID, Group: g.ID, Role: Heavyweight, Algorithm: s.Token,
		Peers: peers, Children: kids, Next: s.Groups[(i+1)%len(s.Groups)].ID, Index: i}
}

// light is lightweight k (from 0) of group i, kids the group's
// lightweights' ids.
func (s *Scenario) light(i, k int, kids []string) Node {
	g := s.Groups[i]
	var peers []string // nil when alone
	if len(kids) > 1 {
		peers = make([]string, 0, len(kids)-1)
		peers = append(append(peers, kids[:k]...), kids[k+1:]...)
	}
	index := len(s.Groups)
	for _, h := range s.Groups[:i] {
		index += max(h.Lightweights, 0)
	}
	return Node{ID: kids[k], Group: g.ID, Role: Lightweight, Algorithm: g.Algorithm,
		Parent: g.ID, Peers: peers, Index: index + k}
}

func (s *Scenario) children(g Group) []string {
	kids := make([]string, max(g.Lightweights, 0))
	for i := range kids {
		kids[i] = g.ID + strconv.Itoa(i+1)
	}
	return kids
}

// NodeIDs returns the ids of Nodes(), in that order.
func (s *Scenario) NodeIDs() []string {
	ids := make([]string, 0, s.count())
	for _, g := range s.Groups {
		ids = append(ids, g.ID)
	}
	for _, g := range s.Groups {
		ids = append(ids, s.children(g)...)
	}
	return ids
}

// Find returns the node with id, building only that node.
func (s *Scenario) Find(id string) (Node, bool) {
	if id == "" {
		return Node{}, false
	}
	for i, g := range s.Groups {
		if !strings.HasPrefix(id, g.ID) {
			continue
		}
		if id == g.ID {
			return s.heavy(i, s.children(g)), true
		}
		rest := id[len(g.ID):]
		k, err := strconv.Atoi(rest)
		if err != nil || k < 1 || k > g.Lightweights || strconv.Itoa(k) != rest {
			continue
		}
		return s.light(i, k-1, s.children(g)), true
	}
	return Node{}, false
}

// FixedAddress returns the address a node listens on when started by hand.
func (s *Scenario) FixedAddress(id string) (string, error) {
	if a, ok := s.Addresses[id]; ok {
		return a, nil
	}
	n, ok := s.Find(id)
	if !ok {
		return "", fmt.Errorf("no node %q in scenario %s (nodes: %s)", id, s.Name, strings.Join(s.NodeIDs(), " "))
	}
	return s.fixedAddress(n), nil
}

// fixedAddress is FixedAddress of a node of the scenario.
func (s *Scenario) fixedAddress(n Node) string {
	if a, ok := s.Addresses[n.ID]; ok {
		return a
	}
	port := s.Port
	if port == 0 {
		port = DefaultPort
	}
	return net.JoinHostPort(s.host(), strconv.Itoa(port+n.Index))
}

func (s *Scenario) host() string {
	if s.Host == "" {
		return "127.0.0.1"
	}
	return s.Host
}

// ListenHost is the host nodes listen on.
func (s *Scenario) ListenHost() string { return s.host() }

// DefaultPort is the first fixed port when the scenario names none.
const DefaultPort = 7100

// Algorithms returns the distinct algorithm modules the scenario uses,
// sorted.
func (s *Scenario) Algorithms() []string {
	set := map[string]bool{s.Token: true}
	for _, g := range s.Groups {
		set[g.Algorithm] = true
	}
	var out []string
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}
