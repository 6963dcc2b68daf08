package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gokeras/gokeras/tensor"
)

// Arrays is what a Keras load_data() returns: (x_train, y_train),
// (x_test, y_test) as uint8 arrays, plus the class names.
type Arrays struct {
	XTrain, YTrain, XTest, YTest *Uint8Array
	Classes                      []string
}

// Class names in label order, for plots.
var (
	MNISTClasses   = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	FashionClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
	CIFAR10Classes = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}
)

// Where the files come from. URLs and sha256 values are Keras 3's, from
// keras/src/datasets/{mnist,fashion_mnist,cifar10,cifar100,boston_housing}.py
// (github.com/keras-team/keras); the MD5s of the original MNIST IDX files are
// the ones published with them (and listed in torchvision's datasets/mnist.py);
// those of the CIFAR binary archives are from www.cs.toronto.edu/~kriz/cifar.html.
const kerasOrigin = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

var (
	mnistNPZ = remoteFile{Name: "mnist.npz", URL: kerasOrigin + "mnist.npz",
		SHA256: "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"}
	bostonNPZ = remoteFile{Name: "boston_housing.npz", URL: kerasOrigin + "boston_housing.npz",
		SHA256: "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"}

	// The original MNIST IDX files (as the GoMNIST module ships them) are
	// accepted when they sit in the cache folder; they are never downloaded
	// (Keras fetches mnist.npz). Content hashes are of the decompressed files.
	mnistIDX = [4]remoteFile{
		{Name: "train-images-idx3-ubyte.gz", URL: "https://yann.lecun.com/exdb/mnist/train-images-idx3-ubyte.gz", MD5: "f68b3c2dcbeaaa9fbdd348bbdeb94873",
			ContentSHA256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"},
		{Name: "train-labels-idx1-ubyte.gz", URL: "https://yann.lecun.com/exdb/mnist/train-labels-idx1-ubyte.gz", MD5: "d53e105ee54ea40749a09fcbcd1e9432",
			ContentSHA256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"},
		{Name: "t10k-images-idx3-ubyte.gz", URL: "https://yann.lecun.com/exdb/mnist/t10k-images-idx3-ubyte.gz", MD5: "9fb629c4189551a2d022fa330f9573f3",
			ContentSHA256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"},
		{Name: "t10k-labels-idx1-ubyte.gz", URL: "https://yann.lecun.com/exdb/mnist/t10k-labels-idx1-ubyte.gz", MD5: "ec29112dd5afa0611ce80d1b7f02629c",
			ContentSHA256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"},
	}

	// Fashion-MNIST in Keras's layout: datasets/fashion-mnist/NAME. The
	// content hashes (of the decompressed IDX bytes) were computed from
	// Debian's dataset-fashion-mnist package, whose .gz files differ from
	// the originals only in the gzip header; the aliases let --data-dir
	// point at that package's folder itself.
	fashionIDX = [4]remoteFile{
		{Name: "fashion-mnist/train-images-idx3-ubyte.gz", URL: kerasOrigin + "train-images-idx3-ubyte.gz", Aliases: []string{"train-images-idx3-ubyte.gz"},
			SHA256:        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
			ContentSHA256: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"},
		{Name: "fashion-mnist/train-labels-idx1-ubyte.gz", URL: kerasOrigin + "train-labels-idx1-ubyte.gz", Aliases: []string{"train-labels-idx1-ubyte.gz"},
			SHA256:        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
			ContentSHA256: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"},
		{Name: "fashion-mnist/t10k-images-idx3-ubyte.gz", URL: kerasOrigin + "t10k-images-idx3-ubyte.gz", Aliases: []string{"t10k-images-idx3-ubyte.gz"},
			SHA256:        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
			ContentSHA256: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"},
		{Name: "fashion-mnist/t10k-labels-idx1-ubyte.gz", URL: kerasOrigin + "t10k-labels-idx1-ubyte.gz", Aliases: []string{"t10k-labels-idx1-ubyte.gz"},
			SHA256:        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
			ContentSHA256: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"},
	}

	// CIFAR archives. Keras 3 caches them as NAME_archive (get_file with
	// extract=True and an fname without a dot); Keras 2 as NAME.tar.gz.
	// The binary-version archives are accepted when present, never fetched.
	cifar10Archive = remoteFile{Name: "cifar-10-batches-py_archive", URL: "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
		SHA256:  "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
		Aliases: []string{"cifar-10-batches-py.tar.gz", "cifar-10-python.tar.gz"}}
	cifar10Binary = remoteFile{Name: "cifar-10-binary.tar.gz", URL: "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
		MD5: "c32a1d4ab5d03f1284b67883e8d87530"}
	cifar100Archive = remoteFile{Name: "cifar-100-python-target_archive", URL: "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
		SHA256:  "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7",
		Aliases: []string{"cifar-100-python.tar.gz"}}
	cifar100Binary = remoteFile{Name: "cifar-100-binary.tar.gz", URL: "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",
		MD5: "03b5dce01913d631647c71ecec9e9cb8"}
)

var (
	mnistInfo = Info{Name: "mnist", Description: "LeCun et al.'s handwritten digits, 28x28 grayscale",
		Task: Classification, InputShape: []int{28, 28, 1}, Classes: MNISTClasses, TrainSize: 60000, TestSize: 10000,
		Files: []string{mnistNPZ.Name}}
	fashionInfo = Info{Name: "fashion_mnist", Description: "Zalando's Fashion-MNIST: 28x28 grayscale images of 10 kinds of clothing",
		Task: Classification, InputShape: []int{28, 28, 1}, Classes: FashionClasses, TrainSize: 60000, TestSize: 10000,
		Files: names(fashionIDX[:])}
	cifar10Info = Info{Name: "cifar10", Description: "Krizhevsky's CIFAR-10: 32x32 color images of 10 classes",
		Task: Classification, InputShape: []int{32, 32, 3}, Classes: CIFAR10Classes, TrainSize: 50000, TestSize: 10000,
		Files: []string{cifar10Archive.Name}}
	cifar100Info = Info{Name: "cifar100", Description: "Krizhevsky's CIFAR-100: 32x32 color images of 100 fine classes (Load uses the fine labels)",
		Task: Classification, InputShape: []int{32, 32, 3}, TrainSize: 50000, TestSize: 10000,
		Files: []string{cifar100Archive.Name}}
)

func names(fs []remoteFile) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

// present reports whether f is in the cache folder, under its name or an
// alias, and passes its checksum; it never downloads and never removes
// anything.
func present(f remoteFile, opts Options) (string, bool) {
	c := fileState(f, opts)
	return c.Path, c.Err == nil
}

// CachedFile is one file a downloadable set reads, as the cache holds it.
type CachedFile struct {
	Path string // where it is, or where Download puts it when it is missing
	Size int64  // bytes; 0 when missing
	// Err is nil when the file is there and passes its checksum; an error
	// matching fs.ErrNotExist when it is missing; a *ChecksumError (or the
	// read error) when it is there but cannot be used.
	Err error
}

// CacheStatus reports the files the named set reads from the cache folder
// (CacheDir) and whether each is there and sound, without downloading,
// moving or removing anything. For mnist that is mnist.npz, or LeCun's
// four IDX files when they are there instead (both lists when neither is
// complete and sound); for cifar10 and cifar100 the Python archive, or the
// binary one when only that is there. Embedded sets read no files.
func CacheStatus(name string, opts Options) ([]CachedFile, error) {
	e, err := lookup(name)
	if err != nil {
		return nil, err
	}
	states := func(fs ...remoteFile) []CachedFile {
		out := make([]CachedFile, len(fs))
		for i, f := range fs {
			out[i] = fileState(f, opts)
		}
		return out
	}
	switch e.info.Name {
	case "mnist":
		npz := states(mnistNPZ)
		if npz[0].Err == nil {
			return npz, nil
		}
		idx, complete, anyThere := mnistIDXState(opts)
		switch {
		case complete:
			return idx, nil
		case anyThere:
			return append(npz, idx...), nil
		}
		return npz, nil
	case "fashion_mnist":
		return states(fashionIDX[:]...), nil
	case "cifar10", "cifar100":
		py, bin := cifar10Archive, cifar10Binary
		if e.info.Name == "cifar100" {
			py, bin = cifar100Archive, cifar100Binary
		}
		out := states(py, bin)
		if out[0].Err != nil && (out[1].Err == nil || !errors.Is(out[1].Err, fs.ErrNotExist)) {
			if out[1].Err == nil {
				return out[1:], nil
			}
			return out, nil
		}
		return out[:1], nil
	}
	return nil, nil
}

// fileState looks for f in the cache folder under its name and its
// aliases: the first sound copy, else the first copy there, else missing.
func fileState(f remoteFile, opts Options) CachedFile {
	dir := CacheDir(opts)
	var first *CachedFile
	for _, n := range append([]string{f.Name}, f.Aliases...) {
		p := filepath.Join(dir, filepath.FromSlash(n))
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		c := CachedFile{Path: p, Size: fi.Size(), Err: verify(p, f)}
		if c.Err == nil {
			return c
		}
		if first == nil {
			first = &c
		}
	}
	if first != nil {
		return *first
	}
	p := filepath.Join(dir, filepath.FromSlash(f.Name))
	_, err := os.Stat(p)
	if err == nil { // it appeared meanwhile: still say missing, as it was
		err = &fs.PathError{Op: "stat", Path: p, Err: fs.ErrNotExist}
	}
	return CachedFile{Path: p, Err: err}
}

// mnistIDXState checks LeCun's four IDX files: complete when all are
// there and sound; anyThere when at least one of them is there at all.
func mnistIDXState(opts Options) (files []CachedFile, complete, anyThere bool) {
	complete = true
	for _, f := range mnistIDX {
		c := fileState(f, opts)
		files = append(files, c)
		complete = complete && c.Err == nil
		anyThere = anyThere || !errors.Is(c.Err, fs.ErrNotExist)
	}
	return files, complete, anyThere
}

// MNISTError reports that MNIST's IDX files are in the cache folder but
// cannot be used, and mnist.npz could not be had instead. Nothing was
// changed or removed.
type MNISTError struct {
	IDX []CachedFile // the four IDX files; those with Err set are missing or bad
	NPZ error        // why mnist.npz could not be read instead
}

func (e *MNISTError) Error() string {
	var why []string
	for _, c := range e.IDX {
		switch {
		case c.Err == nil:
		case errors.Is(c.Err, fs.ErrNotExist):
			why = append(why, c.Path+" is missing")
		default:
			why = append(why, fmt.Sprintf("%s is bad (%s)", c.Path, checkText(c.Err)))
		}
	}
	return fmt.Sprintf("dataset: MNIST's four IDX files are read only when all are there and sound, and %s; %s",
		strings.Join(why, ", "), strings.TrimPrefix(e.NPZ.Error(), "dataset: "))
}

func (e *MNISTError) Unwrap() []error {
	out := []error{e.NPZ}
	for _, c := range e.IDX {
		if c.Err != nil {
			out = append(out, c.Err)
		}
	}
	return out
}

// MNIST loads MNIST as keras.datasets.mnist.load_data does: uint8 images
// (60000,28,28) and (10000,28,28), labels (60000,) and (10000,). It reads
// mnist.npz from the cache (downloading it if needed) or, when the four
// original IDX files are in the cache folder, those. When some of the IDX
// files are there but one is missing or bad, mnist.npz serves instead
// (the bad file is named on opts.Progress and left alone); if it cannot
// be had either, the error (a *MNISTError) names the IDX files at fault.
func MNIST(opts Options) (*Arrays, error) {
	var idxFault []CachedFile // IDX files that are there but cannot all be used
	if _, ok := present(mnistNPZ, opts); !ok {
		idx, complete, anyThere := mnistIDXState(opts)
		if complete {
			paths := make([]string, len(idx))
			for i, c := range idx {
				paths[i] = c.Path
			}
			return readIDXSet(paths, MNISTClasses)
		}
		if anyThere {
			idxFault = idx
		}
	}
	p, err := fetch(mnistNPZ, opts)
	if err != nil {
		if idxFault != nil {
			return nil, &MNISTError{IDX: idxFault, NPZ: err}
		}
		return nil, err
	}
	if idxFault != nil {
		msg := (&MNISTError{IDX: idxFault, NPZ: fmt.Errorf("read %s instead", p)}).Error()
		fmt.Fprintln(progressOut(opts), msg)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	m, err := ReadNPZ(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", p, err)
	}
	a := &Arrays{Classes: MNISTClasses}
	for _, k := range []struct {
		key string
		dst **Uint8Array
	}{{"x_train", &a.XTrain}, {"y_train", &a.YTrain}, {"x_test", &a.XTest}, {"y_test", &a.YTest}} {
		arr, ok := m[k.key]
		if !ok {
			return nil, fmt.Errorf("dataset: %s has no array %q", p, k.key)
		}
		if *k.dst, err = arr.Uint8(); err != nil {
			return nil, fmt.Errorf("dataset: %s: %s: %w", p, k.key, err)
		}
	}
	return a, checkPairs(a, p)
}

// FashionMNIST loads Fashion-MNIST as keras.datasets.fashion_mnist does,
// from the cache folder's fashion-mnist/ (downloading what is missing).
func FashionMNIST(opts Options) (*Arrays, error) {
	var paths []string
	for _, f := range fashionIDX {
		p, err := fetch(f, opts)
		if err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return readIDXSet(paths, FashionClasses)
}

// readIDXSet reads train images, train labels, test images, test labels.
func readIDXSet(paths []string, classes []string) (*Arrays, error) {
	arrs := make([]*Uint8Array, 4)
	for i, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		arrs[i], err = ReadIDX(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%w (file %s)", err, p)
		}
	}
	a := &Arrays{XTrain: arrs[0], YTrain: arrs[1], XTest: arrs[2], YTest: arrs[3], Classes: classes}
	return a, checkPairs(a, filepath.Dir(paths[0]))
}

func checkPairs(a *Arrays, where string) error {
	for _, p := range [][2]*Uint8Array{{a.XTrain, a.YTrain}, {a.XTest, a.YTest}} {
		if len(p[0].Shape) < 2 || len(p[1].Shape) < 1 || p[0].Shape[0] != p[1].Shape[0] {
			return fmt.Errorf("dataset: %s: images %v do not match labels %v", where, p[0].Shape, p[1].Shape)
		}
	}
	return nil
}

// CIFAR10 loads CIFAR-10 as keras.datasets.cifar10.load_data does: uint8
// images (50000,32,32,3) and (10000,32,32,3), labels (N,1).
func CIFAR10(opts Options) (*Arrays, error) {
	return loadCIFAR(opts, 10, "fine", cifar10Archive, cifar10Binary)
}

// CIFAR100 loads CIFAR-100 with labelMode "fine" (100 classes) or "coarse"
// (20 superclasses); anything else is an error, as in Keras.
func CIFAR100(opts Options, labelMode string) (*Arrays, error) {
	if labelMode != "fine" && labelMode != "coarse" {
		return nil, fmt.Errorf("dataset: cifar100 label mode %q: want \"fine\" or \"coarse\"", labelMode)
	}
	return loadCIFAR(opts, 100, labelMode, cifar100Archive, cifar100Binary)
}

func loadCIFAR(opts Options, classes int, mode string, python, binary remoteFile) (*Arrays, error) {
	p, ok := present(binary, opts)
	if _, havePy := present(python, opts); havePy || !ok {
		var err error
		if p, err = fetch(python, opts); err != nil {
			return nil, err
		}
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := readCIFARArchive(f, classes, mode)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, p)
	}
	return a, nil
}

// BostonHousing loads boston_housing.npz as keras.datasets.boston_housing
// does (downloading it if needed) and splits it with testSplit and seed
// exactly as Keras does. Load("boston_housing") gives the same arrays from
// the embedded copy without any file.
func BostonHousing(opts Options, testSplit float64, seed uint64) (train, test *Set, err error) {
	if !(testSplit >= 0 && testSplit < 1) {
		return nil, nil, fmt.Errorf("dataset: boston_housing test split %v must be in [0, 1)", testSplit)
	}
	p, err := fetch(bostonNPZ, opts)
	if err != nil {
		return nil, nil, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, nil, err
	}
	m, err := ReadNPZ(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, nil, fmt.Errorf("dataset: %s: %w", p, err)
	}
	x, y := m["x"], m["y"]
	if x == nil || y == nil || len(x.Shape) != 2 || x.Shape[1] != 13 || len(y.Shape) != 1 || y.Shape[0] != x.Shape[0] {
		return nil, nil, fmt.Errorf("dataset: %s does not hold x (N,13) and y (N,)", p)
	}
	tr, te := splitIndices(x.Shape[0], testSplit, seed)
	xs, ys := x.Float32(), y.Float32()
	return rowsSet(xs, 13, ys, 1, tr, nil), rowsSet(xs, 13, ys, 1, te, nil), nil
}

// ScaleImages converts uint8 images to float32 in [0,1] (divided by 255)
// and adds a channel axis to grayscale (N,H,W) arrays: (N,H,W,1).
func ScaleImages(x *Uint8Array) *tensor.Tensor { return scaleImages(x, 255) }

// scaleImages is ScaleImages dividing by div (255, or 1 for Pixels255).
func scaleImages(x *Uint8Array, div float32) *tensor.Tensor {
	shape := append([]int(nil), x.Shape...)
	if len(shape) == 3 {
		shape = append(shape, 1)
	}
	data := make([]float32, len(x.Data))
	scalePixels(data, x.Data, div)
	return mustTensor(data, shape...)
}

// Labels converts uint8 labels, (N,) or (N,1), to float32 class indices (N,).
func Labels(y *Uint8Array) *tensor.Tensor {
	data := make([]float32, len(y.Data))
	for i, v := range y.Data {
		data[i] = float32(v)
	}
	return mustTensor(data, len(data))
}

// Pixels wraps uint8 images, adding a channel axis to grayscale (N,H,W)
// arrays, as tensor.Bytes that read as v/255: the values ScaleImages
// gives, without copying x.
func Pixels(x *Uint8Array) *tensor.Bytes {
	shape := append(tensor.Shape(nil), x.Shape...)
	if len(shape) == 3 {
		shape = append(shape, 1)
	}
	return &tensor.Bytes{Shape: shape, Data: x.Data, Divisor: 255}
}

// Sets converts a to float32 training and test Sets (ScaleImages, Labels).
func (a *Arrays) Sets() (train, test *Set) {
	return &Set{X: ScaleImages(a.XTrain), Y: Labels(a.YTrain), Classes: a.Classes},
		&Set{X: ScaleImages(a.XTest), Y: Labels(a.YTest), Classes: a.Classes}
}

// setsOf converts the arrays a loader returned to Sets: uint8 Pixels with
// opts.Uint8, else float32, in opts.PixelRange.
func setsOf(a *Arrays, err error, opts Options) (*Set, *Set, error) {
	if err != nil {
		return nil, nil, err
	}
	div := opts.PixelRange.divisor()
	set := func(x, y *Uint8Array) *Set {
		s := &Set{Y: Labels(y), Classes: a.Classes}
		if opts.Uint8 {
			s.Pixels = Pixels(x)
			s.Pixels.Divisor = div
		} else {
			s.X = scaleImages(x, div)
		}
		return s
	}
	return set(a.XTrain, a.YTrain), set(a.XTest, a.YTest), nil
}

func loadMNISTSet(opts Options) (*Set, *Set, error) {
	a, err := MNIST(opts)
	return setsOf(a, err, opts)
}

func loadFashionSet(opts Options) (*Set, *Set, error) {
	a, err := FashionMNIST(opts)
	return setsOf(a, err, opts)
}

func loadCIFAR10Set(opts Options) (*Set, *Set, error) {
	a, err := CIFAR10(opts)
	return setsOf(a, err, opts)
}

func loadCIFAR100Set(opts Options) (*Set, *Set, error) {
	a, err := CIFAR100(opts, "fine")
	return setsOf(a, err, opts)
}

// Download fetches the files of the named set into the cache (CacheDir) if
// they are not there yet, verifying their checksums, and returns their
// paths. Embedded sets need no files and return none.
func Download(name string, opts Options) ([]string, error) {
	e, err := lookup(name)
	if err != nil {
		return nil, err
	}
	var files []remoteFile
	switch e.info.Name {
	case "mnist":
		files = []remoteFile{mnistNPZ}
	case "fashion_mnist":
		files = fashionIDX[:]
	case "cifar10":
		files = []remoteFile{cifar10Archive}
	case "cifar100":
		files = []remoteFile{cifar100Archive}
	}
	var paths []string
	for _, f := range files {
		p, err := fetch(f, opts)
		if err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}
