package main

import (
	"context"
	"encoding/binary"
	"math"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/nn"
	pb "github.com/gokeras/gokeras/serve/inferencepb"
	"github.com/gokeras/gokeras/tensor"
)

// TestServeGRPC: `gokeras serve --grpc-addr` answers the V2 protocol's
// gRPC ModelInfer with Predict's values and the health service SERVING,
// and stops on SIGTERM.
func TestServeGRPC(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the command as a process")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "tiny.safetensors")
	m := gokeras.NewSequential(&nn.Dense{Units: 3, Activation: activation.Softmax, InputShape: tensor.Shape{4}})
	m.Seed = 6
	if err := m.CompileNamed("sparse_categorical_crossentropy", "adam"); err != nil {
		t.Fatal(err)
	}
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	x := tensor.New(2, 4)
	for i := range x.Data {
		x.Data[i] = float32(i)/5 - 0.7
	}
	want, err := m.Predict(x, 0)
	if err != nil {
		t.Fatal(err)
	}
	cmd, lines, stderr := gokerasProcess(t, dir, "serve", "--load", path, "--addr", "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0", "--log-format", "off")
	var addr string
	for addr == "" && lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), "gokeras serve: gRPC on "); ok {
			addr, _, _ = strings.Cut(rest, ": ")
		}
	}
	if addr == "" {
		t.Fatalf("no gRPC address printed; stderr: %s", stderr)
	}
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hr, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || hr.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health Check: %v %v", hr, err)
	}
	raw := make([]byte, 0, 4*len(x.Data))
	for _, v := range x.Data {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
	}
	resp, err := pb.NewGRPCInferenceServiceClient(cc).ModelInfer(ctx, &pb.ModelInferRequest{
		ModelName:        "tiny",
		Inputs:           []*pb.ModelInferRequest_InferInputTensor{{Name: m.InputNames()[0], Datatype: "FP32", Shape: []int64{2, 4}}},
		RawInputContents: [][]byte{raw},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.RawOutputContents) != 1 || len(resp.RawOutputContents[0]) != 4*len(want.Data) {
		t.Fatalf("response %v", resp)
	}
	for i, w := range want.Data {
		if got := math.Float32frombits(binary.LittleEndian.Uint32(resp.RawOutputContents[0][4*i:])); math.Float32bits(got) != math.Float32bits(w) {
			t.Fatalf("output %d = %v, Predict gives %v", i, got, w)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit %v; stderr: %s", err, stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("still running 30 s after SIGTERM")
	}
	if !strings.Contains(stderr.String(), "stopped") {
		t.Errorf("stderr %q does not say it stopped", stderr)
	}
}
