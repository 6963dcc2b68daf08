package train

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"
)

// progress prints Keras's progress bar:
//
//	Epoch 3/10
//	1563/1563 [==============================] - 38s 24ms/step - loss: 1.2034 - accuracy: 0.5611
//
// On a terminal the bar is redrawn in place with an ETA; otherwise only the
// finished line is printed, once per epoch.
type progress struct {
	w     io.Writer
	mode  Verbosity
	tty   bool
	steps int
	start time.Time
	last  time.Time
	width int // length of the last in-place line, to blank it
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func newProgress(w io.Writer, v Verbosity, steps int) *progress {
	if v == Auto {
		v = ProgressBar
	}
	return &progress{w: w, mode: v, tty: isTerminal(w), steps: steps}
}

func (p *progress) epochBegin(epoch, epochs int) {
	p.start = time.Now()
	p.last = time.Time{}
	if p.mode == Silent {
		return
	}
	fmt.Fprintf(p.w, "Epoch %d/%d\n", epoch+1, epochs)
}

// batchEnd redraws the bar at most ten times a second.
func (p *progress) batchEnd(step int, logs Logs) {
	if p.mode != ProgressBar || !p.tty || step == p.steps {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	elapsed := now.Sub(p.start).Seconds()
	eta := elapsed / float64(step) * float64(p.steps-step)
	line := fmt.Sprintf("%s - ETA: %s%s", p.bar(step), formatETA(eta), formatLogs(logs))
	pad := ""
	if n := len(line); n < p.width {
		pad = strings.Repeat(" ", p.width-n)
	}
	p.width = len(line)
	fmt.Fprintf(p.w, "\r%s%s", line, pad)
}

func (p *progress) bar(step int) string {
	digits := len(fmt.Sprint(p.steps))
	const width = 30
	filled := width * step / p.steps
	var b strings.Builder
	fmt.Fprintf(&b, "%*d/%d [", digits, step, p.steps)
	if filled > 0 {
		b.WriteString(strings.Repeat("=", filled-1))
		if step < p.steps {
			b.WriteByte('>')
		} else {
			b.WriteByte('=')
		}
	}
	b.WriteString(strings.Repeat(".", width-filled))
	b.WriteByte(']')
	return b.String()
}

func (p *progress) epochEnd(steps int, secs float64, logs Logs) {
	if p.mode == Silent {
		return
	}
	per := formatPerStep(secs / float64(steps))
	var line string
	if p.mode == OneLine {
		line = fmt.Sprintf("%d/%d - %.0fs - %s%s", steps, steps, secs, per, formatLogs(logs))
	} else {
		line = fmt.Sprintf("%s - %.0fs %s%s", p.bar(steps), secs, per, formatLogs(logs))
	}
	if p.tty && p.width > 0 {
		if n := len(line); n < p.width {
			line += strings.Repeat(" ", p.width-n)
		}
		line = "\r" + line
	}
	p.width = 0
	fmt.Fprintln(p.w, line)
}

// abort ends an in-place line when training stops mid-epoch.
func (p *progress) abort() {
	if p.mode != Silent && p.tty && p.width > 0 {
		fmt.Fprintln(p.w)
	}
	p.width = 0
}

func formatPerStep(s float64) string {
	switch {
	case s >= 1:
		return fmt.Sprintf("%.0fs/step", s)
	case s >= 1e-3:
		return fmt.Sprintf("%.0fms/step", s*1e3)
	}
	return fmt.Sprintf("%.0fus/step", s*1e6)
}

func formatETA(s float64) string {
	t := int(math.Round(s))
	switch {
	case t >= 3600:
		return fmt.Sprintf("%d:%02d:%02d", t/3600, t%3600/60, t%60)
	case t >= 60:
		return fmt.Sprintf("%d:%02d", t/60, t%60)
	}
	return fmt.Sprintf("%ds", t)
}

// formatLogs renders " - loss: 1.2034 - accuracy: 0.5611" as Keras does
// (%.4f, or %.4e for tiny values).
func formatLogs(logs Logs) string {
	var b strings.Builder
	for _, k := range logs.Keys() {
		v := logs[k]
		if math.Abs(v) > 1e-3 || v == 0 {
			fmt.Fprintf(&b, " - %s: %.4f", k, v)
		} else {
			fmt.Fprintf(&b, " - %s: %.4e", k, v)
		}
	}
	return b.String()
}
