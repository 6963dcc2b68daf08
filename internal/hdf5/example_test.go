package hdf5_test

import (
	"bytes"
	"fmt"
	"log"

	"github.com/gokeras/gokeras/internal/hdf5"
)

// Write a file in the layout of Keras 3's model.weights.h5 and read it
// back.
func Example() {
	b := hdf5.NewBuilder()
	vars, err := b.Root().Group("layers")
	if err == nil {
		if vars, err = vars.Group("dense"); err == nil {
			vars, err = vars.Group("vars")
		}
	}
	if err != nil {
		log.Fatal(err)
	}
	if err := vars.AddFloat32("0", []int{2, 3}, []float32{1, 2, 3, 4, 5, 6}); err != nil {
		log.Fatal(err)
	}
	if err := vars.AddFloat32("1", []int{3}, []float32{0.5, 0, -0.5}); err != nil {
		log.Fatal(err)
	}
	if err := b.Root().SetAttr("keras_version", "3.10.0"); err != nil {
		log.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		log.Fatal(err)
	}

	f, err := hdf5.Open(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		log.Fatal(err)
	}
	root, err := f.Root()
	if err != nil {
		log.Fatal(err)
	}
	a, err := root.Attr("keras_version")
	if err != nil {
		log.Fatal(err)
	}
	v, err := a.String()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("keras_version", v)
	err = root.Walk(func(path string, g *hdf5.Group, d *hdf5.Dataset) error {
		if d == nil {
			return nil
		}
		x, err := d.ReadFloat32()
		fmt.Println(path, d.Shape(), d.Datatype(), x)
		return err
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// keras_version 3.10.0
	// /layers/dense/vars/0 [2 3] float32 [1 2 3 4 5 6]
	// /layers/dense/vars/1 [3] float32 [0.5 0 -0.5]
}
