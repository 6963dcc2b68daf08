package nn

// Draws of the color augmentation layers, for the tests in package nn_test.

// InvertDraws are the images the last training Forward inverted.
func InvertDraws(l *RandomInvert) []bool { return l.apply }

// GrayscaleDraws are the images the last training Forward turned gray.
func GrayscaleDraws(l *RandomGrayscale) []bool { return l.apply }

// DegenerationDraws are the blend factors the last training Forward drew.
func DegenerationDraws(l *RandomColorDegeneration) []float32 { return l.f }

// SolarizationDraws are the additions and thresholds (on the (0, 255)
// scale) the last training Forward drew.
func SolarizationDraws(l *Solarization) (add, thr []float32) { return l.add, l.thr }

// PosterizationDraws are the shifts (8 - bits) the last training Forward drew.
func PosterizationDraws(l *RandomPosterization) []uint8 { return l.shift }

// SharpnessDraws are the blend weights 1 - 2f the last training Forward drew.
func SharpnessDraws(l *RandomSharpness) []float32 { return l.c }

// GaussianBlurDraws are the images the last training Forward blurred and
// the deviations (across, down) it drew.
func GaussianBlurDraws(l *RandomGaussianBlur) ([]bool, [2]float64) { return l.apply, l.sig }

// SaturationDraws are the factors k = f/(1-f+1e-7) the last training
// Forward drew.
func SaturationDraws(l *RandomSaturation) []float32 { return l.k }

// HueDraws are the hue shifts ±f/2 the last training Forward drew.
func HueDraws(l *RandomHue) []float32 { return l.delta }

// AugMixOnly limits an AugMix's operations to ops (indices in Keras's
// AUGMENT_LAYERS_ALL order), for tests that need smooth ones.
func AugMixOnly(l *AugMix, ops ...int) { l.only = ops }

// AugMixDraws are the last batch's mixing weight, chain weights and the
// classes of each chain's operations.
func AugMixDraws(l *AugMix) (w float32, chainW []float64, chains [][]string) {
	for _, c := range l.chains {
		var names []string
		for _, op := range c {
			names = append(names, op.Class())
		}
		chains = append(chains, names)
	}
	return l.w, l.weights, chains
}

// RandAugmentOnly limits a RandAugment's operations to ops (indices of
// imageOp).
func RandAugmentOnly(l *RandAugment, ops ...int) { l.only = ops }

// RandAugmentOps are the classes of the last batch's operations, in the
// order they ran.
func RandAugmentOps(l *RandAugment) []string {
	var out []string
	for _, k := range l.perm {
		out = append(out, l.ops[k].Class())
	}
	return out
}
