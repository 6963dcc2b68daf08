// Package examples holds the note's Keras programs written in Go, one per
// folder, each a main.go that reads like the Python original:
//
//	cnn_digits               the first model, on 8x8x1 digits (embedded, runs offline)
//	tf01_cnn_mnist           the second model on MNIST
//	cnn_fashion_mnist        cnn_fashionMnist: two convolutions, no pooling
//	maxpooling_fashion_mnist the max-pooling + dropout version
//	cifar10_maxpooling       the final tuned CIFAR-10 model (acc 0.7837 in the note)
//	cifar100_maxpooling      the CIFAR-100 model
//	boston_mlp               regression on Boston housing (embedded)
//	boston_features          the same with each column preprocessed in a Functional model: Normalization, CategoryEncoding, IntegerLookup, Discretization (embedded)
//	custom_layer             a layer and an activation of one's own, trained, saved and loaded (digits, embedded)
//	digits_two_heads         a Functional model with two inputs and two outputs (digit and parity; digits, embedded)
//
// Run one with `go run ./examples/cnn_digits`; add -short for a quick smoke
// run on a slice of the data. Examples whose data is not cached locally
// skip their smoke test with a message.
package examples
