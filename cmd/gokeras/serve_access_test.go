package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/gokeras/gokeras"
	"github.com/gokeras/gokeras/activation"
	"github.com/gokeras/gokeras/nn"
	pb "github.com/gokeras/gokeras/serve/inferencepb"
	"github.com/gokeras/gokeras/tensor"
)

// selfSigned writes a certificate for 127.0.0.1 and its key as PEM files
// in dir and returns their paths and the certificate.
func selfSigned(t *testing.T, dir string) (certPath, keyPath string, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gokeras test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err = x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath, cert
}

// gokeras serve --tls-cert --tls-key --token-file --grpc-addr: HTTPS and
// gRPC over TLS, the token required on a model endpoint (401 or
// Unauthenticated without it), liveness open.
func TestServeTLSAndToken(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the command as a process")
	}
	dir := t.TempDir()
	model := filepath.Join(dir, "tiny.safetensors")
	m := gokeras.NewSequential(&nn.Dense{Units: 3, Activation: activation.Softmax, InputShape: tensor.Shape{4}})
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	if err := m.Save(model); err != nil {
		t.Fatal(err)
	}
	certPath, keyPath, cert := selfSigned(t, dir)
	tokenPath := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenPath, []byte("tok-123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd, lines, stderr := gokerasProcess(t, dir, "serve", "--load", model, "--addr", "127.0.0.1:0",
		"--tls-cert", certPath, "--tls-key", keyPath, "--token-file", tokenPath, "--log-format", "off", "--grpc-addr", "127.0.0.1:0")
	if !lines.Scan() {
		t.Fatalf("no first line; stderr: %s", stderr)
	}
	line := lines.Text()
	i := strings.Index(line, "https://")
	if i < 0 {
		t.Fatalf("first line %q has no https:// address", line)
	}
	base := strings.TrimSuffix(strings.Fields(line[i:])[0], ":")
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}, Timeout: 10 * time.Second}
	get := func(path, token string) int {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		res.Body.Close()
		if res.ProtoMajor != 2 {
			t.Errorf("GET %s over TLS answered in %s, want HTTP/2", path, res.Proto)
		}
		return res.StatusCode
	}
	if c := get("/v2/models/tiny", "tok-123"); c != 200 {
		t.Errorf("with the token: %d", c)
	}
	if c := get("/v2/models/tiny", ""); c != 401 {
		t.Errorf("without the token: %d, want 401", c)
	}
	if c := get("/v2/health/live", ""); c != 200 {
		t.Errorf("liveness without the token: %d", c)
	}

	// gRPC, on the same certificate and token.
	if !lines.Scan() || !strings.HasPrefix(lines.Text(), "gokeras serve: gRPC on ") {
		t.Fatalf("second line %q: want the gRPC address; stderr: %s", lines.Text(), stderr)
	}
	addr, _, _ := strings.Cut(strings.TrimPrefix(lines.Text(), "gokeras serve: gRPC on "), ": ")
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(pool, "")))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	gc := pb.NewGRPCInferenceServiceClient(cc)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := gc.ModelMetadata(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer tok-123"), &pb.ModelMetadataRequest{Name: "tiny"}); err != nil {
		t.Errorf("gRPC with the token: %v", err)
	}
	if _, err := gc.ModelMetadata(ctx, &pb.ModelMetadataRequest{Name: "tiny"}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("gRPC without the token: %v, want Unauthenticated", err)
	}
	if _, err := gc.ServerLive(ctx, &pb.ServerLiveRequest{}); err != nil {
		t.Errorf("gRPC liveness without the token: %v", err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v; stderr: %s", err, stderr)
	}
}

func TestServeAccessFlagErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", "c.pem"}, "--tls-cert and --tls-key go together"},
		{[]string{"--token-file", empty}, "is empty"},
		{[]string{"--token-file", filepath.Join(dir, "missing")}, "--token-file"},
	} {
		_, errOut, code := runCLI(t, append([]string{"serve", "--load", "x.keras"}, tc.args...)...)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("serve %v: exit %d, %q; want an error saying %q", tc.args, code, errOut, tc.want)
		}
	}
}
