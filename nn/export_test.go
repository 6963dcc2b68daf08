package nn

// Unregister removes a class registered by a test, so that tests that walk
// every class (TestParamShapesMatchBuild) see only the built-in ones.
func Unregister(class string) {
	regMu.Lock()
	defer regMu.Unlock()
	delete(registry, class)
}
