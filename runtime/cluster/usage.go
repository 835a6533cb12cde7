package cluster

// PeakRSS returns the peak resident set size of each node process that
// has exited, in bytes, as the kernel counted it (0 where the system does
// not say). Call it after Done: mutexlab bench reads it.
func (c *Cluster) PeakRSS() map[string]int64 {
	m := map[string]int64{}
	for id, p := range c.procs {
		select {
		case <-p.exited:
			m[id] = peakRSS(p.cmd.ProcessState)
		default:
		}
	}
	return m
}
