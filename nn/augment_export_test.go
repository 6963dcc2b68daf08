package nn

// Internals of the augmentation layers, for the tests in package nn_test.

// ContrastCore is RandomContrast's arithmetic for given factors k (one per image).
func ContrastCore(y, x, k []float32, hw, c int, lo, hi float32) { contrast(y, x, k, hw, c, lo, hi) }

// ContrastFactors are the factors the last training Forward drew.
func ContrastFactors(l *RandomContrast) []float32 { return l.k }

// BrightnessDeltas are the deltas the last training Forward drew.
func BrightnessDeltas(l *RandomBrightness) []float32 { return l.delta }

// FlipDraws are the flip decisions the last training Forward drew.
func FlipDraws(l *RandomFlip) []bool { return l.flips }

// CropOffsets are the window positions the last training Forward drew.
func CropOffsets(l *RandomCrop) [][2]int { return l.offsets }

// Warps are the transformations (output (y, x) -> input (m0 y + m1 x + m2,
// m3 y + m4 x + m5)) the last training Forward of a geometric layer drew.
func Warps(l Layer) [][6]float64 {
	var w []warp
	switch l := l.(type) {
	case *RandomRotation:
		w = l.warps
	case *RandomZoom:
		w = l.warps
	case *RandomTranslation:
		w = l.warps
	case *RandomShear:
		w = l.warps
	}
	out := make([][6]float64, len(w))
	for i := range w {
		out[i] = [6]float64(w[i][:6])
	}
	return out
}

// ErasingBoxes are the rectangles (x0, x1, y0, y1) and decisions the last
// training Forward of a RandomErasing drew.
func ErasingBoxes(l *RandomErasing) ([][4]float32, []bool) {
	var boxes [][4]float32
	var apply []bool
	for _, b := range l.boxes {
		boxes = append(boxes, [4]float32{b.x0, b.x1, b.y0, b.y1})
		apply = append(apply, b.apply)
	}
	return boxes, apply
}

// PerspectiveEnds are the moved corners (x, y) of each image the last
// training Forward drew, all zero for an image it left as it was.
func PerspectiveEnds(l *RandomPerspective) [][4][2]float64 { return l.ends }

// ElasticDraws are the last training Forward's decisions, noise planes
// (dx then dy per image, σ·N(0,1)), α, σ and displacement field.
func ElasticDraws(l *RandomElasticTransform) (apply []bool, noise []float32, alpha, sigma float64, field []float32) {
	return l.apply, l.noise, l.alpha, l.sig, l.field
}
