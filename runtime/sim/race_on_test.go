//go:build race

package sim

// raceOn: the race detector slows the simulator about eightfold, so the
// longest explorations run fewer schedules under it.
const raceOn = true
