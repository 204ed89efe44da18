package main

// The containerd-facing half of the peer: containerd's own generated Task client (runtime/v2/task, what
// containerd 1.6 uses to drive a shim) against our typed server, and containerd's own events exchange
// behind the ttrpc Events service (what a shim publishes to), to prove the generated TypeScript messages
// and the typed layer agree with gogo's encoding and with containerd's handling.

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

	eventsapi "github.com/containerd/containerd/api/events"
	ttrpcevents "github.com/containerd/containerd/api/services/ttrpc/events/v1"
	"github.com/containerd/containerd/api/types"
	"github.com/containerd/containerd/errdefs"
	"github.com/containerd/containerd/events"
	"github.com/containerd/containerd/events/exchange"
	"github.com/containerd/containerd/namespaces"
	"github.com/containerd/containerd/runtime/v2/task"
	"github.com/containerd/ttrpc"
	"github.com/containerd/typeurl"
	ptypes "github.com/gogo/protobuf/types"
)

var _ = eventsapi.TaskExit{} // registers containerd.events.* with gogo's registry, as containerd does

// taskResult reports one typed call: the response as gogo's JSON, or the error as containerd reads it.
type taskResult struct {
	OK              bool        `json:"ok"`
	Response        interface{} `json:"response,omitempty"`
	Code            int         `json:"code,omitempty"`
	Message         string      `json:"message,omitempty"`
	ContainerdClass string      `json:"containerdClass,omitempty"`
	ContainerdText  string      `json:"containerdText,omitempty"`
}

func taskCall(resp interface{}, err error) taskResult {
	if err == nil {
		return taskResult{OK: true, Response: resp}
	}
	r := taskResult{Code: 2, Message: err.Error()}
	if st, ok := statusOf(err); ok {
		r.Code = int(st.Code())
		r.Message = st.Message()
	}
	cerr := errdefs.FromGRPC(err)
	r.ContainerdClass = containerdClass(cerr)
	r.ContainerdText = cerr.Error()
	return r
}

// runTaskClient drives our server with containerd's Task client the way containerd's shim manager does
// (namespace in the ttrpc metadata via namespaces.WithNamespace).
func runTaskClient(pc *peerClient) (interface{}, error) {
	ctx, cancel := context.WithTimeout(namespaces.WithNamespace(context.Background(), "default"), 30*time.Second)
	defer cancel()
	tc := task.NewTaskClient(pc.c)
	out := map[string]interface{}{}

	connect, err := tc.Connect(ctx, &task.ConnectRequest{ID: "abc"})
	out["connect"] = taskCall(connect, err)
	create, err := tc.Create(ctx, &task.CreateTaskRequest{
		ID:       "abc",
		Bundle:   `C:\bundles\abc`,
		Rootfs:   []*types.Mount{{Type: "windows-layer", Source: `C:\layers\1`, Options: []string{"rw", "parentLayerPaths=[]"}}},
		Terminal: true,
		Stdin:    `\\.\pipe\in`,
		Stdout:   `\\.\pipe\out`,
		Options:  &ptypes.Any{TypeUrl: "containerd.runhcs.v1.Options", Value: []byte{0x08, 0x01}},
	})
	out["create"] = taskCall(create, err)
	state, err := tc.State(ctx, &task.StateRequest{ID: "abc", ExecID: "e1"})
	out["state"] = taskCall(state, err)
	kill, err := tc.Kill(ctx, &task.KillRequest{ID: "nope", Signal: 9, All: true})
	out["killUnknown"] = taskCall(kill, err)
	stats, err := tc.Stats(ctx, &task.StatsRequest{ID: "abc"})
	out["stats"] = taskCall(stats, err)
	shutdown, err := tc.Shutdown(ctx, &task.ShutdownRequest{ID: "abc", Now: true})
	out["shutdown"] = taskCall(shutdown, err)
	return out, nil
}

// forwarded is one event as a containerd subscriber (e.g. CRI) sees it, printed as a JSON line.
type forwarded struct {
	Topic       string      `json:"topic"`
	Namespace   string      `json:"namespace"`
	Timestamp   time.Time   `json:"timestamp"`
	TypeURL     string      `json:"typeUrl"`
	Event       interface{} `json:"event,omitempty"`
	DecodeError string      `json:"decodeError,omitempty"`
}

// eventsService is containerd 1.6's services/events ttrpcService: Forward into the exchange.
type eventsService struct{ exchange *exchange.Exchange }

func (s *eventsService) Forward(ctx context.Context, r *ttrpcevents.ForwardRequest) (*ptypes.Empty, error) {
	env := r.Envelope
	if env == nil {
		env = &ttrpcevents.Envelope{}
	}
	if err := s.exchange.Forward(ctx, &events.Envelope{
		Timestamp: env.Timestamp, Namespace: env.Namespace, Topic: env.Topic, Event: env.Event,
	}); err != nil {
		return nil, errdefs.ToGRPC(err)
	}
	return &ptypes.Empty{}, nil
}

// runEventsServer serves containerd's Events service and prints, after "ready", one JSON line per
// event a subscriber receives, decoded with typeurl as containerd's subscribers decode it.
func runEventsServer(socket string) error {
	_ = os.Remove(socket)
	l, err := net.Listen("unix", socket)
	if err != nil {
		return err
	}
	defer os.Remove(socket)
	ex := exchange.NewExchange()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	envelopes, _ := ex.Subscribe(ctx)
	var printing sync.Mutex
	go func() {
		enc := json.NewEncoder(os.Stdout)
		for env := range envelopes {
			f := forwarded{Topic: env.Topic, Namespace: env.Namespace, Timestamp: env.Timestamp}
			if env.Event != nil {
				f.TypeURL = env.Event.GetTypeUrl()
				if v, err := typeurl.UnmarshalAny(env.Event); err != nil {
					f.DecodeError = err.Error()
				} else {
					f.Event = v
				}
			}
			printing.Lock()
			_ = enc.Encode(f)
			printing.Unlock()
		}
	}()

	s, err := ttrpc.NewServer()
	if err != nil {
		return err
	}
	ttrpcevents.RegisterEventsService(s, &eventsService{exchange: ex})
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sigs
		s.Close()
	}()
	printing.Lock()
	fmt.Println("ready")
	printing.Unlock()
	if err := s.Serve(ctx, l); err != nil && !errors.Is(err, ttrpc.ErrServerClosed) {
		return err
	}
	return nil
}
