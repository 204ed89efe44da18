// Command ttrpc-peer is the Go side of the interop tests and benchmarks of our TypeScript ttrpc: it speaks
// containerd's own ttrpc (v1.1.1, what containerd 1.6 links) so that every wire detail we claim to share
// with containerd is checked against the real implementation rather than against our reading of it.
//
//	ttrpc-peer server --socket PATH                     serve the test service, print "ready"
//	ttrpc-peer events-server --socket PATH              containerd's Events service; prints forwarded events
//	ttrpc-peer client --socket PATH --case NAME         run one scenario, print its JSON result
//	ttrpc-peer bench  --socket PATH --concurrency N --duration S --size B [--warmup S]
//	ttrpc-peer task-state-bench --socket PATH --id TASK --concurrency CLIENTS --duration S  (Task API State)
//
// Payloads are raw bytes (see rawMsg); control requests and replies are JSON inside them.
// The process exits when its stdin closes, so a test runner that dies cannot leave it behind.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
)

// Service is the test service both peers (this one and test/interop/test-service.ts) implement.
const Service = "ttrpc.interop.v1.Test"

// MaxMessage is ttrpc's frame payload limit (messageLengthMax).
const MaxMessage = 4 << 20

// rawMsg carries a payload as is: ttrpc v1.1.1's codec only accepts gogo proto.Messages, and gogo's
// Marshal/Unmarshal defer to these methods, so what the method gets is exactly the Request.payload bytes.
type rawMsg struct{ b []byte }

func (r *rawMsg) Marshal() ([]byte, error) { return r.b, nil }
func (r *rawMsg) Unmarshal(p []byte) error { r.b = append([]byte(nil), p...); return nil }
func (r *rawMsg) Reset()                   { r.b = nil }
func (r *rawMsg) String() string           { return fmt.Sprintf("rawMsg(%d bytes)", len(r.b)) }
func (r *rawMsg) ProtoMessage()            {}

// onExit runs before an exit forced by a closed stdin (the server removes its socket).
var onExit = func() {}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: ttrpc-peer server|events-server|client|bench|task-state-bench --socket PATH [options]")
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	mode := os.Args[1]
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	socket := fs.String("socket", "", "unix socket path")
	caseName := fs.String("case", "", "client scenario")
	concurrency := fs.Int("concurrency", 1, "bench: calls in flight")
	duration := fs.Float64("duration", 3, "bench: measured seconds")
	warmup := fs.Float64("warmup", 0.5, "bench: unmeasured seconds first")
	size := fs.Int("size", 64, "bench: payload bytes")
	taskID := fs.String("id", "", "task-state-bench: the task whose State is called")
	if err := fs.Parse(os.Args[2:]); err != nil || *socket == "" {
		usage()
	}
	if mode == "server" || mode == "events-server" {
		onExit = func() { _ = os.Remove(*socket) }
	}
	go exitOnStdinEOF()

	var err error
	switch mode {
	case "server":
		err = runServer(*socket)
	case "events-server":
		err = runEventsServer(*socket)
	case "client":
		var out interface{}
		out, err = runClient(*socket, *caseName)
		if err == nil {
			err = json.NewEncoder(os.Stdout).Encode(out)
		}
	case "bench":
		var out interface{}
		out, err = runBench(*socket, *concurrency, *duration, *warmup, *size)
		if err == nil {
			err = json.NewEncoder(os.Stdout).Encode(out)
		}
	case "task-state-bench":
		var out interface{}
		out, err = runTaskStateBench(*socket, *taskID, *concurrency, *duration, *warmup)
		if err == nil {
			err = json.NewEncoder(os.Stdout).Encode(out)
		}
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "ttrpc-peer %s: %v\n", mode, err)
		os.Exit(1)
	}
}

// exitOnStdinEOF ends the process once its parent closes stdin (or dies), when stdin is a pipe or socket
// (Node's stdio "pipe" is a socketpair); a terminal or /dev/null leaves it alone.
func exitOnStdinEOF() {
	if st, err := os.Stdin.Stat(); err != nil || st.Mode()&(os.ModeNamedPipe|os.ModeSocket) == 0 {
		return
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
	onExit()
	os.Exit(3)
}
