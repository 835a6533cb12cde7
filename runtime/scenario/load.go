package scenario

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"net"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"mutexlab/examples"
	"mutexlab/runtime/luabox"
)

// Error is a bad scenario: a file that does not load, or a field that
// does not validate. Callers tell it from other errors with errors.As
// (it means exit status 2). Its text is always one line.
type Error struct {
	File  string // the path as given, "embedded:seed.lua", or "" for a flag
	Line  int    // set for Lua syntax and runtime errors
	Field string // "groups[2].lightweights", "--speed"; empty for whole-file errors
	Msg   string
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	case e.Field != "" && e.File != "":
		return fmt.Sprintf("%s: %s: %s", e.File, e.Field, e.Msg)
	case e.Field != "":
		return fmt.Sprintf("%s: %s", e.Field, e.Msg)
	default:
		return fmt.Sprintf("scenario %s: %s", e.File, e.Msg)
	}
}

// evalBudget bounds the evaluation of a scenario file, so that an endless
// loop in it is an error rather than a hang: the budget of a script's call
// (docs/scenario.md).
var evalBudget = luabox.Scenario

const embeddedPrefix = "embedded:"

// Default returns the embedded seed scenario.
func Default() (*Scenario, error) { return LoadEmbedded("seed") }

// exercisesDir is the folder of examples.FS that holds the exercises, one
// folder each with a scenario.lua and the broken module(s) beside it.
const exercisesDir = "exercises"

// faultsDir is the folder of examples.FS that holds the fault plans
// (docs/faults.md): "faults/crash" names faults/crash.lua.
const faultsDir = "faults"

// scenarioFile is the scenario of a scenario folder (an exercise).
const scenarioFile = "scenario.lua"

// Resolve finds the scenario a command-line argument names: "" is the seed;
// an existing file is loaded; an existing folder loads its scenario.lua
// (an exercise copied by `mutexlab init`); otherwise an embedded example's
// name ("three_groups" or "three_groups.lua") or an embedded exercise's
// ("exercises/eager_entry") loads that one, so that `mutexlab run
// three_groups` works from any folder. A file or folder in the current
// folder wins over an embedded one of the same name.
func Resolve(arg string) (*Scenario, error) {
	if arg == "" {
		return Default()
	}
	if fi, err := os.Stat(arg); err == nil {
		if !fi.IsDir() {
			return Load(arg)
		}
		file := filepath.Join(arg, scenarioFile)
		if fi, err := os.Stat(file); err == nil && !fi.IsDir() {
			return Load(file)
		}
		return nil, &Error{File: arg, Msg: "is a folder without a " + scenarioFile + ", expected a scenario file"}
	}
	if _, _, ok := embeddedFile(arg); ok {
		return LoadEmbedded(arg)
	}
	msg := "no such file (embedded: " + embeddedList() + ")"
	if s := suggestEmbedded(arg); s != "" {
		msg += "; did you mean " + s + "?"
	}
	return nil, &Error{File: arg, Msg: msg}
}

// suggestEmbedded returns the embedded scenario arg is a likely typo of:
// an example for a bare name, an exercise for "exercises/NAME" or for a
// bare exercise name.
func suggestEmbedded(arg string) string {
	name := strings.TrimSuffix(strings.TrimSuffix(strings.ReplaceAll(arg, `\`, "/"), "/"), ".lua")
	if ex, ok := strings.CutPrefix(name, exercisesDir+"/"); ok {
		ex = strings.TrimSuffix(strings.TrimSuffix(ex, ".lua"), "/scenario")
		if s := suggest(ex, exercises()); s != "" {
			return exercisesDir + "/" + s
		}
		return ""
	}
	if strings.Contains(name, "/") {
		return ""
	}
	if slices.Contains(exercises(), name) {
		return exercisesDir + "/" + name
	}
	return suggest(name, examplesNames())
}

// embeddedList names the embedded scenarios for an error message, the
// exercises folded: "seed, three_groups, exercises/{after_you,eager_entry}".
func embeddedList() string {
	list := strings.Join(examplesNames(), ", ")
	if ex := exercises(); len(ex) > 0 {
		list += ", " + exercisesDir + "/{" + strings.Join(ex, ",") + "}"
	}
	if fp := faultPlans(); len(fp) > 0 {
		list += ", " + faultsDir + "/{" + strings.Join(fp, ",") + "}"
	}
	return list
}

// faultPlans returns the embedded fault plans' names, sorted.
func faultPlans() []string {
	files, _ := fs.Glob(examples.FS, faultsDir+"/*.lua")
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = strings.TrimSuffix(path.Base(f), ".lua")
	}
	sort.Strings(names)
	return names
}

// Embedded returns the names of the embedded examples, without ".lua",
// sorted, then the embedded exercises as "exercises/NAME", sorted:
// "seed", "three_groups", "exercises/after_you", ...
func Embedded() []string {
	names := examplesNames()
	for _, ex := range exercises() {
		names = append(names, exercisesDir+"/"+ex)
	}
	for _, fp := range faultPlans() {
		names = append(names, faultsDir+"/"+fp)
	}
	return names
}

// examplesNames returns the embedded examples' names, sorted.
func examplesNames() []string {
	files, _ := fs.Glob(examples.FS, "*.lua")
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = strings.TrimSuffix(f, ".lua")
	}
	sort.Strings(names)
	return names
}

// exercises returns the embedded exercises' folder names, sorted.
func exercises() []string {
	files, _ := fs.Glob(examples.FS, exercisesDir+"/*/"+scenarioFile)
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = path.Base(path.Dir(f))
	}
	sort.Strings(names)
	return names
}

// embeddedFile maps a name to an embedded scenario: "seed" or "seed.lua"
// to the example "seed.lua"; "exercises/NAME", with or without a trailing
// "/", "/scenario" or "/scenario.lua", to "exercises/NAME/scenario.lua".
// dir is the folder of an exercise ("exercises/NAME"), "" for an example.
func embeddedFile(name string) (file, dir string, ok bool) {
	name = strings.ReplaceAll(name, `\`, "/")
	if ex, found := strings.CutPrefix(name, exercisesDir+"/"); found {
		ex = strings.TrimSuffix(ex, "/")
		ex = strings.TrimSuffix(strings.TrimSuffix(ex, ".lua"), "/scenario")
		if ex == "" || strings.Contains(ex, "/") {
			return "", "", false
		}
		dir = exercisesDir + "/" + ex
		file = dir + "/" + scenarioFile
	} else if fp, found := strings.CutPrefix(name, faultsDir+"/"); found {
		fp = strings.TrimSuffix(fp, ".lua")
		if fp == "" || strings.Contains(fp, "/") {
			return "", "", false
		}
		file = faultsDir + "/" + fp + ".lua"
	} else {
		if name == "" || strings.Contains(name, "/") {
			return "", "", false
		}
		file = strings.TrimSuffix(name, ".lua") + ".lua"
	}
	if fi, err := fs.Stat(examples.FS, file); err != nil || fi.IsDir() {
		return "", "", false
	}
	return file, dir, true
}

// LoadEmbedded loads an embedded example by name ("seed" or "seed.lua"),
// or an embedded exercise ("exercises/eager_entry"). An example's File is
// "embedded:seed.lua" and its Dir is empty. An exercise's File is
// "embedded:exercises/eager_entry/scenario.lua" and its Dir
// "embedded:exercises/eager_entry": node.NewLibrary searches that folder
// of the embedded examples for the exercise's broken modules.
func LoadEmbedded(name string) (*Scenario, error) {
	file, dir, ok := embeddedFile(name)
	if !ok {
		msg := "no such embedded example (embedded: " + embeddedList() + ")"
		if s := suggestEmbedded(name); s != "" {
			msg += "; did you mean " + s + "?"
		}
		return nil, &Error{File: name, Msg: msg}
	}
	src, err := fs.ReadFile(examples.FS, file)
	if err != nil {
		return nil, &Error{File: embeddedPrefix + file, Msg: err.Error()}
	}
	s, err := parseNamed(embeddedPrefix+file, defaultName(file), src)
	if err != nil {
		return nil, err
	}
	if dir != "" {
		s.Dir = embeddedPrefix + dir
	}
	return s, nil
}

// Load reads and validates the scenario file at path. Errors name the
// file as given; Dir is the file's folder, made absolute so that it stays
// right if the working folder changes.
func Load(file string) (*Scenario, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		var pe *fs.PathError
		msg := err.Error()
		switch {
		case errors.Is(err, fs.ErrNotExist):
			msg = "no such file"
		case errors.As(err, &pe):
			msg = pe.Err.Error()
		}
		return nil, &Error{File: file, Msg: msg}
	}
	s, err := Parse(file, src)
	if err != nil {
		return nil, err
	}
	s.Dir = filepath.Dir(file)
	if abs, err := filepath.Abs(s.Dir); err == nil {
		s.Dir = abs
	}
	return s, nil
}

// Parse evaluates src, the text of the scenario file named file, and
// validates the table it returns. The name defaults to the file's base
// name without ".lua" (the folder's name for a scenario.lua). Dir is left
// empty.
func Parse(file string, src []byte) (*Scenario, error) {
	return parseNamed(file, defaultName(file), src)
}

// defaultName is the name of a scenario that sets none: "x" for x.lua,
// "NAME" for NAME/scenario.lua.
func defaultName(file string) string {
	p := filepath.ToSlash(strings.TrimPrefix(file, embeddedPrefix))
	if base := path.Base(p); base != scenarioFile {
		return strings.TrimSuffix(base, ".lua")
	}
	if dir := path.Base(path.Dir(p)); dir != "." && dir != "/" {
		return dir
	}
	if abs, err := filepath.Abs(filepath.Dir(file)); err == nil {
		return filepath.Base(abs)
	}
	return "scenario"
}

func parseNamed(file, name string, src []byte) (*Scenario, error) {
	v, err := eval(file, src)
	if err != nil {
		return nil, err
	}
	t, ok := v.(*lua.LTable)
	if !ok {
		return nil, &Error{File: file, Msg: "expected the file to return a table { name = ..., groups = ... }, got " + got(v)}
	}
	d := &decoder{file: file}
	s := d.scenario(t, name)
	if d.err != nil {
		return nil, d.err
	}
	s.File = file
	if err := s.check(false); err != nil {
		return nil, err
	}
	return s, nil
}

// eval runs the scenario chunk in the scripts' sandbox (base, table,
// string and math only; nothing that reads files or prints), under the
// guard of a script's call, and returns what it returns.
func eval(file string, src []byte) (lua.LValue, error) {
	proto, err := luabox.Compile(file, src)
	if err != nil {
		return nil, fromLua(file, err)
	}
	L := luabox.New()
	defer L.Close()
	g := luabox.NewGuard(evalBudget, " (an endless loop?)")
	defer g.Stop()
	g.Watch(L)
	if err := g.Call(L, L.NewFunctionFromProto(proto), 1); err != nil {
		return nil, fromLua(file, luabox.ErrorIn(file, err))
	}
	return L.Get(-1), nil
}

// fromLua makes a luabox.Error of the scenario file a scenario Error.
func fromLua(file string, err error) error {
	var le *luabox.Error
	if errors.As(err, &le) {
		return &Error{File: file, Line: le.Line, Msg: le.Msg}
	}
	return &Error{File: file, Msg: luabox.FirstLine(err.Error())}
}

// The fields a scenario table may have, in the order they are documented.
var (
	topFields     = []string{"name", "token", "groups", "cs", "rounds", "speed", "network", "faults", "seed", "host", "port", "addresses", "session"}
	groupFields   = []string{"id", "algorithm", "lightweights"}
	csFields      = []string{"prints", "interval"}
	networkFields = []string{"delay", "jitter", "loss", "duplicate", "reorder", "links"}
	linkFields    = []string{"delay", "jitter", "loss", "duplicate"}
)

// What a field must hold, shared by the decoder (wrong type) and check
// (wrong value), so both say the same thing.
const (
	wantName       = "a non-empty string"
	wantModule     = `a Lua module name like "lamport" ([a-z_][a-z0-9_]*)`
	wantGroups     = "a list of 2 to 26 groups { {id = \"A\", algorithm = \"lamport\", lightweights = 3}, ... }"
	wantGroup      = `a table {id = "A", algorithm = "lamport", lightweights = 3}`
	wantGroupID    = "one upper-case letter A..Z"
	wantLightCount = "an integer from 1 to 64"
	wantPrints     = "an integer from 1 to 1000000"
	wantSeconds    = "a number of seconds from 0 to 86400"
	wantRounds     = "an integer from 1 to 1000000000, or nil for forever"
	wantSpeed      = "a number from 0.001 to 1000000"
	wantShort      = "a string of at most 128 bytes (it is passed to every node process)"
	wantSecret     = "a string of 16 to 128 printable characters (README, \"What mutexlab guarantees\")"
	wantBool       = "true or false"
	wantSeed       = "an integer"
	wantHost       = `an IP address or "localhost"`
	wantAddress    = `"host:port" with an IP address or "localhost" and a port from 1 to 65535`
	wantCS         = "a table {prints = 10, interval = 1.0}"
	wantNetwork    = "a table {delay = 0, jitter = 0, loss = 0, duplicate = 0, reorder = false, links = {...}}"
	wantLinks      = `a table { ["A1->A2"] = {delay = 0.5, jitter = 0}, ... }`
	wantLink       = "a table {delay = 0.5, jitter = 0, loss = 0, duplicate = 0}"
	wantLinkName   = `a link "FROM->TO" between two nodes of the scenario, like "A1->A2"`
	wantAddresses  = `a table { A1 = "127.0.0.1:7101", ... }`
)

const maxGroups, maxLightweights = 26, 64

// MaxNodes is the most nodes a scenario can have: 26 groups of a
// heavyweight and 64 lightweights.
const MaxNodes = maxGroups * (1 + maxLightweights)

// Bounds of the fields that take numbers and text (docs/scenario.md).
const (
	MaxRounds = 1_000_000_000
	maxPrints = 1_000_000
	maxText   = 128
	// MinSecret is the shortest session secret.
	MinSecret = 16
)

// decoder turns the returned Lua table into a Scenario, checking only
// types and integers; the first error sticks and ends the work.
type decoder struct {
	file string
	err  *Error
}

func (d *decoder) fail(field, want string, v lua.LValue) {
	if d.err == nil {
		d.err = &Error{File: d.file, Field: field, Msg: "expected " + want + ", got " + got(v)}
	}
}

func (d *decoder) scenario(t *lua.LTable, name string) *Scenario {
	s := &Scenario{}
	d.known(t, "", topFields)
	s.Name = d.str(t, "", "name", wantName, name)
	s.Token = d.str(t, "", "token", wantModule, "token")
	s.Groups = d.groups(t)

	cs := d.table(t, "", "cs", wantCS)
	d.known(cs, "cs", csFields)
	s.CS.Prints = int(d.integer(cs, "cs", "prints", wantPrints, 10))
	s.CS.Interval = d.number(cs, "cs", "interval", wantSeconds, 1.0)

	if r := t.RawGetString("rounds"); r != lua.LNil {
		n := d.integer(t, "", "rounds", wantRounds, 0)
		if d.err == nil && (n < 1 || n > MaxRounds) {
			d.fail("rounds", wantRounds, r)
		}
		s.Rounds = int(n)
	}
	s.Speed = d.number(t, "", "speed", wantSpeed, 1)
	s.Network = d.network(t)
	s.Faults = d.faults(t)
	s.Seed = d.integer(t, "", "seed", wantSeed, 1)
	s.Host = d.str(t, "", "host", wantHost, "127.0.0.1")
	s.Port = int(d.integer(t, "", "port", s.wantPort(), 0))
	if p := t.RawGetString("port"); p != lua.LNil && s.Port == 0 {
		d.fail("port", s.wantPort(), p) // 0 means "not set": leave the field out instead
	}
	s.Addresses = d.addresses(t)
	// No default: a secret written in a scenario protects nothing that
	// reads the file (README, "What mutexlab guarantees").
	if v := t.RawGetString("session"); v != lua.LNil {
		s.Session = d.str(t, "", "session", wantSecret, "")
		if d.err == nil && s.Session == "" {
			d.fail("session", wantSecret, v)
		}
	}
	return s
}

func (d *decoder) groups(t *lua.LTable) []Group {
	list, ok := d.list(t, "", "groups", wantGroups)
	if !ok {
		d.fail("groups", wantGroups, lua.LNil)
		return nil
	}
	var out []Group
	for i, v := range list {
		field := fmt.Sprintf("groups[%d]", i+1)
		g, ok := v.(*lua.LTable)
		if !ok {
			d.fail(field, wantGroup, v)
			return nil
		}
		d.known(g, field, groupFields)
		out = append(out, Group{
			ID:           d.str(g, field, "id", wantGroupID, ""),
			Algorithm:    d.str(g, field, "algorithm", wantModule, ""),
			Lightweights: int(d.integer(g, field, "lightweights", wantLightCount, -1)),
		})
	}
	return out
}

func (d *decoder) network(t *lua.LTable) Network {
	nt := d.table(t, "", "network", wantNetwork)
	d.known(nt, "network", networkFields)
	n := Network{
		Delay:   d.number(nt, "network", "delay", wantSeconds, 0),
		Jitter:  d.number(nt, "network", "jitter", wantSeconds, 0),
		Reorder: d.boolean(nt, "network", "reorder"),
	}
	n.Loss = d.number(nt, "network", "loss", wantProb, 0)
	n.Duplicate = d.number(nt, "network", "duplicate", wantProb, 0)
	lt := d.table(nt, "network", "links", wantLinks)
	if lt == nil || d.err != nil {
		return n
	}
	n.Links = map[string]Link{}
	for _, k := range sortedKeys(lt) {
		v := lt.RawGet(k)
		field := "network.links" + bracket(k)
		key, ok := k.(lua.LString)
		if !ok {
			d.fail(field, wantLinkName, k)
			return n
		}
		name := canonicalLink(string(key))
		if _, dup := n.Links[name]; dup {
			d.err = &Error{File: d.file, Field: field, Msg: fmt.Sprintf("expected each link once, got %q twice", name)}
			return n
		}
		l, ok := v.(*lua.LTable)
		if !ok {
			d.fail(field, wantLink, v)
			return n
		}
		d.known(l, field, linkFields)
		n.Links[name] = Link{
			Delay:     d.number(l, field, "delay", wantSeconds, n.Delay),
			Jitter:    d.number(l, field, "jitter", wantSeconds, n.Jitter),
			Loss:      d.number(l, field, "loss", wantProb, n.Loss),
			Duplicate: d.number(l, field, "duplicate", wantProb, n.Duplicate),
		}
	}
	return n
}

// canonicalLink turns " A1 -> A2 " into "A1->A2"; a name without an arrow
// is kept as it is for check to report.
func canonicalLink(name string) string {
	from, to, ok := strings.Cut(name, "->")
	if !ok {
		return name
	}
	return strings.TrimSpace(from) + "->" + strings.TrimSpace(to)
}

func (d *decoder) addresses(t *lua.LTable) map[string]string {
	at := d.table(t, "", "addresses", wantAddresses)
	if at == nil || d.err != nil {
		return nil
	}
	out := map[string]string{}
	for _, k := range sortedKeys(at) {
		field := "addresses" + index(k)
		key, ok := k.(lua.LString)
		if !ok {
			d.fail(field, "a node id like A1 as the key", k)
			return nil
		}
		v, ok := at.RawGet(k).(lua.LString)
		if !ok {
			d.fail(field, wantAddress, at.RawGet(k))
			return nil
		}
		out[string(key)] = string(v)
	}
	return out
}

// known reports the first key of t (in sorted order) that is not a field.
func (d *decoder) known(t *lua.LTable, at string, fields []string) {
	if t == nil || d.err != nil {
		return
	}
	for _, k := range sortedKeys(t) {
		s, ok := k.(lua.LString)
		if ok && slices.Contains(fields, string(s)) {
			continue
		}
		field := join(at, index(k))
		msg := "unknown field"
		if ok {
			if hint := suggest(string(s), fields); hint != "" {
				msg += "; did you mean " + hint + "?"
				d.err = &Error{File: d.file, Field: field, Msg: msg}
				return
			}
		}
		d.err = &Error{File: d.file, Field: field, Msg: msg + "; expected one of " + strings.Join(fields, ", ")}
		return
	}
}

func (d *decoder) table(t *lua.LTable, at, key, want string) *lua.LTable {
	if t == nil || d.err != nil {
		return nil
	}
	v := t.RawGetString(key)
	if v == lua.LNil {
		return nil
	}
	tt, ok := v.(*lua.LTable)
	if !ok {
		d.fail(join(at, key), want, v)
		return nil
	}
	return tt
}

// list reads an array: keys 1..n and nothing else. ok is false when the
// field is absent.
func (d *decoder) list(t *lua.LTable, at, key, want string) (list []lua.LValue, ok bool) {
	lt := d.table(t, at, key, want)
	if lt == nil {
		return nil, false
	}
	var out []lua.LValue
	for i := 1; ; i++ {
		v := lt.RawGetInt(i)
		if v == lua.LNil {
			break
		}
		out = append(out, v)
	}
	for _, k := range sortedKeys(lt) {
		if n, ok := k.(lua.LNumber); ok && float64(n) == math.Trunc(float64(n)) && n >= 1 && int(n) <= len(out) {
			continue
		}
		d.err = &Error{File: d.file, Field: join(at, key), Msg: fmt.Sprintf("expected %s, got a table with key %s", want, got(k))}
		return nil, true
	}
	return out, true
}

func (d *decoder) str(t *lua.LTable, at, key, want, def string) string {
	if t == nil || d.err != nil {
		return def
	}
	switch v := t.RawGetString(key).(type) {
	case *lua.LNilType:
		if def == "" {
			d.fail(join(at, key), want, v)
		}
		return def
	case lua.LString:
		return string(v)
	default:
		d.fail(join(at, key), want, v)
		return def
	}
}

func (d *decoder) number(t *lua.LTable, at, key, want string, def float64) float64 {
	if t == nil || d.err != nil {
		return def
	}
	switch v := t.RawGetString(key).(type) {
	case *lua.LNilType:
		return def
	case lua.LNumber:
		return float64(v)
	default:
		d.fail(join(at, key), want, v)
		return def
	}
}

// integer reads a whole number; def < 0 makes the field required.
func (d *decoder) integer(t *lua.LTable, at, key, want string, def int64) int64 {
	if t == nil || d.err != nil {
		return max(def, 0)
	}
	v := t.RawGetString(key)
	if v == lua.LNil && def >= 0 {
		return def
	}
	n, ok := v.(lua.LNumber)
	if !ok || !isInt(float64(n)) {
		d.fail(join(at, key), want, v)
		return max(def, 0)
	}
	return int64(n)
}

func (d *decoder) boolean(t *lua.LTable, at, key string) bool {
	if t == nil || d.err != nil {
		return false
	}
	switch v := t.RawGetString(key).(type) {
	case *lua.LNilType:
		return false
	case lua.LBool:
		return bool(v)
	default:
		d.fail(join(at, key), wantBool, v)
		return false
	}
}

// isInt reports whether f is a whole number that float64 holds exactly.
func isInt(f float64) bool {
	return f == math.Trunc(f) && math.Abs(f) <= 1<<53
}

// got describes a Lua value for "expected X, got Y".
func got(v lua.LValue) string {
	switch v := v.(type) {
	case *lua.LNilType:
		return "nothing"
	case lua.LString:
		return quote(string(v))
	case lua.LNumber, lua.LBool:
		return v.String()
	case *lua.LTable:
		return "a table"
	case *lua.LFunction:
		return "a function"
	default:
		return "a " + v.Type().String()
	}
}

// index renders a table key as a field path step: ".name" or `["A1->A2"]`.
func index(k lua.LValue) string {
	if s, ok := k.(lua.LString); ok {
		if luaIdent.MatchString(string(s)) && len(s) <= maxQuoted {
			return "." + string(s)
		}
		return "[" + quote(string(s)) + "]"
	}
	if n, ok := k.(lua.LNumber); ok {
		return "[" + n.String() + "]"
	}
	return "[" + got(k) + "]"
}

// bracket renders a table key as `["A1->A2"]` or `[1]`.
func bracket(k lua.LValue) string {
	if s, ok := k.(lua.LString); ok {
		return "[" + strconv.Quote(string(s)) + "]"
	}
	return index(k)
}

var (
	luaIdent   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	moduleName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
)

func join(at, step string) string {
	switch {
	case at == "":
		return strings.TrimPrefix(step, ".")
	case strings.HasPrefix(step, ".") || strings.HasPrefix(step, "["):
		return at + step
	default:
		return at + "." + step
	}
}

// sortedKeys returns t's keys, numbers first, so errors come out the same
// on every run (Lua tables have no order).
func sortedKeys(t *lua.LTable) []lua.LValue {
	var keys []lua.LValue
	t.ForEach(func(k, _ lua.LValue) { keys = append(keys, k) })
	sort.Slice(keys, func(i, j int) bool {
		ni, iNum := keys[i].(lua.LNumber)
		nj, jNum := keys[j].(lua.LNumber)
		switch {
		case iNum && jNum:
			return ni < nj
		case iNum != jNum:
			return iNum
		}
		return keys[i].String() < keys[j].String()
	})
	return keys
}

// suggest returns the candidate closest to s when s is a likely typo of
// it: one or two edits away (one for short words), or a prefix of it.
func suggest(s string, candidates []string) string {
	s = strings.ToLower(s)
	limit := 2
	if len(s) <= 3 {
		limit = 1
	}
	best, bestDist := "", limit+1
	for _, c := range candidates {
		d := editDistance(s, c)
		if len(s) >= 3 && strings.HasPrefix(c, s) {
			d = min(d, limit)
		}
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance counts the edits from a to b: insertions, deletions,
// substitutions and swaps of two neighbours ("rnu" is one edit from "run").
func editDistance(a, b string) int {
	pprev := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], pprev[j-2]+1)
			}
		}
		pprev, prev, cur = prev, cur, pprev
	}
	return prev[len(b)]
}

// Validate re-checks a scenario after flags changed its fields. The fields
// flags set (Rounds, Speed) are reported under the flag's name:
// "--speed: expected a number > 0, got 0". Rounds may be 0 (forever).
func (s *Scenario) Validate() error { return s.check(true) }

// check validates values and how fields fit together (unique group ids,
// links and addresses that name nodes, ports that fit). Parse runs it
// after decoding; Validate after flags.
func (s *Scenario) check(afterFlags bool) error {
	fail := func(field, want string, v any) error {
		return &Error{File: s.File, Field: field, Msg: "expected " + want + ", got " + gotGo(v)}
	}
	// flagFail names the flag when a flag may have set the field.
	flagFail := func(field, flag, want string, v any) error {
		if afterFlags {
			return &Error{Field: flag, Msg: "expected " + want + ", got " + gotGo(v)}
		}
		return fail(field, want, v)
	}

	if !printable(s.Name) {
		return fail("name", wantName, s.Name)
	}
	if len(s.Name) > maxText {
		return fail("name", wantShort, s.Name)
	}
	if !moduleName.MatchString(s.Token) {
		return fail("token", wantModule, s.Token)
	}
	if n := len(s.Groups); n < 2 || n > maxGroups {
		msg := fmt.Sprintf("expected 2 to %d groups, got %d", maxGroups, n)
		if n == 1 {
			msg += " (the token ring needs at least two heavyweights)"
		}
		return &Error{File: s.File, Field: "groups", Msg: msg}
	}
	seen := map[string]int{}
	for i, g := range s.Groups {
		field := fmt.Sprintf("groups[%d]", i+1)
		if len(g.ID) != 1 || g.ID[0] < 'A' || g.ID[0] > 'Z' {
			return fail(field+".id", wantGroupID, g.ID)
		}
		if j, dup := seen[g.ID]; dup {
			return &Error{File: s.File, Field: field + ".id", Msg: fmt.Sprintf("expected a letter no other group uses, got %q again (groups[%d])", g.ID, j+1)}
		}
		seen[g.ID] = i
		if !moduleName.MatchString(g.Algorithm) {
			return fail(field+".algorithm", wantModule, g.Algorithm)
		}
		if g.Lightweights < 1 || g.Lightweights > maxLightweights {
			return fail(field+".lightweights", wantLightCount, g.Lightweights)
		}
	}
	if s.CS.Prints < 1 {
		return fail("cs.prints", wantPrints, s.CS.Prints)
	}
	if !seconds(s.CS.Interval) {
		return fail("cs.interval", wantSeconds, s.CS.Interval)
	}
	if s.CS.Prints > maxPrints {
		return fail("cs.prints", wantPrints, s.CS.Prints)
	}
	if s.Rounds < 0 || s.Rounds > MaxRounds {
		return flagFail("rounds", "--rounds", fmt.Sprintf("an integer from 0 (forever) to %d", MaxRounds), s.Rounds)
	}
	if !(s.Speed >= MinSpeed && s.Speed <= MaxSpeed) {
		return flagFail("speed", "--speed", wantSpeed, s.Speed)
	}
	if err := s.checkNetwork(fail); err != nil {
		return err
	}
	if err := s.checkFaults(fail); err != nil {
		return err
	}
	if !validHost(s.Host) {
		return fail("host", wantHost, s.Host)
	}
	if s.Port != 0 && (s.Port < 1 || s.Port > 65536-s.count()) {
		return fail("port", s.wantPort(), s.Port)
	}
	if err := s.checkAddresses(fail); err != nil {
		return err
	}
	if s.Session != "" && (!printable(s.Session) || len(s.Session) < MinSecret || len(s.Session) > maxText) {
		return fail("session", wantSecret, s.Session)
	}
	return s.checkSize()
}

// maxEncoded is the most a scenario may take once encoded for the node
// processes, which get it in their environment: Linux passes no single
// string longer than 128 KB to a child.
const maxEncoded = 96 << 10

// checkSize refuses a scenario too large to pass to a node process,
// naming the field that makes it so.
func (s *Scenario) checkSize() error {
	b, err := json.Marshal(s)
	if err != nil || len(b) <= maxEncoded {
		return nil
	}
	field, size := "groups", 0
	for name, v := range map[string]any{"network.links": s.Network.Links, "addresses": s.Addresses, "groups": s.Groups, "faults": s.Faults} {
		if vb, _ := json.Marshal(v); len(vb) > size {
			field, size = name, len(vb)
		}
	}
	return &Error{File: s.File, Field: field, Msg: fmt.Sprintf("too large: the scenario takes %d KB to pass to a node process, more than %d KB can", len(b)>>10, maxEncoded>>10)}
}

func (s *Scenario) checkNetwork(fail func(field, want string, v any) error) error {
	n := s.Network
	ids := map[string]bool{}
	for _, id := range s.NodeIDs() {
		ids[id] = true
	}
	if !seconds(n.Delay) {
		return fail("network.delay", wantSeconds, n.Delay)
	}
	if !seconds(n.Jitter) {
		return fail("network.jitter", wantSeconds, n.Jitter)
	}
	if !checkProb(n.Loss) {
		return fail("network.loss", wantProb, n.Loss)
	}
	if !checkProb(n.Duplicate) {
		return fail("network.duplicate", wantProb, n.Duplicate)
	}
	for _, name := range slices.Sorted(maps.Keys(n.Links)) {
		field := "network.links" + bracket(lua.LString(name))
		from, to, ok := strings.Cut(name, "->")
		if !ok || from == to {
			return fail(field, wantLinkName, name)
		}
		for _, id := range []string{from, to} {
			if !ids[id] {
				return &Error{File: s.File, Field: field, Msg: fmt.Sprintf("expected %s, got unknown node %q (nodes: %s)", wantLinkName, id, strings.Join(s.NodeIDs(), " "))}
			}
		}
		l := n.Links[name]
		if !seconds(l.Delay) {
			return fail(field+".delay", wantSeconds, l.Delay)
		}
		if !seconds(l.Jitter) {
			return fail(field+".jitter", wantSeconds, l.Jitter)
		}
		if !checkProb(l.Loss) {
			return fail(field+".loss", wantProb, l.Loss)
		}
		if !checkProb(l.Duplicate) {
			return fail(field+".duplicate", wantProb, l.Duplicate)
		}
	}
	return nil
}

func (s *Scenario) checkAddresses(fail func(field, want string, v any) error) error {
	nodes := s.Nodes()
	ids := map[string]bool{}
	for _, n := range nodes {
		ids[n.ID] = true
	}
	for _, id := range slices.Sorted(maps.Keys(s.Addresses)) {
		field := "addresses" + index(lua.LString(id))
		if !ids[id] {
			return &Error{File: s.File, Field: field, Msg: fmt.Sprintf("expected a node id as the key, got unknown node %q (nodes: %s)", id, strings.Join(s.NodeIDs(), " "))}
		}
		addr := s.Addresses[id]
		host, port, err := net.SplitHostPort(addr)
		if err != nil || !validHost(host) {
			return fail(field, wantAddress, addr)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return fail(field, wantAddress, addr)
		}
	}
	// Two nodes cannot listen on one address.
	owner := map[string]string{}
	for _, n := range nodes {
		addr := s.fixedAddress(n)
		if other, dup := owner[addr]; dup {
			id := n.ID
			if _, fixed := s.Addresses[id]; !fixed {
				id, other = other, id
			}
			return &Error{File: s.File, Field: "addresses" + index(lua.LString(id)),
				Msg: fmt.Sprintf("expected an address no other node uses, got %q (also %s's)", addr, other)}
		}
		owner[addr] = n.ID
	}
	return nil
}

func (s *Scenario) wantPort() string {
	return fmt.Sprintf("an integer from 1 to %d (node i listens on port+i)", 65536-s.count())
}

func validHost(h string) bool {
	return h == "localhost" || net.ParseIP(h) != nil
}

// seconds accepts up to a day: more is surely a typo, and would overflow
// a time.Duration once divided by a small speed.
func seconds(f float64) bool { return f >= 0 && f <= MaxSeconds }

func printable(s string) bool {
	if strings.TrimSpace(s) == "" {
		return false
	}
	for _, r := range s {
		if r < ' ' || r == 0x7f {
			return false
		}
	}
	return true
}

// maxQuoted is the longest string an error message quotes whole.
const maxQuoted = 60

// quote quotes s for an error message; a long string is cut and its
// length said.
func quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("a string of %d bytes (%s…)", len(s), strconv.Quote(s[:maxQuoted/2]))
}

// gotGo describes a Go value the way got describes a Lua one.
func gotGo(v any) string {
	switch v := v.(type) {
	case string:
		return quote(v)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	default:
		return fmt.Sprint(v)
	}
}
