package dataset

import "errors"

// ColorMode says how many channels images are decoded to.
type ColorMode int

// Color modes, as image_dataset_from_directory's color_mode.
const (
	ColorRGB       ColorMode = iota // 3 channels
	ColorGrayscale                  // 1 channel
)

var (
	mnistInfo    = Info{Name: "mnist", Task: Classification, InputShape: []int{28, 28, 1}, TrainSize: 60000, TestSize: 10000}
	fashionInfo  = Info{Name: "fashion_mnist", Task: Classification, InputShape: []int{28, 28, 1}, TrainSize: 60000, TestSize: 10000}
	cifar10Info  = Info{Name: "cifar10", Task: Classification, InputShape: []int{32, 32, 3}, TrainSize: 50000, TestSize: 10000}
	cifar100Info = Info{Name: "cifar100", Task: Classification, InputShape: []int{32, 32, 3}, TrainSize: 50000, TestSize: 10000}
)

var errTODO = errors.New("dataset: not implemented yet")

func loadMNISTSet(Options) (*Set, *Set, error)             { return nil, nil, errTODO }
func loadFashionSet(Options) (*Set, *Set, error)           { return nil, nil, errTODO }
func loadCIFAR10Set(Options) (*Set, *Set, error)           { return nil, nil, errTODO }
func loadCIFAR100Set(Options) (*Set, *Set, error)          { return nil, nil, errTODO }
func loadImageDirSets(string, Options) (*Set, *Set, error) { return nil, nil, errTODO }
