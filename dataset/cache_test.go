package dataset

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The audit's file: the start of a zip header and nothing else.
var fakeNPZ = []byte("PK\x03\x04 fake")

func hexSum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
func md5Sum(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }

// mustSay fails unless err's message holds every one of want.
func mustSay(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one saying %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
}

// mustHold fails unless the file at p holds exactly b.
func mustHold(t *testing.T, p string, b []byte) {
	t.Helper()
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%s: %v (the user's file is gone)", p, err)
	}
	if !bytes.Equal(got, b) {
		t.Fatalf("%s holds %q, want %q", p, got, b)
	}
}

// D4: offline, a bad file in --data-dir is an error naming the file and
// both checksums, and stays where it is.
func TestBadCachedFileKeptOffline(t *testing.T) {
	_, _, npz := mnistFixture()
	swap(t, &mnistNPZ.SHA256, sha(npz))
	dir := t.TempDir()
	p := filepath.Join(dir, "mnist.npz")
	os.WriteFile(p, fakeNPZ, 0o644)
	_, err := MNIST(Options{DataDir: dir, Offline: true})
	mustSay(t, err, p, "sha256", hexSum(fakeNPZ), sha(npz), "downloads are off")
	if strings.Count(err.Error(), "dataset:") != 1 {
		t.Errorf("error %q repeats its context", err)
	}
	var ce *ChecksumError
	if !errors.As(err, &ce) || ce.Got != hexSum(fakeNPZ) {
		t.Errorf("error %v does not wrap the ChecksumError", err)
	}
	mustHold(t, p, fakeNPZ)
	if got := cacheFiles(t, dir); !slices.Equal(got, []string{"mnist.npz"}) {
		t.Errorf("folder holds %v, want only mnist.npz", got)
	}
}

// D4: when no good copy can be downloaded, the bad file is left as it is
// and the error names it and both checksums, not only "not in the cache".
func TestBadCachedFileKeptWhenDownloadFails(t *testing.T) {
	_, _, npz := mnistFixture()
	srv := newServer(t, map[string][]byte{}) // 404 for everything
	swap(t, &mnistNPZ.SHA256, sha(npz))
	dir := t.TempDir()
	p := filepath.Join(dir, "mnist.npz")
	os.WriteFile(p, fakeNPZ, 0o644)
	var progress bytes.Buffer
	_, err := MNIST(Options{DataDir: dir, Mirror: srv.URL, Progress: &progress})
	mustSay(t, err, p, hexSum(fakeNPZ), sha(npz), "404", "left as it is")
	var oe *OfflineError
	if !errors.As(err, &oe) && !strings.Contains(err.Error(), srv.URL) {
		t.Errorf("error %v does not say where the download came from", err)
	}
	mustHold(t, p, fakeNPZ)
	if got := cacheFiles(t, dir); !slices.Equal(got, []string{"mnist.npz"}) {
		t.Errorf("folder holds %v, want only mnist.npz", got)
	}
	// The same with a server that is not there at all.
	srv.Close()
	_, err = MNIST(Options{DataDir: dir, Mirror: srv.URL})
	mustSay(t, err, p, hexSum(fakeNPZ), sha(npz))
	mustHold(t, p, fakeNPZ)
}

// D4: once a good copy is downloaded, the bad file is kept beside it as
// NAME.bad (and an older NAME.bad is not overwritten).
func TestBadCachedFileMovedAside(t *testing.T) {
	_, _, npz := mnistFixture()
	srv := newServer(t, map[string][]byte{"mnist.npz": npz})
	swap(t, &mnistNPZ.SHA256, sha(npz))
	dir := t.TempDir()
	p := filepath.Join(dir, "mnist.npz")
	os.WriteFile(p, fakeNPZ, 0o644)
	var progress bytes.Buffer
	if _, err := MNIST(Options{DataDir: dir, Mirror: srv.URL, Progress: &progress}); err != nil {
		t.Fatal(err)
	}
	mustHold(t, p, npz)
	mustHold(t, p+".bad", fakeNPZ)
	if !strings.Contains(progress.String(), p+".bad") {
		t.Errorf("progress %q does not say where the bad file went", progress.String())
	}
	second := []byte("another bad copy")
	os.WriteFile(p, second, 0o644)
	if _, err := MNIST(Options{DataDir: dir, Mirror: srv.URL}); err != nil {
		t.Fatal(err)
	}
	mustHold(t, p, npz)
	mustHold(t, p+".bad", fakeNPZ)
	found := false
	for _, f := range cacheFiles(t, dir) {
		if b, _ := os.ReadFile(filepath.Join(dir, f)); bytes.Equal(b, second) {
			found = strings.HasPrefix(f, "mnist.npz.bad")
		}
	}
	if !found {
		t.Errorf("the second bad copy is gone: folder holds %v", cacheFiles(t, dir))
	}
}

// D4 for fashion_mnist's IDX files, as the audit found them deleted.
func TestBadFashionFileKept(t *testing.T) {
	files := fashionFixture(8)
	useFashionFixture(t, files)
	dir := t.TempDir()
	p := filepath.Join(dir, "fashion-mnist", "train-images-idx3-ubyte.gz")
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, []byte("junk"), 0o644)
	_, err := FashionMNIST(Options{DataDir: dir, Offline: true})
	mustSay(t, err, p, hexSum([]byte("junk")), sha(files["train-images-idx3-ubyte.gz"]))
	mustHold(t, p, []byte("junk"))
}

// mnistIDXFixture writes MNIST's four IDX files into dir and makes them
// the expected ones; it returns their contents by name.
func mnistIDXFixture(t *testing.T, dir string) map[string][]byte {
	img := make([]byte, 2*28*28)
	for i := range img {
		img[i] = byte(i * 7)
	}
	files := map[string][]byte{
		"train-images-idx3-ubyte.gz": gzipBytes(idxBytes([]int{2, 28, 28}, img, 8)),
		"train-labels-idx1-ubyte.gz": gzipBytes(idxBytes([]int{2}, []byte{4, 1}, 8)),
		"t10k-images-idx3-ubyte.gz":  gzipBytes(idxBytes([]int{1, 28, 28}, img[:784], 8)),
		"t10k-labels-idx1-ubyte.gz":  gzipBytes(idxBytes([]int{1}, []byte{6}, 8)),
	}
	for i := range mnistIDX {
		b := files[mnistIDX[i].Name]
		swap(t, &mnistIDX[i].MD5, md5Sum(b))
		swap(t, &mnistIDX[i].ContentSHA256, "")
		if err := os.WriteFile(filepath.Join(dir, mnistIDX[i].Name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// D4: MNIST's IDX files are read when all four check out; a bad one is
// named in the error (with both checksums), not skipped in silence for an
// error about mnist.npz.
func TestMNISTIDXFiles(t *testing.T) {
	_, _, npz := mnistFixture()
	swap(t, &mnistNPZ.SHA256, sha(npz))
	dir := t.TempDir()
	files := mnistIDXFixture(t, dir)
	a, err := MNIST(Options{DataDir: dir, Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	if checkShape(t, "x_train", a.XTrain.Shape, 2, 28, 28); a.YTrain.Data[0] != 4 || a.YTest.Data[0] != 6 {
		t.Errorf("labels %v %v", a.YTrain.Data, a.YTest.Data)
	}

	p := filepath.Join(dir, "train-images-idx3-ubyte.gz")
	bad := append(slices.Clone(files["train-images-idx3-ubyte.gz"]), 0)
	os.WriteFile(p, bad, 0o644)
	_, err = MNIST(Options{DataDir: dir, Offline: true})
	mustSay(t, err, p, "md5", md5Sum(bad), md5Sum(files["train-images-idx3-ubyte.gz"]), "mnist.npz")
	var ce *ChecksumError
	if !errors.As(err, &ce) || ce.File != p {
		t.Errorf("error %v does not wrap the IDX file's ChecksumError", err)
	}
	if strings.Count(err.Error(), "dataset:") != 1 {
		t.Errorf("error %q repeats its context", err)
	}
	mustHold(t, p, bad)

	// A missing one of the four is named too.
	os.WriteFile(p, files["train-images-idx3-ubyte.gz"], 0o644)
	os.Remove(filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"))
	_, err = MNIST(Options{DataDir: dir, Offline: true})
	mustSay(t, err, "t10k-labels-idx1-ubyte.gz", "missing")

	// Online, mnist.npz serves instead and the IDX files are left alone.
	os.WriteFile(p, bad, 0o644)
	srv := newServer(t, map[string][]byte{"mnist.npz": npz})
	var progress bytes.Buffer
	a, err = MNIST(Options{DataDir: dir, Mirror: srv.URL, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, "x_train from npz", a.XTrain.Shape, 3, 28, 28)
	if !strings.Contains(progress.String(), p) {
		t.Errorf("progress %q does not name the bad IDX file", progress.String())
	}
	mustHold(t, p, bad)
}

// D4: the cache status (what `datasets info` shows) counts MNIST's four
// IDX files as present and names a bad file with its checksums.
func TestCacheStatus(t *testing.T) {
	_, _, npz := mnistFixture()
	swap(t, &mnistNPZ.SHA256, sha(npz))
	dir := t.TempDir()
	st, err := CacheStatus("mnist", Options{DataDir: dir})
	if err != nil || len(st) != 1 || st[0].Path != filepath.Join(dir, "mnist.npz") || !errors.Is(st[0].Err, fs.ErrNotExist) {
		t.Fatalf("empty folder: %+v, %v; want mnist.npz missing", st, err)
	}
	files := mnistIDXFixture(t, dir)
	st, err = CacheStatus("mnist", Options{DataDir: dir})
	if err != nil || len(st) != 4 {
		t.Fatalf("four IDX files: %+v, %v", st, err)
	}
	for i, s := range st {
		if s.Err != nil || s.Path != filepath.Join(dir, mnistIDX[i].Name) || s.Size != int64(len(files[mnistIDX[i].Name])) {
			t.Errorf("file %d: %+v, want %s present", i, s, mnistIDX[i].Name)
		}
	}
	p := filepath.Join(dir, "t10k-images-idx3-ubyte.gz")
	os.WriteFile(p, []byte("junk"), 0o644)
	st, _ = CacheStatus("mnist", Options{DataDir: dir})
	var ce *ChecksumError
	found := false
	for _, s := range st {
		if s.Path == p {
			found = errors.As(s.Err, &ce) && ce.Got == md5Sum([]byte("junk"))
		}
	}
	if !found {
		t.Errorf("a bad IDX file is not reported: %+v", st)
	}
	// A good mnist.npz is what Load reads first.
	os.WriteFile(filepath.Join(dir, "mnist.npz"), npz, 0o644)
	st, _ = CacheStatus("mnist", Options{DataDir: dir})
	if len(st) != 1 || st[0].Err != nil || filepath.Base(st[0].Path) != "mnist.npz" {
		t.Errorf("with a good mnist.npz: %+v", st)
	}
	if st, err := CacheStatus("digits", Options{DataDir: dir}); err != nil || len(st) != 0 {
		t.Errorf("embedded set: %+v, %v", st, err)
	}
	if _, err := CacheStatus("imagenet", Options{}); err == nil {
		t.Error("an unknown set has a status")
	}
}

// D5: a download removes the partial downloads a killed run left in its
// folder once they are a day old: only files named as download writes
// them (.NAME.part-DIGITS), only regular files, only older than 24 hours.
func TestStalePartialDownloadsRemoved(t *testing.T) {
	_, _, npz := mnistFixture()
	srv := newServer(t, map[string][]byte{"mnist.npz": npz})
	swap(t, &mnistNPZ.SHA256, sha(npz))
	dir := t.TempDir()
	old := time.Now().Add(-25 * time.Hour)
	write := func(name string, mtime time.Time) {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, mtime, mtime)
	}
	write(".mnist.npz.part-1234567", old)             // ours, stale: removed
	write(".cifar-10-batches-py_archive.part-9", old) // ours, another file, stale: removed
	keep := []string{
		".mnist.npz.part-7654321",   // ours but recent: a download may be running
		".mnist.npz.part-12ab",      // not our pattern
		"mnist.npz.part-1",          // not hidden: not ours
		".notes.part-1.txt",         // not ours
		"sub/.mnist.npz.part-55555", // another folder
	}
	for _, k := range keep {
		mt := old
		if k == ".mnist.npz.part-7654321" {
			mt = time.Now().Add(-23 * time.Hour)
		}
		write(k, mt)
	}
	os.Mkdir(filepath.Join(dir, ".x.part-77"), 0o755) // a folder: never touched
	os.Chtimes(filepath.Join(dir, ".x.part-77"), old, old)
	var progress bytes.Buffer
	if _, err := MNIST(Options{DataDir: dir, Mirror: srv.URL, Progress: &progress}); err != nil {
		t.Fatal(err)
	}
	got := cacheFiles(t, dir)
	want := append([]string{"mnist.npz"}, keep...)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("folder holds %v, want %v", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, ".x.part-77")); err != nil {
		t.Errorf("a folder named like a partial download was removed: %v", err)
	}
	if !strings.Contains(progress.String(), ".mnist.npz.part-1234567") {
		t.Errorf("progress %q does not name what was removed", progress.String())
	}
}
