// Command gokeras trains, evaluates and inspects Keras-style models from the
// command line, without writing Go.
//
//	gokeras train                       # the note's 8x8 CNN on the embedded digits
//	gokeras train --model cifar10-cnn --dataset cifar10 --epochs 50
//	gokeras summary --model fashion-cnn
//	gokeras evaluate --load model.safetensors
//	gokeras predict --load model.safetensors digit.png
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/gokeras/gokeras/dataset"
)

type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

// commands lists the subcommands in the order usage shows them. Each file
// that implements one registers it from its init, so adding a command
// touches only its own file.
var commands []command

func register(c command) {
	commands = append(commands, c)
	sort.SliceStable(commands, func(i, j int) bool { return order(commands[i].name) < order(commands[j].name) })
}

// order puts the everyday commands first; the rest follow alphabetically.
func order(name string) string {
	for i, n := range []string{"train", "evaluate", "predict", "summary", "presets"} {
		if n == name {
			return string(rune('0' + i))
		}
	}
	return "9" + name
}

func init() {
	register(command{"train", "train a model (a preset or a model file) on a data set", runTrain})
	register(command{"evaluate", "evaluate a saved model on a data set's test split", runEvaluate})
	register(command{"predict", "predict classes or values for image or CSV files with a saved model", runPredict})
	register(command{"summary", "print a model's layers and parameter counts", runSummary})
	register(command{"presets", "list the built-in models", runPresets})
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: gokeras <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'gokeras <command> -h' for a command's flags.")
}

// errUsage marks errors after which the command's flags are worth showing.
var errUsage = errors.New("usage")

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	name := args[0]
	if name == "-h" || name == "--help" || name == "help" {
		usage(stdout)
		return 0
	}
	if err := imagePixelLimit(); err != nil {
		fmt.Fprintf(stderr, "gokeras: %v\n", err)
		return 2
	}
	for _, c := range commands {
		if c.name == name {
			err := c.run(args[1:], stdout, stderr)
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errInterrupted):
				fmt.Fprintf(stderr, "gokeras %s: %s\n", name, errorText(err))
				var se *signalError
				if errors.As(err, &se) {
					return se.exitCode()
				}
				return 130
			}
			fmt.Fprintf(stderr, "gokeras %s: %s\n", name, errorText(err))
			var big *dataset.ImageTooLargeError
			if errors.As(err, &big) {
				fmt.Fprintf(stderr, "gokeras %s: to raise the limit from the command line, set %s (e.g. %s=%d)\n", name, pixelLimitEnv, pixelLimitEnv, int64(big.Width)*int64(big.Height))
			}
			return 1
		}
	}
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	fmt.Fprintf(stderr, "gokeras: unknown command %q; commands: %s\n", name, strings.Join(names, ", "))
	return 2
}

// pixelLimitEnv overrides dataset.MaxImagePixels for one run.
const pixelLimitEnv = "GOKERAS_MAX_IMAGE_PIXELS"

// imagePixelLimit applies GOKERAS_MAX_IMAGE_PIXELS when it is set.
func imagePixelLimit() error {
	v, ok := os.LookupEnv(pixelLimitEnv)
	if !ok {
		return nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 1 {
		return fmt.Errorf("%s=%q: want a number of pixels of at least 1 (the default is %d)", pixelLimitEnv, v, dataset.MaxImagePixels)
	}
	dataset.MaxImagePixels = int(n)
	return nil
}

// errorText is err's message after "gokeras CMD: ": without the library's
// own "gokeras: " package prefix, which would say the same thing twice.
func errorText(err error) string {
	return strings.TrimPrefix(err.Error(), "gokeras: ")
}

// helpOut remembers where each flag set prints its -h help, until it is
// parsed. A sync.Map: commands run concurrently in one process (tests, a
// sweep's workers), and an entry is dropped once used, so nothing piles up.
var helpOut sync.Map // *flag.FlagSet -> io.Writer

// newFlags returns a flag set whose errors are one line naming the valid
// flags, instead of the flag package's usage dump.
func newFlags(name string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	// The flag package calls Usage on every parse error; parseFlags prints
	// the help itself, only for -h.
	fs.Usage = func() {}
	helpOut.Store(fs, stdout)
	return fs
}

// parseFlags parses args and turns flag errors into one line that lists
// the valid flags.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	out, _ := helpOut.LoadAndDelete(fs)
	if errors.Is(err, flag.ErrHelp) {
		w, ok := out.(io.Writer)
		if !ok {
			w = os.Stdout
		}
		fmt.Fprintf(w, "usage: gokeras %s [flags]\n\nflags:\n", fs.Name())
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		return err
	}
	if err == nil {
		return nil
	}
	// A bad value names its flag and says what is valid; listing every
	// flag would not help.
	if msg, ok := flagValueError(err.Error()); ok {
		return errors.New(msg)
	}
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, "--"+f.Name) })
	sort.Strings(names)
	msg := err.Error()
	if strings.HasPrefix(msg, "flag provided but not defined: ") {
		msg = "unknown flag " + strings.TrimPrefix(msg, "flag provided but not defined: ")
	}
	return fmt.Errorf("%s; valid flags: %s", msg, strings.Join(names, " "))
}

func runPresets(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("presets", stdout)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return listPresets(stdout)
}

// parseInterspersed parses flags that may come before, between or after
// positional arguments ("datasets info mnist --data-dir D") and returns the
// positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
