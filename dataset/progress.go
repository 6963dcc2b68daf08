package dataset

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progressBar reports download progress. On a terminal it redraws one line
// with bytes, rate and ETA; elsewhere (a log, a pipe) it prints one line at
// the start and one at the end, so CI logs stay readable.
type progressBar struct {
	w        io.Writer
	name     string
	total    int64 // -1 when the server did not say
	n        int64
	start    time.Time
	last     time.Time
	terminal bool
}

func newProgressBar(w io.Writer, name string, total int64) *progressBar {
	b := &progressBar{w: w, name: name, total: total, start: time.Now()}
	if w == nil {
		return b
	}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			b.terminal = true
		}
	}
	if !b.terminal {
		fmt.Fprintf(w, "downloading %s (%s)\n", name, formatBytes(total))
	}
	return b
}

func (b *progressBar) Write(p []byte) (int, error) {
	b.n += int64(len(p))
	if b.w != nil && b.terminal {
		if now := time.Now(); now.Sub(b.last) >= 100*time.Millisecond {
			b.last = now
			fmt.Fprintf(b.w, "\r%s", b.line(now))
		}
	}
	return len(p), nil
}

// line is e.g. "mnist.npz [=====>    ] 5.2 MB/11.5 MB 2.1 MB/s ETA 3s".
func (b *progressBar) line(now time.Time) string {
	el := now.Sub(b.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(b.n) / el
	}
	if b.total <= 0 {
		return fmt.Sprintf("%s %s %s/s", b.name, formatBytes(b.n), formatBytes(int64(rate)))
	}
	const width = 30
	frac := min(float64(b.n)/float64(b.total), 1)
	fill := int(frac * width)
	bar := strings.Repeat("=", fill)
	if fill < width {
		bar += ">" + strings.Repeat(" ", width-fill-1)
	}
	eta := "?"
	if rate > 0 {
		eta = (time.Duration(float64(b.total-b.n)/rate) * time.Second).Round(time.Second).String()
	}
	return fmt.Sprintf("%s [%s] %s/%s %s/s ETA %s ", b.name, bar, formatBytes(b.n), formatBytes(b.total), formatBytes(int64(rate)), eta)
}

func (b *progressBar) done() {
	if b.w == nil {
		return
	}
	el := time.Since(b.start)
	if b.terminal {
		fmt.Fprintf(b.w, "\r%s\n", b.line(time.Now()))
		return
	}
	fmt.Fprintf(b.w, "downloaded %s: %s in %v\n", b.name, formatBytes(b.n), el.Round(time.Millisecond))
}

func formatBytes(n int64) string {
	switch {
	case n < 0:
		return "size unknown"
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	case n < 1000*1000*1000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.2f GB", float64(n)/1e9)
}
