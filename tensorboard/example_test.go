package tensorboard_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gokeras/gokeras/tensorboard"
)

// A run folder with a loss curve of three points; point TensorBoard's
// --logdir at the parent folder to see it.
func ExampleWriter() {
	dir, _ := os.MkdirTemp("", "logs")
	defer os.RemoveAll(dir)
	w, err := tensorboard.NewWriter(filepath.Join(dir, "train"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for epoch, loss := range []float64{0.9, 0.6, 0.45} {
		if err := w.Scalar("epoch_loss", int64(epoch), loss); err != nil {
			fmt.Println(err)
		}
	}
	if err := w.Close(); err != nil {
		fmt.Println(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "train", "events.out.tfevents.*.v2"))
	fmt.Println(len(files), "event file")
	// Output: 1 event file
}
