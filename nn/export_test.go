package nn

// Unregister removes a class registered by a test, so that tests that walk
// every class (TestParamShapesMatchBuild) see only the built-in ones.
func Unregister(class string) {
	regMu.Lock()
	defer regMu.Unlock()
	delete(registry, class)
}

// SetPrivateGrads makes every layer of s keep its own input-gradient
// buffers, as before the Stack shared them (the reference the sharing is
// tested against).
func (s *Stack) SetPrivateGrads(on bool) { s.privateGrads = on }

// SharedGradFloats is how many floats the Stack's shared gradient buffers hold.
func (s *Stack) SharedGradFloats() int {
	n := 0
	for _, b := range s.grads.all {
		n += cap(b.t.Data)
	}
	return n
}

// SetReLUFusion turns the Stack's BatchNormalization/Add → ReLU fusion
// and its residual Adds' uncopied gradients on or off for Stacks built
// afterwards; it returns the previous setting.
func SetReLUFusion(on bool) bool {
	old := fuseReLUs
	fuseReLUs = on
	return old
}

// Fusions counts the calls that apply the ReLU after them, and the Adds
// that hand on their gradient uncopied.
func (s *Stack) Fusions() (relu, gradThrough int) {
	for _, m := range s.nodes {
		if m.reluFused {
			relu++
		}
		if m.gradThrough {
			gradThrough++
		}
	}
	return relu, gradThrough
}
