//go:build unix && !linux

package journal

import "errors"

// prefault is not done here: the pages fault in as the records reach them.
func prefault([]byte) error { return errors.ErrUnsupported }
