package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/containerd/containerd/errdefs"
	"github.com/containerd/ttrpc"
	"github.com/gogo/protobuf/proto"
	"google.golang.org/grpc/status"
)

// callResult is how every scenario reports one call: what came back, never a judgement the TS test
// could not check itself.
type callResult struct {
	OK       bool   `json:"ok"`
	Code     int    `json:"code"`              // gRPC code of the error (0 when OK, 2 for a non-status error)
	Message  string `json:"message,omitempty"` // status message, or the error text of a non-status error
	ErrText  string `json:"errText,omitempty"` // err.Error() as Go callers see it
	IsStatus bool   `json:"isStatus,omitempty"`
	Closed   bool   `json:"closed,omitempty"` // errors.Is(err, ttrpc.ErrClosed)
	CtxErr   bool   `json:"ctxErr,omitempty"` // the caller's own context ended (not a server reply)
	Size     int    `json:"size"`             // reply payload size
	Sha256   string `json:"sha256,omitempty"` // reply payload digest
	Reply    string `json:"reply,omitempty"`  // reply payload as text (JSON replies)
	Elapsed  int64  `json:"elapsedMs"`
	// How containerd reads the error (errdefs.FromGRPC): its class and its text.
	ContainerdClass string `json:"containerdClass,omitempty"`
	ContainerdText  string `json:"containerdText,omitempty"`
}

// containerdClass names the errdefs class containerd would see for err.
func containerdClass(err error) string {
	switch {
	case errdefs.IsInvalidArgument(err):
		return "InvalidArgument"
	case errdefs.IsNotFound(err):
		return "NotFound"
	case errdefs.IsAlreadyExists(err):
		return "AlreadyExists"
	case errdefs.IsFailedPrecondition(err):
		return "FailedPrecondition"
	case errdefs.IsUnavailable(err):
		return "Unavailable"
	case errdefs.IsNotImplemented(err):
		return "NotImplemented"
	case errdefs.IsCanceled(err):
		return "Canceled"
	case errdefs.IsDeadlineExceeded(err):
		return "DeadlineExceeded"
	}
	return "Unknown"
}

func digest(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

type peerClient struct {
	c *ttrpc.Client
	// timeoutNano, when set, replaces the Request.timeout_nano sent (see withWireTimeout).
	mu          sync.Mutex
	timeoutNano int64
}

func dial(socket string) (*peerClient, error) {
	conn, err := net.Dial("unix", socket)
	if err != nil {
		return nil, err
	}
	pc := &peerClient{}
	pc.c = ttrpc.NewClient(conn, ttrpc.WithUnaryClientInterceptor(pc.intercept))
	return pc, nil
}

// intercept lets a scenario put a timeout on the wire that differs from the caller's own deadline, so
// the reply proves the server honoured timeout_nano (the caller would otherwise give up first).
func (pc *peerClient) intercept(ctx context.Context, req *ttrpc.Request, resp *ttrpc.Response,
	_ *ttrpc.UnaryClientInfo, invoker ttrpc.Invoker) error {
	pc.mu.Lock()
	if pc.timeoutNano != 0 {
		req.TimeoutNano = pc.timeoutNano
	}
	pc.mu.Unlock()
	return invoker(ctx, req, resp)
}

func (pc *peerClient) call(ctx context.Context, method string, payload []byte) callResult {
	return pc.callService(ctx, Service, method, payload)
}

func (pc *peerClient) callService(ctx context.Context, service, method string, payload []byte) callResult {
	start := time.Now()
	var resp rawMsg
	err := pc.c.Call(ctx, service, method, &rawMsg{b: payload}, &resp)
	r := callResult{Elapsed: time.Since(start).Milliseconds()}
	if err == nil {
		r.OK = true
		r.Size = len(resp.b)
		r.Sha256 = digest(resp.b)
		if len(resp.b) <= 4096 {
			r.Reply = string(resp.b)
		}
		return r
	}
	r.ErrText = err.Error()
	cerr := errdefs.FromGRPC(err)
	r.ContainerdClass = containerdClass(cerr)
	r.ContainerdText = cerr.Error()
	r.Closed = errors.Is(err, ttrpc.ErrClosed)
	r.CtxErr = ctx.Err() != nil && errors.Is(err, ctx.Err())
	if st, ok := status.FromError(err); ok {
		r.IsStatus = true
		r.Code = int(st.Code())
		r.Message = st.Message()
	} else {
		r.Code = 2
		r.Message = err.Error()
	}
	return r
}

// watch asks the server to answer once the Sleep call tagged tag has "started" or "ended" (its Watch
// method): an event to wait on where a sleep would only make a race less likely.
func (pc *peerClient) watch(ctx context.Context, tag, event string) callResult {
	return pc.call(ctx, "Watch", mustJSON(watchRequest{Tag: tag, Event: event}))
}

func statusOf(err error) (*status.Status, bool) { return status.FromError(err) }

func mustJSON(v interface{}) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

// echoCheck sends payload to Echo and reports whether exactly the same bytes came back.
func echoCheck(ctx context.Context, pc *peerClient, payload []byte) map[string]interface{} {
	var resp rawMsg
	err := pc.c.Call(ctx, Service, "Echo", &rawMsg{b: payload}, &resp)
	out := map[string]interface{}{"sent": len(payload), "sentSha256": digest(payload)}
	if err != nil {
		out["error"] = err.Error()
		return out
	}
	out["received"] = len(resp.b)
	out["receivedSha256"] = digest(resp.b)
	out["equal"] = bytes.Equal(payload, resp.b)
	return out
}

// requestFrameOverhead is what ttrpc.Request adds around a payload of 2^21..2^28 bytes for Service/method
// when there is neither timeout nor metadata.
func requestFrameOverhead(method string) int {
	return 1 + 1 + len(Service) + 1 + 1 + len(method) + 1 + 4
}

func runClient(socket, name string) (interface{}, error) {
	pc, err := dial(socket)
	if err != nil {
		return nil, err
	}
	defer pc.c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	switch name {
	case "unary":
		out := []interface{}{}
		for _, n := range []int{0, 1, 64, 1000, 65536} {
			out = append(out, echoCheck(ctx, pc, randomBytes(n)))
		}
		return out, nil

	case "metadata":
		// Through ttrpc's own MD helpers, as containerd sets its namespace header.
		md := ttrpc.MD{}
		md.Set("containerd-namespace-ttrpc", "default")
		md.Set("X-Mixed-Case", "v") // MD lower-cases keys
		md.Append("x-multi", "1", "2")
		md.Append("x-multi", "3")
		md.Set("x-unicode", "żółw ✓")
		md.Set("x-empty", "")
		viaMD := pc.call(ttrpc.WithMetadata(ctx, md), "EchoMetadata", nil)
		none := pc.call(ctx, "EchoMetadata", nil)
		return map[string]interface{}{"viaMD": viaMD, "none": none}, nil

	case "errors":
		out := map[string]interface{}{}
		for _, code := range []int{1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16} {
			msg := fmt.Sprintf("failure %d: ünïcode ✓", code)
			out[fmt.Sprint(code)] = pc.call(ctx, "Fail", mustJSON(failRequest{Code: code, Message: msg}))
		}
		out["plain"] = pc.call(ctx, "Fail", mustJSON(failRequest{Message: "plain failure", Plain: true}))
		for class := range errdefsClasses {
			out["errdefs"+class] = pc.call(ctx, "Fail", mustJSON(failRequest{Errdefs: class, Message: "thing abc"}))
		}
		out["unknownService"] = pc.callService(ctx, "ttrpc.interop.v1.Nope", "Echo", nil)
		out["unknownMethod"] = pc.callService(ctx, Service, "Nope", nil)
		out["emptyNames"] = pc.callService(ctx, "", "", nil)
		out["afterErrors"] = echoCheck(ctx, pc, []byte("still usable"))
		return out, nil

	case "deadline":
		// No deadline: the server must see none.
		none := pc.call(context.Background(), "Deadline", nil)
		// The caller's own 5 s deadline travels as timeout_nano.
		ctx5, cancel5 := context.WithTimeout(ctx, 5*time.Second)
		five := pc.call(ctx5, "Deadline", nil)
		cancel5()
		// 300 ms on the wire while the caller waits up to 30 s: a DeadlineExceeded status can only come
		// from the server honouring timeout_nano.
		pc.mu.Lock()
		pc.timeoutNano = int64(300 * time.Millisecond)
		pc.mu.Unlock()
		wire := pc.call(ctx, "Sleep", mustJSON(sleepRequest{Ms: 30000, Tag: "wire"}))
		pc.mu.Lock()
		pc.timeoutNano = 0
		pc.mu.Unlock()
		// A negative timeout_nano: Go's server treats it as already expired.
		pc.mu.Lock()
		pc.timeoutNano = -1
		pc.mu.Unlock()
		expired := pc.call(ctx, "Sleep", mustJSON(sleepRequest{Ms: 30000, Tag: "expired"}))
		pc.mu.Lock()
		pc.timeoutNano = 0
		pc.mu.Unlock()
		// The ordinary containerd way: a short caller deadline against a slow handler. The server's
		// deadline counts from when it read the request, so it lands at or after the caller's own: the
		// caller gives up first, and the handler ends by its deadline only while the connection stays
		// open (closing it, as this process does on exit, would cancel the handler instead). Watch holds
		// the connection open until the handler has ended, so which one ends it is decided, not raced.
		ctxShort, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
		short := pc.call(ctxShort, "Sleep", mustJSON(sleepRequest{Ms: 30000, Tag: "short"}))
		cancelShort()
		shortEnd := pc.watch(ctx, "short", "ended")
		// The same with the request read late (450 ms left on the wire for a 300 ms caller), as on a busy
		// host: the server's deadline comes well after the caller gave up, and still ends the handler.
		ctxLate, cancelLate := context.WithTimeout(ctx, 300*time.Millisecond)
		pc.mu.Lock()
		pc.timeoutNano = int64(450 * time.Millisecond)
		pc.mu.Unlock()
		late := pc.call(ctxLate, "Sleep", mustJSON(sleepRequest{Ms: 30000, Tag: "late"}))
		pc.mu.Lock()
		pc.timeoutNano = 0
		pc.mu.Unlock()
		cancelLate()
		lateEnd := pc.watch(ctx, "late", "ended")
		after := echoCheck(ctx, pc, []byte("after deadlines"))
		return map[string]interface{}{
			"none": none, "five": five, "wire": wire, "expired": expired, "short": short,
			"shortEnd": shortEnd, "late": late, "lateEnd": lateEnd, "after": after,
		}, nil

	case "large":
		return map[string]interface{}{
			"echo1MiB": echoCheck(ctx, pc, randomBytes(1<<20)),
			"big1MiB":  pc.call(ctx, "Big", mustJSON(bigRequest{Size: 1 << 20})),
		}, nil

	case "concurrent":
		const n = 100
		results := make([]callResult, n)
		echoes := make([]map[string]interface{}, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				tag := fmt.Sprintf("call-%d", i)
				results[i] = pc.call(ctx, "Barrier", mustJSON(barrierRequest{Group: "g100", N: n, Tag: tag}))
			}(i)
		}
		wg.Wait()
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				echoes[i] = echoCheck(ctx, pc, randomBytes(100+i*37))
			}(i)
		}
		wg.Wait()
		return map[string]interface{}{"barrier": results, "echo": echoes}, nil

	case "oversize-request":
		exact := MaxMessage - requestFrameOverhead("Echo")
		// No deadline and no metadata, so the Request frame is exactly the computed size.
		frame, err := proto.Marshal(&ttrpc.Request{Service: Service, Method: "Echo", Payload: make([]byte, exact)})
		if err != nil {
			return nil, err
		}
		return map[string]interface{}{
			// v1.1.1 sends an oversized request as is; the receiver must discard it and answer the stream.
			"request":      pc.call(ctx, "Echo", make([]byte, MaxMessage+1)),
			"afterRequest": echoCheck(ctx, pc, []byte("after oversized request")),
			"exactRequest": echoCheck(context.Background(), pc, make([]byte, exact)),
			"exactFrame":   len(frame),
		}, nil

	case "oversize-response":
		// A separate case: a v1.1.1 client panics on an oversized Response frame (client.go slices a nil
		// buffer), so a server must answer ResourceExhausted instead of sending one.
		return map[string]interface{}{
			"response":      pc.call(ctx, "Big", mustJSON(bigRequest{Size: MaxMessage + 1})),
			"afterResponse": echoCheck(ctx, pc, []byte("after oversized response")),
		}, nil

	case "abandon":
		// Like a containerd that goes away: close the connection while a call is in flight (the server
		// says when its handler has started).
		done := make(chan callResult, 1)
		go func() { done <- pc.call(ctx, "Sleep", mustJSON(sleepRequest{Ms: 30000, Tag: "abandoned"})) }()
		started := pc.watch(ctx, "abandoned", "started")
		pc.c.Close()
		return map[string]interface{}{"call": <-done, "started": started}, nil

	case "task":
		return runTaskClient(pc)

	case "graceful":
		// The TS test starts a graceful shutdown while the first call is in flight: that call must still
		// be answered; the connection is closed once idle, so a later call finds it closed.
		inFlight := pc.call(ctx, "Sleep", mustJSON(sleepRequest{Ms: 500, Tag: "graceful"}))
		// Wait (bounded) until this client has seen the server close the connection.
		waitCtx, cancelWait := context.WithTimeout(ctx, 10*time.Second)
		closeErr := pc.c.UserOnCloseWait(waitCtx)
		cancelWait()
		later := pc.call(ctx, "Echo", []byte("later"))
		return map[string]interface{}{"inFlight": inFlight, "closeSeen": closeErr == nil, "later": later}, nil

	case "closed":
		// The TS test closes its server while this call is in flight.
		return pc.call(ctx, "Sleep", mustJSON(sleepRequest{Ms: 30000, Tag: "closed"})), nil
	}
	return nil, fmt.Errorf("unknown case %q", name)
}
