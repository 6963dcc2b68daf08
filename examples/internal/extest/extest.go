// Package extest holds what the examples share: the -short subset and the
// smoke-test skip when a data set is not available offline.
package extest

import (
	"testing"

	"github.com/gokeras/gokeras/dataset"
)

// Subset returns the first n examples of s (all of s when n <= 0 or n is
// larger), as a view.
func Subset(s *dataset.Set, n int) *dataset.Set {
	if n <= 0 || n >= s.Len() {
		return s
	}
	return &dataset.Set{X: s.X.Slice(0, n), Y: s.Y.Slice(0, n), Classes: s.Classes}
}

// RequireData skips t with a message when the named set cannot be loaded
// without downloading.
func RequireData(t *testing.T, name string) {
	t.Helper()
	info, err := dataset.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	if info.Embedded {
		return
	}
	if _, _, err := dataset.Load(name, dataset.Options{Offline: true}); err != nil {
		t.Skipf("%s is not available offline (%v); 'gokeras datasets download %s' fetches it", name, err, name)
	}
}
