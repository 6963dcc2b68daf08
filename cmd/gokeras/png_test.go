package main

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"testing"
)

// writeTestPNG draws a 24x24 white "1" on black.
func writeTestPNG(t *testing.T, path string) {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 24, 24))
	for y := 3; y < 21; y++ {
		for x := 10; x < 14; x++ {
			img.SetGray(x, y, color.Gray{255})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

func TestImageToTensor(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 4, 2))
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	img.Set(1, 0, color.RGBA{255, 0, 0, 255})
	img.Set(0, 1, color.RGBA{255, 0, 0, 255})
	img.Set(1, 1, color.RGBA{255, 0, 0, 255})
	dst := make([]float32, 2*3)
	imageToTensor(img, 1, 2, 3, dst)
	// Left output pixel averages four red pixels; right four transparent black.
	want := []float32{1, 0, 0, 0, 0, 0}
	for i := range want {
		if dst[i] != want[i] {
			t.Fatalf("RGB resize = %v, want %v", dst, want)
		}
	}
	gray := make([]float32, 2)
	imageToTensor(img, 1, 2, 1, gray)
	if gray[0] < 0.29 || gray[0] > 0.31 || gray[1] != 0 {
		t.Errorf("luma of red = %v, want 0.299", gray[0])
	}
}
