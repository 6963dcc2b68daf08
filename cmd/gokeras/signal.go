package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

var errInterrupted = errors.New("interrupted")

// stopSignals are the signals a long-running command stops cleanly on:
// Ctrl-C, and SIGTERM, which docker stop, timeout, Slurm and systemd send.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

// signalError is the cause of a context that a signal cancelled. It is an
// errInterrupted, and the exit status is the shell's 128 + the signal's
// number (130 for SIGINT, 143 for SIGTERM).
type signalError struct{ sig os.Signal }

func (e *signalError) Error() string {
	name := "SIGINT"
	if e.sig == syscall.SIGTERM {
		name = "SIGTERM"
	}
	return fmt.Sprintf("interrupted (%s)", name)
}

func (e *signalError) Is(target error) bool { return target == errInterrupted }

func (e *signalError) exitCode() int {
	if s, ok := e.sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 130
}

// commandContext is the parent of the long-running commands' contexts:
// Background, except in tests, which bound it so that a command waiting
// for something that never comes fails its test instead of hanging the
// package until go test's timeout.
var commandContext = context.Background

// signalContext is the one place long-running commands (train, sweep)
// handle signals. The context it returns is cancelled by the first SIGINT
// or SIGTERM, with a *signalError as its context.Cause; the command then
// saves what it has and returns interruption(ctx). After that first signal
// the handler is gone, so a second signal ends the process at once, as it
// would without one. stop releases the handler.
func signalContext(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, stopSignals...)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			// Stop first: by the time the command sees the context
			// cancelled, a second signal has its default effect.
			signal.Stop(ch)
			cancel(&signalError{s})
		case <-done:
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
			cancel(context.Canceled)
		})
	}
}

// interruption is the error a command returns when ctx was cancelled by
// a signal: a *signalError, else errInterrupted.
func interruption(ctx context.Context) error {
	var se *signalError
	if errors.As(context.Cause(ctx), &se) {
		return se
	}
	return errInterrupted
}
