package sim

import (
	"math/bits"
	"math/rand/v2"
)

// random picks uniformly among the enabled steps, from its own PCG
// source. Draws are reduced to a range by this package (not by
// rand.IntN), so a seed names the same schedule in every Go release.
type random struct {
	src *rand.PCG
}

func newRandom(seed int64) *random {
	return &random{src: rand.NewPCG(uint64(seed), 0x6d757465786c6162)} // "mutexlab"
}

func (r *random) reseed(seed int64) { r.src.Seed(uint64(seed), 0x6d757465786c6162) }

func (r *random) pick(_ *machine, en []step) int {
	if len(en) == 1 {
		return 0
	}
	return int(r.below(uint64(len(en))))
}

// below returns a uniform value in [0, n) (Lemire's multiply-and-reject).
func (r *random) below(n uint64) uint64 {
	for {
		x := r.src.Uint64()
		hi, lo := bits.Mul64(x, n)
		if lo >= n || lo >= -n%n {
			return hi
		}
	}
}
