package runview

import (
	"errors"
	"fmt"
	"os"
)

// ErrBusy says a file is being written by another mutexlab process.
var ErrBusy = errors.New("another mutexlab run is writing it; choose another file or wait for that run to end")

// CreateLocked opens path for writing, empty, holding an exclusive lock
// on it until it is closed: a second run given the same --trace or
// --html file is refused before it writes a byte, rather than both
// corrupting it (README, "Flags and files"). The file is truncated only
// once the lock is held.
func CreateLocked(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, ErrBusy) {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return nil, err
	}
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() { // not /dev/stdout or a pipe
		if err := f.Truncate(0); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}
