package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/containerd/containerd/errdefs"
	"github.com/containerd/ttrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The JSON shapes of the control methods, shared with test/interop/test-service.ts.
type failRequest struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Plain   bool   `json:"plain"` // a plain error (code derived by the server) instead of a status
	// Errdefs names a containerd error class ("NotFound", ...): the reply is errdefs.ToGRPC of
	// "<message>: <class text>", exactly what a Go shim returns.
	Errdefs string `json:"errdefs"`
}

var errdefsClasses = map[string]error{
	"InvalidArgument":    errdefs.ErrInvalidArgument,
	"NotFound":           errdefs.ErrNotFound,
	"AlreadyExists":      errdefs.ErrAlreadyExists,
	"FailedPrecondition": errdefs.ErrFailedPrecondition,
	"Unavailable":        errdefs.ErrUnavailable,
	"NotImplemented":     errdefs.ErrNotImplemented,
}

type sleepRequest struct {
	Ms  int    `json:"ms"`
	Tag string `json:"tag"`
}

type barrierRequest struct {
	Group string `json:"group"`
	N     int    `json:"n"`
	Tag   string `json:"tag"`
}

type bigRequest struct {
	Size int `json:"size"`
}

// watchRequest asks Watch to answer once the Sleep call tagged Tag has started (Event "started") or
// ended (Event "ended"): an event a client can wait on instead of sleeping.
type watchRequest struct {
	Tag   string `json:"tag"`
	Event string `json:"event"`
}

// watchReply says how the watched call ended: "done", "deadline", "canceled" or "error" (empty when
// only its start was asked for).
type watchReply struct {
	Tag   string `json:"tag"`
	Event string `json:"event"`
	End   string `json:"end,omitempty"`
}

type deadlineReply struct {
	HasDeadline bool    `json:"hasDeadline"`
	RemainingMs float64 `json:"remainingMs"`
}

// pattern is the deterministic content of Big replies: byte i is (i*7+3) mod 251.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte((i*7 + 3) % 251)
	}
	return b
}

// barriers releases each group's callers together once n of them are waiting: a call only completes
// if n calls of the group are in flight at once, which is what proves the peer serves them concurrently.
type barriers struct {
	mu     sync.Mutex
	groups map[string]*barrierGroup
}

type barrierGroup struct {
	waiting int
	done    chan struct{}
}

func (b *barriers) wait(ctx context.Context, group string, n int) error {
	b.mu.Lock()
	g, ok := b.groups[group]
	if !ok {
		g = &barrierGroup{done: make(chan struct{})}
		b.groups[group] = g
	}
	g.waiting++
	if g.waiting == n {
		close(g.done)
		delete(b.groups, group)
	}
	b.mu.Unlock()
	select {
	case <-g.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// tagged follows the Sleep calls by tag for Watch. Tags are unique per server: a tag's first call is
// the one watched.
type tagged struct {
	mu    sync.Mutex
	calls map[string]*taggedCall
}

type taggedCall struct {
	startOnce, endOnce sync.Once
	started, ended     chan struct{}
	end                string
}

func (t *tagged) get(tag string) *taggedCall {
	t.mu.Lock()
	defer t.mu.Unlock()
	c, ok := t.calls[tag]
	if !ok {
		c = &taggedCall{started: make(chan struct{}), ended: make(chan struct{})}
		t.calls[tag] = c
	}
	return c
}

func (c *taggedCall) start() { c.startOnce.Do(func() { close(c.started) }) }

func (c *taggedCall) finish(err error) {
	c.endOnce.Do(func() {
		c.end = endOf(err)
		close(c.ended)
	})
}

// endOf names how a handler ended, in the words test-service.ts uses for its AbortSignal reasons.
func endOf(err error) string {
	switch {
	case err == nil:
		return "done"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "error"
}

func decode(unmarshal func(interface{}) error, v interface{}) ([]byte, error) {
	var req rawMsg
	if err := unmarshal(&req); err != nil {
		return nil, err
	}
	if v != nil {
		if err := json.Unmarshal(req.b, v); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "bad JSON request: %v", err)
		}
	}
	return req.b, nil
}

func reply(v interface{}) (interface{}, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return &rawMsg{b: b}, nil
}

func testMethods() map[string]ttrpc.Method {
	bars := &barriers{groups: map[string]*barrierGroup{}}
	tags := &tagged{calls: map[string]*taggedCall{}}
	return map[string]ttrpc.Method{
		"Echo": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			b, err := decode(unmarshal, nil)
			if err != nil {
				return nil, err
			}
			return &rawMsg{b: b}, nil
		},
		"EchoMetadata": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			if _, err := decode(unmarshal, nil); err != nil {
				return nil, err
			}
			md, _ := ttrpc.GetMetadata(ctx)
			out := map[string][]string{}
			for k, v := range md {
				out[k] = v
			}
			return reply(out)
		},
		"Fail": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			var req failRequest
			if _, err := decode(unmarshal, &req); err != nil {
				return nil, err
			}
			if req.Plain {
				return nil, errors.New(req.Message)
			}
			if req.Errdefs != "" {
				class, ok := errdefsClasses[req.Errdefs]
				if !ok {
					return nil, status.Errorf(codes.InvalidArgument, "unknown errdefs class %q", req.Errdefs)
				}
				return nil, errdefs.ToGRPC(fmt.Errorf("%s: %w", req.Message, class))
			}
			return nil, status.Error(codes.Code(req.Code), req.Message)
		},
		"Sleep": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			var req sleepRequest
			if _, err := decode(unmarshal, &req); err != nil {
				return nil, err
			}
			var err error
			if req.Tag != "" {
				tc := tags.get(req.Tag)
				tc.start()
				defer func() { tc.finish(err) }()
			}
			t := time.NewTimer(time.Duration(req.Ms) * time.Millisecond)
			defer t.Stop()
			select {
			case <-t.C:
				return reply(map[string]string{"tag": req.Tag})
			case <-ctx.Done():
				err = ctx.Err()
				return nil, err
			}
		},
		"Watch": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			var req watchRequest
			if _, err := decode(unmarshal, &req); err != nil {
				return nil, err
			}
			tc := tags.get(req.Tag)
			wait := tc.ended
			switch req.Event {
			case "started":
				wait = tc.started
			case "ended":
			default:
				return nil, status.Errorf(codes.InvalidArgument, "unknown event %q", req.Event)
			}
			select {
			case <-wait:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			out := watchReply{Tag: req.Tag, Event: req.Event}
			if req.Event == "ended" {
				out.End = tc.end
			}
			return reply(out)
		},
		"Barrier": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			var req barrierRequest
			if _, err := decode(unmarshal, &req); err != nil {
				return nil, err
			}
			if err := bars.wait(ctx, req.Group, req.N); err != nil {
				return nil, err
			}
			return reply(map[string]string{"tag": req.Tag})
		},
		"Deadline": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			if _, err := decode(unmarshal, nil); err != nil {
				return nil, err
			}
			dl, ok := ctx.Deadline()
			out := deadlineReply{HasDeadline: ok}
			if ok {
				out.RemainingMs = float64(time.Until(dl)) / float64(time.Millisecond)
			}
			return reply(out)
		},
		"Big": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			var req bigRequest
			if _, err := decode(unmarshal, &req); err != nil {
				return nil, err
			}
			return &rawMsg{b: pattern(req.Size)}, nil
		},
	}
}

func runServer(socket string) error {
	_ = os.Remove(socket)
	l, err := net.Listen("unix", socket)
	if err != nil {
		return err
	}
	defer os.Remove(socket)
	s, err := ttrpc.NewServer()
	if err != nil {
		return err
	}
	s.Register(Service, testMethods())

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sigs
		s.Close()
	}()

	fmt.Println("ready")
	if err := s.Serve(context.Background(), l); err != nil && !errors.Is(err, ttrpc.ErrServerClosed) {
		return err
	}
	return nil
}
