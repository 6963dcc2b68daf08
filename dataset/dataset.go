// Package dataset owns the data sets gokeras trains on: the small sets
// embedded in the binary (digits, iris, wine, breast_cancer, diabetes,
// boston_housing), Keras's downloadable sets (mnist, fashion_mnist, cifar10,
// cifar100) with a Keras-compatible cache, the file formats they come in
// (IDX, .npy/.npz, CIFAR pickle and binary archives) and folders of images.
//
// Load is the one call a program or the CLI needs: it returns float32 tensors
// ready for training, or with Options.Uint8 image pixels kept as uint8 that
// training scales a batch at a time. Images come in [0, 1], or with
// Options.PixelRange Pixels255 in [0, 255] as Keras's image loaders give
// them. The Keras-style loaders (MNIST, CIFAR10, …) return the raw uint8
// arrays Keras returns, for code that wants them.
package dataset

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/gokeras/gokeras/tensor"
)

// Set is a data set ready for training: inputs and targets with the batch
// on the first axis. The inputs are in X, or for images loaded with
// Options.Uint8 in Pixels.
type Set struct {
	X *tensor.Tensor // float32; images in [0,1] (or [0,255], Options.PixelRange), channels-last (N,H,W,C); tables (N,F)
	// Pixels holds images (N,H,W,C) as uint8 that read as v/255 (or v with
	// Pixels255), the values X would hold, at a quarter of the memory; X is
	// nil then.
	Pixels  *tensor.Bytes
	Y       *tensor.Tensor // float32; class indices (N,) for classification; targets (N,1) for regression
	Classes []string       // class names (nil for regression)
}

// Len is the number of examples in s.
func (s *Set) Len() int {
	switch {
	case s == nil:
		return 0
	case s.Pixels != nil && len(s.Pixels.Shape) > 0:
		return s.Pixels.Shape[0]
	case s.X != nil && len(s.X.Shape) > 0:
		return s.X.Shape[0]
	}
	return 0
}

// Shape is the inputs' shape, (N, H, W, C) or (N, F), from X or Pixels.
func (s *Set) Shape() tensor.Shape {
	if s.Pixels != nil {
		return s.Pixels.Shape
	}
	return s.X.Shape
}

// Options for Load; the zero value uses Keras's cache (~/.keras/datasets,
// honouring KERAS_HOME) and seed 0.
type Options struct {
	DataDir  string    // where downloaded files live instead of the Keras cache
	Seed     uint64    // for the 80/20 split of sets without a test split, and image-folder shuffles
	Offline  bool      // never download
	Progress io.Writer // download progress (nil: none)

	// Mirror, if set, is a base URL that replaces the canonical host: a file
	// is fetched from Mirror + "/" + its canonical base name. Checksums are
	// the same, so a mirror cannot serve other bytes.
	Mirror string

	// Image folders only (Load with a directory name). Zero values: the
	// first image's size, ColorRGB, and a validation split of 0.2 when the
	// folder has no train/ and test/ sub-folders.
	ImageSize       [2]int    // height, width to resize to
	ColorMode       ColorMode // ColorRGB or ColorGrayscale
	ValidationSplit float64   // fraction held out as the test part

	// Uint8 keeps image sets' pixels as uint8 in Set.Pixels, with X nil:
	// a quarter of float32's memory (184 MB instead of 737 MB for
	// CIFAR-10), scaled to [0, 1] as training reads each batch. It applies
	// to mnist, fashion_mnist, cifar10, cifar100 and image folders whose
	// images need no resizing; other sets come back as float32 in X.
	Uint8 bool

	// PixelRange is the range images are loaded in: PixelsUnit (the zero
	// value) divides 8-bit pixels by 255; Pixels255 keeps them in
	// [0, 255], as Keras's image_dataset_from_directory does, for models
	// that start with Rescaling(1/255). It applies to mnist,
	// fashion_mnist, cifar10, cifar100 and image folders, and to digits,
	// whose pixels are 0..16: v/16 or v·255/16. Tables are unchanged.
	PixelRange PixelRange
}

// Info describes a set for `gokeras datasets list/info`.
type Info struct {
	Name, Description string
	Task              string // "classification" or "regression"
	InputShape        []int  // one example, e.g. [28 28 1]
	Classes           []string
	TrainSize         int
	TestSize          int
	Embedded          bool     // shipped inside the binary; nothing to download
	Files             []string // file names in the cache folder (downloaded sets)
}

// Tasks an Info can name.
const (
	Classification = "classification"
	Regression     = "regression"
)

// entry is one registered set: what it is and how to load it as float32.
type entry struct {
	info Info
	load func(Options) (train, test *Set, err error)
}

// registry is sorted by name; init checks that.
var registry = []entry{
	{bostonInfo, loadBoston},
	{breastCancerInfo, loadBreastCancer},
	{cifar10Info, loadCIFAR10Set},
	{cifar100Info, loadCIFAR100Set},
	{diabetesInfo, loadDiabetes},
	{digitsInfo, loadDigits},
	{fashionInfo, loadFashionSet},
	{irisInfo, loadIris},
	{mnistInfo, loadMNISTSet},
	{wineInfo, loadWine},
}

func init() {
	if !slices.IsSortedFunc(registry, func(a, b entry) int { return strings.Compare(a.info.Name, b.info.Name) }) {
		panic("dataset: registry is not sorted by name")
	}
}

// List describes every named set, sorted by name.
func List() []Info {
	out := make([]Info, len(registry))
	for i, e := range registry {
		out[i] = cloneInfo(e.info)
	}
	return out
}

// Names returns the names Load accepts (besides image folders), sorted.
func Names() []string {
	out := make([]string, len(registry))
	for i, e := range registry {
		out[i] = e.info.Name
	}
	return out
}

// Lookup returns the description of the named set; an unknown name is an
// error that lists the valid ones.
func Lookup(name string) (Info, error) {
	e, err := lookup(name)
	if err != nil {
		return Info{}, err
	}
	return cloneInfo(e.info), nil
}

func lookup(name string) (entry, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	key = strings.ReplaceAll(key, "-", "_")
	for _, e := range registry {
		if e.info.Name == key {
			return e, nil
		}
	}
	return entry{}, fmt.Errorf("dataset: unknown data set %q; valid names are %s, or a folder of class sub-folders of images", name, strings.Join(Names(), ", "))
}

func cloneInfo(in Info) Info {
	in.InputShape = slices.Clone(in.InputShape)
	in.Classes = slices.Clone(in.Classes)
	in.Files = slices.Clone(in.Files)
	return in
}

// Load returns the named set's training and test parts as float32 tensors
// ready for training. Sets without their own test split (digits, iris, wine,
// breast_cancer, diabetes) are split 80/20 with opts.Seed: the test part is
// the last 20% of np.random.RandomState(seed).permutation(n), as Keras splits
// boston_housing. A name that is an existing directory loads a folder of
// images (see ImageFolder).
func Load(name string, opts Options) (train, test *Set, err error) {
	if err := opts.PixelRange.check(); err != nil {
		return nil, nil, err
	}
	e, lerr := lookup(name)
	if lerr != nil {
		if fi, serr := os.Stat(name); serr == nil && fi.IsDir() {
			return loadImageDirSets(name, opts)
		}
		return nil, nil, lerr
	}
	return e.load(opts)
}

// splitIndices shuffles 0..n-1 with seed as numpy's RandomState does and
// returns the first int(n*(1-testFrac)) as train, the rest as test.
func splitIndices(n int, testFrac float64, seed uint64) (train, test []int) {
	p := newNumpyRand(seed).permutation(n)
	k := int(float64(n) * (1 - testFrac))
	return p[:k], p[k:]
}

// rowsSet gathers rows idx of a table x (n, f) with targets y (n, ydim) into
// a Set; ydim 0 means class indices of shape (n,).
func rowsSet(x []float32, f int, y []float32, ydim int, idx []int, classes []string) *Set {
	xs := make([]float32, 0, len(idx)*f)
	w := max(ydim, 1)
	ys := make([]float32, 0, len(idx)*w)
	for _, i := range idx {
		xs = append(xs, x[i*f:(i+1)*f]...)
		ys = append(ys, y[i*w:(i+1)*w]...)
	}
	s := &Set{X: mustTensor(xs, len(idx), f), Classes: slices.Clone(classes)}
	if ydim == 0 {
		s.Y = mustTensor(ys, len(idx))
	} else {
		s.Y = mustTensor(ys, len(idx), ydim)
	}
	return s
}

// mustTensor wraps data whose size the caller has already checked. Unlike
// tensor.FromSlice it allows an empty batch axis (an empty split).
func mustTensor(data []float32, shape ...int) *tensor.Tensor {
	s := tensor.Shape(shape).Clone()
	if s.Size() != len(data) {
		panic(fmt.Sprintf("dataset: %d values do not fill shape %v", len(data), s))
	}
	return &tensor.Tensor{Shape: s, Data: data}
}
