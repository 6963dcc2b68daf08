package dataset

import (
	"fmt"
	"image"
	"image/color"
	_ "image/gif"  // decoders image.Decode may need
	_ "image/jpeg" //
	_ "image/png"  //
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ColorMode says how many channels images are decoded to.
type ColorMode int

// Color modes, as image_dataset_from_directory's color_mode.
const (
	ColorRGB       ColorMode = iota // 3 channels
	ColorGrayscale                  // 1 channel (ITU-R 601 luma)
)

// Subset picks a part of an image folder split by ValidationSplit.
type Subset int

// Subsets, as image_dataset_from_directory's subset.
const (
	SubsetAll        Subset = iota // every image (ValidationSplit must be 0)
	SubsetTraining                 // the first 1-ValidationSplit of the shuffled files
	SubsetValidation               // the rest
)

// ImageDirOptions configure ImageDir; the zero value keeps every image at
// its own size (they must then all have the first image's size), RGB,
// shuffled with seed 0, no validation split.
type ImageDirOptions struct {
	ImageSize       [2]int // height, width; zero: the first image's size (Keras's default is 256x256)
	ColorMode       ColorMode
	NoShuffle       bool // keep sorted order (class by class)
	Seed            uint64
	ValidationSplit float64
	Subset          Subset
}

// ImageDir is a folder of class sub-folders of images, as Keras's
// image_dataset_from_directory reads it: labels are the indices of the
// sorted sub-folder names; files are listed sorted within each class; with
// shuffling, file order follows np.random.RandomState(seed).shuffle, as in
// Keras, so the same seed picks the same validation files. Images are
// decoded by Load (all at once) or Batch (a range at a time).
type ImageDir struct {
	Paths   []string
	Labels  []int
	Classes []string
	height  int
	width   int
	color   ColorMode
}

var imageExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".gif": true}

// OpenImageDir lists dir and picks the files of o.Subset; it decodes only
// the first image (for its size when o.ImageSize is zero).
func OpenImageDir(dir string, o ImageDirOptions) (*ImageDir, error) {
	if !(o.ValidationSplit >= 0 && o.ValidationSplit < 1) {
		return nil, fmt.Errorf("dataset: validation split %v must be in [0, 1)", o.ValidationSplit)
	}
	if (o.ValidationSplit > 0) != (o.Subset != SubsetAll) {
		return nil, fmt.Errorf("dataset: a validation split needs a subset (training or validation), and a subset needs a validation split")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("dataset: image folder: %w", err)
	}
	d := &ImageDir{color: o.ColorMode}
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			d.Classes = append(d.Classes, e.Name())
		}
	}
	slices.Sort(d.Classes)
	if len(d.Classes) == 0 {
		return nil, fmt.Errorf("dataset: image folder %s has no class sub-folders", dir)
	}
	for label, c := range d.Classes {
		var files []string
		err := filepath.WalkDir(filepath.Join(dir, c), func(p string, e os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !e.IsDir() && imageExts[strings.ToLower(filepath.Ext(p))] {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("dataset: image folder: %w", err)
		}
		slices.Sort(files)
		for _, f := range files {
			d.Paths = append(d.Paths, f)
			d.Labels = append(d.Labels, label)
		}
	}
	if len(d.Paths) == 0 {
		return nil, fmt.Errorf("dataset: image folder %s has no .jpg, .jpeg, .png or .gif files in its class sub-folders", dir)
	}
	if !o.NoShuffle {
		// Keras shuffles paths and labels with two generators of the same
		// seed, which is one permutation applied to both.
		perm := newNumpyRand(o.Seed).permutation(len(d.Paths))
		paths, labels := make([]string, len(perm)), make([]int, len(perm))
		for i, j := range perm {
			paths[i], labels[i] = d.Paths[j], d.Labels[j]
		}
		d.Paths, d.Labels = paths, labels
	}
	if o.ValidationSplit > 0 {
		nval := int(o.ValidationSplit * float64(len(d.Paths)))
		cut := len(d.Paths) - nval
		if o.Subset == SubsetTraining {
			d.Paths, d.Labels = d.Paths[:cut], d.Labels[:cut]
		} else {
			d.Paths, d.Labels = d.Paths[cut:], d.Labels[cut:]
		}
		if len(d.Paths) == 0 {
			return nil, fmt.Errorf("dataset: image folder %s: validation split %v leaves the subset empty", dir, o.ValidationSplit)
		}
	}
	d.height, d.width = o.ImageSize[0], o.ImageSize[1]
	if d.height <= 0 || d.width <= 0 {
		img, err := decodeImage(d.Paths[0])
		if err != nil {
			return nil, err
		}
		b := img.Bounds()
		d.height, d.width = b.Dy(), b.Dx()
	}
	return d, nil
}

// Len is the number of images.
func (d *ImageDir) Len() int { return len(d.Paths) }

// Channels is 3 for RGB, 1 for grayscale.
func (d *ImageDir) Channels() int {
	if d.color == ColorGrayscale {
		return 1
	}
	return 3
}

// Load decodes every image into memory.
func (d *ImageDir) Load() (*Set, error) { return d.Batch(0, d.Len()) }

// Batch decodes images lo..hi-1: X (hi-lo, H, W, C) in [0,1], Y class indices.
func (d *ImageDir) Batch(lo, hi int) (*Set, error) {
	if lo < 0 || hi > d.Len() || lo > hi {
		return nil, fmt.Errorf("dataset: batch [%d, %d) outside 0..%d", lo, hi, d.Len())
	}
	c := d.Channels()
	per := d.height * d.width * c
	x := make([]float32, (hi-lo)*per)
	y := make([]float32, hi-lo)
	for i := lo; i < hi; i++ {
		img, err := decodeImage(d.Paths[i])
		if err != nil {
			return nil, err
		}
		dst := x[(i-lo)*per : (i-lo+1)*per]
		b := img.Bounds()
		if b.Dy() == d.height && b.Dx() == d.width {
			pixels(dst, img, c)
		} else {
			src := make([]float32, b.Dy()*b.Dx()*c)
			pixels(src, img, c)
			resizeBilinear(dst, src, b.Dy(), b.Dx(), d.height, d.width, c)
		}
		y[i-lo] = float32(d.Labels[i])
	}
	return &Set{X: mustTensor(x, hi-lo, d.height, d.width, c), Y: mustTensor(y, hi-lo), Classes: slices.Clone(d.Classes)}, nil
}

// ImageDatasetFromDirectory opens dir and loads the chosen subset into memory.
func ImageDatasetFromDirectory(dir string, o ImageDirOptions) (*Set, error) {
	d, err := OpenImageDir(dir, o)
	if err != nil {
		return nil, err
	}
	return d.Load()
}

func decodeImage(p string) (image.Image, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("dataset: decoding %s: %w", p, err)
	}
	return img, nil
}

// pixels writes img as HWC float32 in [0,1].
func pixels(dst []float32, img image.Image, c int) {
	b := img.Bounds()
	i := 0
	if yc, ok := img.(*image.YCbCr); ok && c == 3 {
		// JPEG's type: convert directly, without an interface call and an
		// allocation per pixel.
		for yy := b.Min.Y; yy < b.Max.Y; yy++ {
			for xx := b.Min.X; xx < b.Max.X; xx++ {
				yi, ci := yc.YOffset(xx, yy), yc.COffset(xx, yy)
				r, g, bl := color.YCbCrToRGB(yc.Y[yi], yc.Cb[ci], yc.Cr[ci])
				dst[i], dst[i+1], dst[i+2] = float32(r)/255, float32(g)/255, float32(bl)/255
				i += 3
			}
		}
		return
	}
	for yy := b.Min.Y; yy < b.Max.Y; yy++ {
		for xx := b.Min.X; xx < b.Max.X; xx++ {
			if c == 1 {
				g := color.GrayModel.Convert(img.At(xx, yy)).(color.Gray)
				dst[i] = float32(g.Y) / 255
				i++
				continue
			}
			r, g, bl, _ := img.At(xx, yy).RGBA()
			dst[i] = float32(r>>8) / 255
			dst[i+1] = float32(g>>8) / 255
			dst[i+2] = float32(bl>>8) / 255
			i += 3
		}
	}
}

// resizeBilinear resizes an HWC image with half-pixel centres and no
// antialiasing, as tf.image.resize(method="bilinear") does in Keras.
func resizeBilinear(dst, src []float32, sh, sw, dh, dw, c int) {
	sy := float64(sh) / float64(dh)
	sx := float64(sw) / float64(dw)
	for y := range dh {
		fy := max((float64(y)+0.5)*sy-0.5, 0)
		y0 := min(int(fy), sh-1)
		y1 := min(y0+1, sh-1)
		wy := float32(fy - float64(y0))
		for x := range dw {
			fx := max((float64(x)+0.5)*sx-0.5, 0)
			x0 := min(int(fx), sw-1)
			x1 := min(x0+1, sw-1)
			wx := float32(fx - float64(x0))
			for k := range c {
				a := src[(y0*sw+x0)*c+k]
				b := src[(y0*sw+x1)*c+k]
				cc := src[(y1*sw+x0)*c+k]
				d := src[(y1*sw+x1)*c+k]
				top := a + (b-a)*wx
				bot := cc + (d-cc)*wx
				dst[(y*dw+x)*c+k] = top + (bot-top)*wy
			}
		}
	}
}

// loadImageDirSets is Load for a folder: with train/ and test/ sub-folders
// (like the CIFAR-10 JPEG tree) each is one part; otherwise the folder's
// classes are split with opts.ValidationSplit (default 0.2) and opts.Seed.
func loadImageDirSets(dir string, opts Options) (*Set, *Set, error) {
	o := ImageDirOptions{ImageSize: opts.ImageSize, ColorMode: opts.ColorMode, Seed: opts.Seed}
	trainDir, testDir := filepath.Join(dir, "train"), filepath.Join(dir, "test")
	if isDir(trainDir) && isDir(testDir) {
		tr, err := ImageDatasetFromDirectory(trainDir, o)
		if err != nil {
			return nil, nil, err
		}
		if o.ImageSize == [2]int{} {
			o.ImageSize = [2]int{tr.X.Shape[1], tr.X.Shape[2]}
		}
		te, err := ImageDatasetFromDirectory(testDir, o)
		if err != nil {
			return nil, nil, err
		}
		if !slices.Equal(tr.Classes, te.Classes) {
			return nil, nil, fmt.Errorf("dataset: %s and %s have different class folders", trainDir, testDir)
		}
		return tr, te, nil
	}
	o.ValidationSplit = opts.ValidationSplit
	if o.ValidationSplit == 0 {
		o.ValidationSplit = 0.2
	}
	o.Subset = SubsetTraining
	tr, err := ImageDatasetFromDirectory(dir, o)
	if err != nil {
		return nil, nil, err
	}
	if o.ImageSize == [2]int{} {
		o.ImageSize = [2]int{tr.X.Shape[1], tr.X.Shape[2]}
	}
	o.Subset = SubsetValidation
	te, err := ImageDatasetFromDirectory(dir, o)
	if err != nil {
		return nil, nil, err
	}
	return tr, te, nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
