package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
)

// countValue is an integer flag that must be at least 1 when it is given:
// --epochs, --batch-size, --top, --scale. Left out it keeps its default,
// which may be 0 for "the preset's"; given as 0 or below it is a flag
// error, never a silent default.
type countValue int

func (c *countValue) String() string { return strconv.Itoa(int(*c)) }

func (c *countValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return errors.New("out of range; must be at least 1")
		}
		return errors.New("not an integer; must be at least 1")
	}
	if n < 1 {
		return errors.New("must be at least 1 (leave the flag out for the default)")
	}
	*c = countValue(n)
	return nil
}

// countVar defines a countValue flag with default def and returns where
// its value is stored.
func countVar(fs *flag.FlagSet, name string, def int, usage string) *int {
	c := countValue(def)
	fs.Var(&c, name, usage)
	return (*int)(&c)
}

// flagValueError rewrites the flag package's "invalid value "0" for flag
// -epochs: must be…" as "--epochs 0: must be…".
func flagValueError(msg string) (string, bool) {
	var val, name string
	// The flag package quotes the value with %q.
	const pre = "invalid value "
	if len(msg) < len(pre) || msg[:len(pre)] != pre {
		return "", false
	}
	rest := msg[len(pre):]
	q, err := strconv.QuotedPrefix(rest)
	if err != nil {
		return "", false
	}
	val, _ = strconv.Unquote(q)
	rest = rest[len(q):]
	const mid = " for flag -"
	if len(rest) < len(mid) || rest[:len(mid)] != mid {
		return "", false
	}
	rest = rest[len(mid):]
	for i := 0; i < len(rest); i++ {
		if rest[i] == ':' {
			name, rest = rest[:i], rest[i+1:]
			if len(rest) > 0 && rest[0] == ' ' {
				rest = rest[1:]
			}
			return fmt.Sprintf("--%s %s: %s", name, val, rest), true
		}
	}
	return "", false
}
