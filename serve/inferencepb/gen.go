// Package inferencepb holds the Go types and the gRPC client and server
// interfaces of the KServe V2 (Open Inference Protocol) gRPC service,
// generated from inference.proto. serve implements the server
// (serve.Handler.RegisterGRPC); Go programs use the client
// (NewGRPCInferenceServiceClient) to call gokeras serve, Triton or KServe.
//
// The messages are registered under the protocol's own names
// (inference.ModelInferRequest, ...), which the wire format does not need but
// gRPC reflection and text formats use; a program that also links another
// copy of the protocol's generated code (Triton's Go client) has both
// register the same names, which the protobuf runtime refuses unless
// GOLANG_PROTOBUF_REGISTRATION_CONFLICT=warn is set.
package inferencepb

// The generators' versions are pinned so that CI's regeneration gives the
// same bytes: protoc 3.21.12 (Debian bookworm's protobuf-compiler),
// protoc-gen-go v1.36.12 (google.golang.org/protobuf, as in go.mod) and
// protoc-gen-go-grpc v1.6.2, installed with go install.
//go:generate protoc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative inference.proto
