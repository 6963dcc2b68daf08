package dataset

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/gokeras/gokeras/tensor"
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
	// Uint8 keeps the pixels as uint8 in Set.Pixels (read as v/255), a
	// quarter of float32's memory. Images that must be resized are
	// interpolated in float32, so a set with any such image comes back in X
	// as without Uint8.
	Uint8 bool
	// PixelRange: [0, 1] (the zero value) or [0, 255] (Pixels255), the
	// latter what Keras's image_dataset_from_directory yields.
	PixelRange PixelRange
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
	bytes   bool    // Uint8
	div     float32 // what pixels are divided by: 255, or 1 for Pixels255
}

var imageExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true, ".gif": true}

// OpenImageDir lists dir and picks the files of o.Subset; it decodes only
// the first image (for its size when o.ImageSize is zero).
//
// A class folder may be a symbolic link, followed as Keras's
// tf.io.gfile.isdir follows it; links inside class folders are not
// followed (Keras's follow_links=False). A class link that cannot be
// followed (dangling, or a circle of links) or that leads back to dir or
// one of its parents (a loop: dir would be listed inside itself) is an
// error naming the link, not a class silently skipped or doubled.
func OpenImageDir(dir string, o ImageDirOptions) (*ImageDir, error) {
	if !(o.ValidationSplit >= 0 && o.ValidationSplit < 1) {
		return nil, fmt.Errorf("dataset: validation split %v must be in [0, 1)", o.ValidationSplit)
	}
	if err := o.PixelRange.check(); err != nil {
		return nil, err
	}
	if (o.ValidationSplit > 0) != (o.Subset != SubsetAll) {
		return nil, fmt.Errorf("dataset: a validation split needs a subset (training or validation), and a subset needs a validation split")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("dataset: image folder: %w", err)
	}
	d := &ImageDir{color: o.ColorMode, bytes: o.Uint8, div: o.PixelRange.divisor()}
	walk := map[string]string{} // class -> the folder to list, the link's target for a link
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		target := filepath.Join(dir, name)
		if e.Type()&fs.ModeSymlink != 0 {
			if target, err = classLink(dir, target); err != nil {
				return nil, err
			}
		} else if !e.IsDir() {
			continue
		}
		if target != "" {
			d.Classes = append(d.Classes, name)
			walk[name] = target
		}
	}
	slices.Sort(d.Classes)
	if len(d.Classes) == 0 {
		return nil, fmt.Errorf("dataset: image folder %s has no class sub-folders", dir)
	}
	for label, c := range d.Classes {
		var files []string
		// WalkDir does not follow links, the class folder's own included:
		// list the target and name the files through the link.
		top, under := walk[c], filepath.Join(dir, c)
		err := filepath.WalkDir(top, func(p string, e os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !e.IsDir() && imageExts[strings.ToLower(filepath.Ext(p))] {
				rel, err := filepath.Rel(top, p)
				if err != nil {
					return err
				}
				files = append(files, filepath.Join(under, rel))
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
		var dec decoder
		img, _, err := dec.decodeFile(d.Paths[0])
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

// Batch decodes images lo..hi-1: X (hi-lo, H, W, C) in [0,1] (or [0,255]
// with Pixels255), or the same as uint8 Pixels when opened with Uint8; Y
// class indices. An image of another size is resized as Keras's
// image_dataset_from_directory resizes it: bilinear, half-pixel centres,
// no antialiasing (tf.image.resize).
func (d *ImageDir) Batch(lo, hi int) (*Set, error) {
	if lo < 0 || hi > d.Len() || lo > hi {
		return nil, fmt.Errorf("dataset: batch [%d, %d) outside 0..%d", lo, hi, d.Len())
	}
	n, c := hi-lo, d.Channels()
	per := d.height * d.width * c
	// Images are decoded straight into px while it is kept; x is the
	// float32 output otherwise.
	var px []uint8
	var x []float32
	if d.bytes {
		px = make([]uint8, n*per)
	} else {
		x = make([]float32, n*per)
	}
	y := make([]float32, n)
	var dec decoder
	var row []uint8   // one image as decoded, when not decoded into px
	var src []float32 // the same as float32, to resize
	for k := range n {
		img, _, err := dec.decodeFile(d.Paths[lo+k])
		if err != nil {
			return nil, err
		}
		y[k] = float32(d.Labels[lo+k])
		b := img.Bounds()
		same := b.Dy() == d.height && b.Dx() == d.width
		if same && px != nil {
			ImagePixels(px[k*per:(k+1)*per], img, c)
			continue
		}
		if px != nil {
			// Resizing interpolates between pixel values, which uint8
			// cannot hold: go on in float32.
			x = make([]float32, n*per)
			scalePixels(x[:k*per], px[:k*per], d.div)
			px = nil
		}
		size := b.Dy() * b.Dx() * c
		row = slices.Grow(row[:0], size)[:size]
		ImagePixels(row, img, c)
		dst := x[k*per : (k+1)*per]
		if same {
			scalePixels(dst, row, d.div)
			continue
		}
		src = slices.Grow(src[:0], size)[:size]
		scalePixels(src, row, d.div)
		resizeBilinear(dst, src, b.Dy(), b.Dx(), d.height, d.width, c)
	}
	s := &Set{Y: mustTensor(y, n), Classes: slices.Clone(d.Classes)}
	if px != nil {
		s.Pixels = &tensor.Bytes{Shape: tensor.Shape{n, d.height, d.width, c}, Data: px, Divisor: d.div}
	} else {
		s.X = mustTensor(x, n, d.height, d.width, c)
	}
	return s, nil
}

// ImageDatasetFromDirectory opens dir and loads the chosen subset into memory.
func ImageDatasetFromDirectory(dir string, o ImageDirOptions) (*Set, error) {
	d, err := OpenImageDir(dir, o)
	if err != nil {
		return nil, err
	}
	return d.Load()
}

// ImagePixels writes img as HWC uint8 with c channels (3: RGB, 1: ITU-R
// 601 luma, image/color's Gray model) into dst, which holds at least its
// width×height×c values: the conversion ImageDatasetFromDirectory reads
// training images with, so that a server reads a request's image the same
// way.
func ImagePixels(dst []uint8, img image.Image, c int) {
	b := img.Bounds()
	i := 0
	switch im := img.(type) {
	case *image.YCbCr:
		if c != 3 {
			break
		}
		// JPEG's type: convert directly, without an interface call and an
		// allocation per pixel.
		for yy := b.Min.Y; yy < b.Max.Y; yy++ {
			for xx := b.Min.X; xx < b.Max.X; xx++ {
				yi, ci := im.YOffset(xx, yy), im.COffset(xx, yy)
				dst[i], dst[i+1], dst[i+2] = color.YCbCrToRGB(im.Y[yi], im.Cb[ci], im.Cr[ci])
				i += 3
			}
		}
		return
	case *image.Gray:
		if c != 1 {
			break
		}
		for yy := b.Min.Y; yy < b.Max.Y; yy++ {
			o := im.PixOffset(b.Min.X, yy)
			i += copy(dst[i:], im.Pix[o:o+b.Dx()])
		}
		return
	}
	for yy := b.Min.Y; yy < b.Max.Y; yy++ {
		for xx := b.Min.X; xx < b.Max.X; xx++ {
			if c == 1 {
				dst[i] = color.GrayModel.Convert(img.At(xx, yy)).(color.Gray).Y
				i++
				continue
			}
			r, g, bl, _ := img.At(xx, yy).RGBA()
			dst[i], dst[i+1], dst[i+2] = uint8(r>>8), uint8(g>>8), uint8(bl>>8)
			i += 3
		}
	}
}

// resizeBilinear resizes an HWC image with half-pixel centres and no
// antialiasing, as tf.image.resize(method="bilinear") does in Keras's
// image_dataset_from_directory, in TensorFlow's float32 arithmetic
// (tensorflow/core/kernels/image/resize_bilinear_op.cc): output i of an
// axis reads (i+0.5)·in/out − 0.5, the pixels below and above it clamped
// to the image, mixed as a + (b−a)·t. The same rule as nn.Resizing.
func resizeBilinear(dst, src []float32, sh, sw, dh, dw, c int) {
	if sh == dh && sw == dw {
		copy(dst, src) // TensorFlow copies when the size does not change
		return
	}
	// The conversions keep each step rounded to float32 (no fused
	// multiply-add), as the C++ computes it.
	tap := func(i, in, out int) (lo, hi int, t float32) {
		scale := float32(in) / float32(out)
		p := float32(float32(float32(i)+0.5)*scale) - 0.5
		f := float32(math.Floor(float64(p)))
		return max(int(f), 0), min(int(math.Ceil(float64(p))), in-1), p - f
	}
	lerp := func(a, b, t float32) float32 { return a + float32((b-a)*t) }
	for y := range dh {
		y0, y1, wy := tap(y, sh, dh)
		for x := range dw {
			x0, x1, wx := tap(x, sw, dw)
			for k := range c {
				a := src[(y0*sw+x0)*c+k]
				b := src[(y0*sw+x1)*c+k]
				cc := src[(y1*sw+x0)*c+k]
				d := src[(y1*sw+x1)*c+k]
				dst[(y*dw+x)*c+k] = lerp(lerp(a, b, wx), lerp(cc, d, wx), wy)
			}
		}
	}
}

// loadImageDirSets is Load for a folder: with train/ and test/ sub-folders
// (like the CIFAR-10 JPEG tree) each is one part; otherwise the folder's
// classes are split with opts.ValidationSplit (default 0.2) and opts.Seed.
func loadImageDirSets(dir string, opts Options) (*Set, *Set, error) {
	o := ImageDirOptions{ImageSize: opts.ImageSize, ColorMode: opts.ColorMode, Seed: opts.Seed, Uint8: opts.Uint8, PixelRange: opts.PixelRange}
	trainDir, testDir := filepath.Join(dir, "train"), filepath.Join(dir, "test")
	if isDir(trainDir) && isDir(testDir) {
		tr, err := ImageDatasetFromDirectory(trainDir, o)
		if err != nil {
			return nil, nil, err
		}
		if o.ImageSize == [2]int{} {
			o.ImageSize = [2]int{tr.Shape()[1], tr.Shape()[2]}
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
		o.ImageSize = [2]int{tr.Shape()[1], tr.Shape()[2]}
	}
	o.Subset = SubsetValidation
	te, err := ImageDatasetFromDirectory(dir, o)
	if err != nil {
		return nil, nil, err
	}
	return tr, te, nil
}

// classLink resolves link, an entry of the image folder dir: the folder
// to list when it leads to a folder, "" when it leads to a file.
func classLink(dir, link string) (string, error) {
	fi, err := os.Stat(link)
	if errors.Is(err, syscall.ELOOP) {
		return "", fmt.Errorf("dataset: image folder %s: class folder %s is a symbolic link in a loop of links (%v); fix or remove it", dir, link, err)
	}
	if err != nil {
		return "", fmt.Errorf("dataset: image folder %s: class folder %s is a symbolic link that cannot be followed (%v); fix or remove it", dir, link, err)
	}
	if !fi.IsDir() {
		return "", nil
	}
	target, err := filepath.EvalSymlinks(link)
	if err != nil {
		return "", fmt.Errorf("dataset: image folder %s: class folder %s is a symbolic link that cannot be followed (%v); fix or remove it", dir, link, err)
	}
	top, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("dataset: image folder: %w", err)
	}
	// Compare absolute paths: a relative dir and an absolute link target
	// have no relative path between them.
	absTarget, err1 := filepath.Abs(target)
	absTop, err2 := filepath.Abs(top)
	if err := errors.Join(err1, err2); err != nil {
		return "", fmt.Errorf("dataset: image folder: %w", err)
	}
	if rel, err := filepath.Rel(absTarget, absTop); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("dataset: image folder %s: class folder %s is a symbolic link to %s, which holds the image folder itself (a loop); point it at another folder or remove it", dir, link, target)
	}
	return target, nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
