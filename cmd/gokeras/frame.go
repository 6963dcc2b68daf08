package main

// gokeras frame: look at a CSV table (or an embedded tabular set) as pandas
// would show it, and the table loading the regress and classify commands
// share.

import (
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/gokeras/gokeras/dataset"
	"github.com/gokeras/gokeras/frame"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

func init() {
	register(command{"frame", "show a CSV table or embedded set: head, tail, info, describe, corr", runFrame})
}

const frameActions = "head, tail, info, describe, corr"

func runFrame(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("frame", stdout)
	n := fs.Int("n", 5, "rows to show (head, tail)")
	cols := fs.String("columns", "", "comma-separated columns to keep (default: all)")
	width := fs.Int("width", 80, "wrap columns into blocks this wide; 0: never wrap")
	plotPath := fs.String("plot", "", "corr: also draw the correlation heat map as this PNG file")
	if slices.ContainsFunc(args, func(a string) bool { return a == "-h" || a == "-help" || a == "--help" }) {
		fmt.Fprintf(stdout, "gokeras frame ACTION [flags] FILE.csv|TABLE\n  actions: %s\n  embedded tables: %s\n\n", frameActions, embeddedTables)
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return fmt.Errorf("want an action (%s) and a table (FILE.csv or an embedded set: %s), e.g. gokeras frame describe boston_housing", frameActions, embeddedTables)
	}
	action, source := pos[0], pos[1]
	if !slices.Contains(strings.Split(frameActions, ", "), action) {
		return fmt.Errorf("unknown action %q; actions: %s", action, frameActions)
	}
	if *plotPath != "" && action != "corr" {
		return fmt.Errorf("--plot draws the correlation heat map; use it with corr, not %s", action)
	}
	f, err := loadTable(source)
	if err != nil {
		return err
	}
	if *cols != "" {
		if f, err = f.Select(splitList(*cols)...); err != nil {
			return err
		}
	}
	switch action {
	case "head":
		return f.Head(*n).Print(stdout, *width)
	case "tail":
		return f.Tail(*n).Print(stdout, *width)
	case "info":
		_, err := io.WriteString(stdout, f.Info())
		return err
	case "describe":
		d := f.Describe()
		if len(d.Columns) == 0 {
			return fmt.Errorf("%s has no numeric columns to describe", source)
		}
		return d.Print(stdout, *width)
	}
	c := f.Corr()
	if len(c.Columns) == 0 {
		return fmt.Errorf("%s has no numeric columns to correlate", source)
	}
	if err := c.Print(stdout, *width); err != nil {
		return err
	}
	if *plotPath == "" {
		return nil
	}
	if err := writeHeatMap(*plotPath, c); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s\n", *plotPath)
	return nil
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments (gokeras frame corr boston_housing --plot c.png).
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

const embeddedTables = "boston_housing, iris, wine, breast_cancer, diabetes"

// loadTable reads a CSV file, or an embedded tabular set by name when no
// file of that name exists.
func loadTable(source string) (*frame.Frame, error) {
	if _, err := os.Stat(source); err == nil {
		return frame.ReadCSVFile(source)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	b, err := dataset.RawCSV(source)
	if err != nil {
		return nil, fmt.Errorf("no file %q, and no embedded table of that name (tables: %s)", source, embeddedTables)
	}
	f, err := frame.ReadCSV(strings.NewReader(string(b)))
	if err != nil {
		return nil, fmt.Errorf("embedded %s: %w", source, err)
	}
	return f, nil
}

// writeHeatMap draws a correlation table as a PNG: one cell per pair, blue
// for -1 through white for 0 to red for +1, the value written in the cell.
func writeHeatMap(path string, t *frame.Table) error {
	const cell, charW, pad = 44, 7, 8
	face := basicfont.Face7x13
	labelW := 0
	for _, c := range t.Columns {
		labelW = max(labelW, len(c)*charW)
	}
	k := len(t.Columns)
	left, top := labelW+2*pad, labelW+2*pad
	img := image.NewRGBA(image.Rect(0, 0, left+k*cell+pad, top+k*cell+pad))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	text := func(dst draw.Image, s string, x, y int, c color.Color) {
		d := font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: face, Dot: fixed.P(x, y)}
		d.DrawString(s)
	}
	// Column labels: drawn horizontally on a strip, then turned a quarter
	// anticlockwise to read upwards from each column's top.
	for j, name := range t.Columns {
		strip := image.NewRGBA(image.Rect(0, 0, labelW, 13))
		draw.Draw(strip, strip.Bounds(), image.White, image.Point{}, draw.Src)
		text(strip, name, 0, 10, color.Black)
		x0 := left + j*cell + (cell-13)/2
		for sy := 0; sy < 13; sy++ {
			for sx := 0; sx < labelW; sx++ {
				img.Set(x0+sy, top-pad-sx, strip.At(sx, sy))
			}
		}
	}
	for i, name := range t.Index {
		text(img, name, left-pad-len(name)*charW, top+i*cell+cell/2+4, color.Black)
		for j := range t.Columns {
			v := t.Values[i][j]
			r := image.Rect(left+j*cell, top+i*cell, left+(j+1)*cell-1, top+(i+1)*cell-1)
			draw.Draw(img, r, image.NewUniform(diverging(v)), image.Point{}, draw.Src)
			s := "NaN"
			if !math.IsNaN(v) {
				s = fmt.Sprintf("%.2f", v)
			}
			ink := color.Color(color.Black)
			if math.Abs(v) > 0.6 {
				ink = color.White
			}
			text(img, s, r.Min.X+(cell-len(s)*charW)/2, r.Min.Y+cell/2+4, ink)
		}
	}
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(fh, img); err != nil {
		fh.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return fh.Close()
}

// diverging maps [-1, 1] to blue–white–red (NaN: grey).
func diverging(v float64) color.RGBA {
	if math.IsNaN(v) {
		return color.RGBA{200, 200, 200, 255}
	}
	v = max(-1, min(1, v))
	blue, red := color.RGBA{33, 102, 172, 255}, color.RGBA{178, 24, 43, 255}
	end := red
	if v < 0 {
		end, v = blue, -v
	}
	mix := func(a uint8) uint8 { return uint8(255 + (float64(a)-255)*v + 0.5) }
	return color.RGBA{mix(end.R), mix(end.G), mix(end.B), 255}
}
