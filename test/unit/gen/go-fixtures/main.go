// Command go-fixtures prints {"name": "hex bytes"} (JSON) for fully populated sample messages marshalled
// by containerd 1.6's own Go types (gogo protobuf) and ttrpc 1.1's envelope. The TypeScript test
// test/unit/gen/interop.test.ts decodes each with the generated protobuf-es schemas and re-encodes it:
// the field values and the bytes must match, which proves our .proto files are wire-identical.
//
// Build in GOPATH mode (no network):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off GOFLAGS=-mod=mod go build -o <bin> .
package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/containerd/containerd/api/events"
	eventsgrpc "github.com/containerd/containerd/api/services/events/v1"
	eventsttrpc "github.com/containerd/containerd/api/services/ttrpc/events/v1"
	"github.com/containerd/containerd/api/types"
	apitask "github.com/containerd/containerd/api/types/task"
	"github.com/containerd/containerd/runtime/v2/task"
	"github.com/containerd/ttrpc"
	"github.com/gogo/protobuf/proto"
	gogotypes "github.com/gogo/protobuf/types"
	spb "google.golang.org/genproto/googleapis/rpc/status"
)

// Fixed instants (UTC) so the output is reproducible; nanos exercise field 2 of Timestamp.
var (
	exitedAt = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	created  = time.Date(2023, 1, 2, 3, 4, 5, 600, time.UTC)
)

// hcsshim's containerd.runhcs.v1 types are not in GOPATH: these structs carry the exact protobuf struct
// tags of hcsshim's gogo-generated runhcs.pb.go (cmd/containerd-shim-runhcs-v1/options, 2022), so gogo's
// reflection marshaller encodes them as hcsshim's shim and CRI do.
type runhcsOptions struct {
	Debug                           bool              `protobuf:"varint,1,opt,name=debug,proto3"`
	DebugType                       int32             `protobuf:"varint,2,opt,name=debug_type,json=debugType,proto3,enum=containerd.runhcs.v1.Options_DebugType"`
	RegistryRoot                    string            `protobuf:"bytes,3,opt,name=registry_root,json=registryRoot,proto3"`
	SandboxImage                    string            `protobuf:"bytes,4,opt,name=sandbox_image,json=sandboxImage,proto3"`
	SandboxPlatform                 string            `protobuf:"bytes,5,opt,name=sandbox_platform,json=sandboxPlatform,proto3"`
	SandboxIsolation                int32             `protobuf:"varint,6,opt,name=sandbox_isolation,json=sandboxIsolation,proto3,enum=containerd.runhcs.v1.Options_SandboxIsolation"`
	BootFilesRootPath               string            `protobuf:"bytes,7,opt,name=boot_files_root_path,json=bootFilesRootPath,proto3"`
	VmProcessorCount                int32             `protobuf:"varint,8,opt,name=vm_processor_count,json=vmProcessorCount,proto3"`
	VmMemorySizeInMb                int32             `protobuf:"varint,9,opt,name=vm_memory_size_in_mb,json=vmMemorySizeInMb,proto3"`
	GPUVHDPath                      string            `protobuf:"bytes,10,opt,name=GPUVHDPath,proto3"`
	ScaleCpuLimitsToSandbox         bool              `protobuf:"varint,11,opt,name=scale_cpu_limits_to_sandbox,json=scaleCpuLimitsToSandbox,proto3"`
	DefaultContainerScratchSizeInGb int32             `protobuf:"varint,12,opt,name=default_container_scratch_size_in_gb,json=defaultContainerScratchSizeInGb,proto3"`
	DefaultVmScratchSizeInGb        int32             `protobuf:"varint,13,opt,name=default_vm_scratch_size_in_gb,json=defaultVmScratchSizeInGb,proto3"`
	ShareScratch                    bool              `protobuf:"varint,14,opt,name=share_scratch,json=shareScratch,proto3"`
	NCProxyAddr                     string            `protobuf:"bytes,15,opt,name=NCProxyAddr,proto3"`
	LogLevel                        string            `protobuf:"bytes,16,opt,name=log_level,json=logLevel,proto3"`
	IoRetryTimeoutInSec             int32             `protobuf:"varint,17,opt,name=io_retry_timeout_in_sec,json=ioRetryTimeoutInSec,proto3"`
	DefaultContainerAnnotations     map[string]string `protobuf:"bytes,18,rep,name=default_container_annotations,json=defaultContainerAnnotations,proto3" protobuf_key:"bytes,1,opt,name=key,proto3" protobuf_val:"bytes,2,opt,name=value,proto3"`
	NoInheritHostTimezone           bool              `protobuf:"varint,19,opt,name=no_inherit_host_timezone,json=noInheritHostTimezone,proto3"`
	ScrubLogs                       bool              `protobuf:"varint,20,opt,name=scrub_logs,json=scrubLogs,proto3"`
}

func (m *runhcsOptions) Reset()         { *m = runhcsOptions{} }
func (m *runhcsOptions) String() string { return fmt.Sprintf("%+v", *m) }
func (*runhcsOptions) ProtoMessage()    {}

type runhcsProcessDetails struct {
	ImageName                    string    `protobuf:"bytes,1,opt,name=image_name,json=imageName,proto3"`
	CreatedAt                    time.Time `protobuf:"bytes,2,opt,name=created_at,json=createdAt,proto3,stdtime"`
	KernelTime_100Ns             uint64    `protobuf:"varint,3,opt,name=kernel_time_100_ns,json=kernelTime100Ns,proto3"`
	MemoryCommitBytes            uint64    `protobuf:"varint,4,opt,name=memory_commit_bytes,json=memoryCommitBytes,proto3"`
	MemoryWorkingSetPrivateBytes uint64    `protobuf:"varint,5,opt,name=memory_working_set_private_bytes,json=memoryWorkingSetPrivateBytes,proto3"`
	MemoryWorkingSetSharedBytes  uint64    `protobuf:"varint,6,opt,name=memory_working_set_shared_bytes,json=memoryWorkingSetSharedBytes,proto3"`
	ProcessID                    uint32    `protobuf:"varint,7,opt,name=process_id,json=processId,proto3"`
	UserTime_100Ns               uint64    `protobuf:"varint,8,opt,name=user_time_100_ns,json=userTime100Ns,proto3"`
	ExecID                       string    `protobuf:"bytes,9,opt,name=exec_id,json=execId,proto3"`
}

func (m *runhcsProcessDetails) Reset()         { *m = runhcsProcessDetails{} }
func (m *runhcsProcessDetails) String() string { return fmt.Sprintf("%+v", *m) }
func (*runhcsProcessDetails) ProtoMessage()    {}

func anyOf(typeURL string, value []byte) *gogotypes.Any {
	return &gogotypes.Any{TypeUrl: typeURL, Value: value}
}

func mustMarshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("marshal %T: %v", m, err))
	}
	return b
}

func main() {
	mounts := []*types.Mount{
		{Type: "windows-layer", Source: `C:\snapshots\7`, Target: "", Options: []string{"rw", `parentLayerPaths=["C:\\l\\2","C:\\l\\1"]`}},
		{Type: "bind", Source: "/src", Target: "/dst", Options: []string{"ro"}},
	}
	connectPayload := mustMarshal(&task.ConnectRequest{ID: "abc"})
	taskExit := &events.TaskExit{ContainerID: "c1", ID: "e1", Pid: 4242, ExitStatus: 137, ExitedAt: exitedAt}

	msgs := map[string]proto.Message{
		"task.CreateTaskRequest": &task.CreateTaskRequest{
			ID: "c1", Bundle: "/run/bundle/c1", Rootfs: mounts, Terminal: true,
			Stdin: `\\.\pipe\in`, Stdout: `\\.\pipe\out`, Stderr: `\\.\pipe\err`,
			Checkpoint: "/cp", ParentCheckpoint: "/pcp",
			Options: anyOf("containerd.runhcs.v1.Options", []byte{0x08, 0x01, 0x10, 0x01, 0x1a, 0x01, 0x52}),
		},
		"task.CreateTaskResponse": &task.CreateTaskResponse{Pid: 1234},
		"task.DeleteRequest":      &task.DeleteRequest{ID: "c1", ExecID: "e1"},
		"task.DeleteResponse":     &task.DeleteResponse{Pid: 1234, ExitStatus: 255, ExitedAt: exitedAt},
		// A Go zero time.Time (never set) still goes on the wire: seconds = -62135596800.
		"task.DeleteResponse.zeroTime": &task.DeleteResponse{Pid: 7},
		"task.ExecProcessRequest": &task.ExecProcessRequest{
			ID: "c1", ExecID: "e1", Terminal: true, Stdin: "i", Stdout: "o", Stderr: "e",
			Spec: anyOf("types.containerd.io/opencontainers/runtime-spec/1/Process", []byte(`{"args":["cmd"]}`)),
		},
		"task.ExecProcessResponse": &task.ExecProcessResponse{},
		"task.ResizePtyRequest":    &task.ResizePtyRequest{ID: "c1", ExecID: "e1", Width: 120, Height: 40},
		"task.StateRequest":        &task.StateRequest{ID: "c1", ExecID: "e1"},
		"task.StateResponse": &task.StateResponse{
			ID: "c1", Bundle: "/b", Pid: 99, Status: apitask.StatusPausing, Stdin: "i", Stdout: "o", Stderr: "e",
			Terminal: true, ExitStatus: 3, ExitedAt: exitedAt, ExecID: "e1",
		},
		"task.KillRequest":    &task.KillRequest{ID: "c1", ExecID: "e1", Signal: 9, All: true},
		"task.CloseIORequest": &task.CloseIORequest{ID: "c1", ExecID: "e1", Stdin: true},
		"task.PidsRequest":    &task.PidsRequest{ID: "c1"},
		"task.PidsResponse": &task.PidsResponse{Processes: []*apitask.ProcessInfo{
			{Pid: 1, Info: anyOf("containerd.runhcs.v1.ProcessDetails", []byte{0x0a, 0x03, 0x63, 0x6d, 0x64})},
			{Pid: 2},
		}},
		"task.CheckpointTaskRequest": &task.CheckpointTaskRequest{ID: "c1", Path: "/p", Options: anyOf("x.Y", []byte{1})},
		"task.UpdateTaskRequest": &task.UpdateTaskRequest{
			ID:          "c1",
			Resources:   anyOf("types.containerd.io/opencontainers/runtime-spec/1/WindowsResources", []byte(`{}`)),
			Annotations: map[string]string{"k": "v"}, // one entry: Go map order is random
		},
		"task.StartRequest":    &task.StartRequest{ID: "c1", ExecID: "e1"},
		"task.StartResponse":   &task.StartResponse{Pid: 77},
		"task.WaitRequest":     &task.WaitRequest{ID: "c1", ExecID: "e1"},
		"task.WaitResponse":    &task.WaitResponse{ExitStatus: 1, ExitedAt: exitedAt},
		"task.StatsRequest":    &task.StatsRequest{ID: "c1"},
		"task.StatsResponse":   &task.StatsResponse{Stats: anyOf("containerd.runhcs.stats.v1.Statistics", []byte{0x0a, 0x00})},
		"task.ConnectRequest":  &task.ConnectRequest{ID: "abc"},
		"task.ConnectResponse": &task.ConnectResponse{ShimPid: 10, TaskPid: 20, Version: "2"},
		"task.ShutdownRequest": &task.ShutdownRequest{ID: "c1", Now: true},
		"task.PauseRequest":    &task.PauseRequest{ID: "c1"},
		"task.ResumeRequest":   &task.ResumeRequest{ID: "c1"},

		"types.Mount": mounts[0],
		"types.Process": &apitask.Process{
			ContainerID: "c1", ID: "e1", Pid: 5, Status: apitask.StatusStopped, Stdin: "i", Stdout: "o",
			Stderr: "e", Terminal: true, ExitStatus: 2, ExitedAt: created,
		},

		"events.TaskCreate": &events.TaskCreate{
			ContainerID: "c1", Bundle: "/b", Rootfs: mounts,
			IO:         &events.TaskIO{Stdin: "i", Stdout: "o", Stderr: "e", Terminal: true},
			Checkpoint: "/cp", Pid: 11,
		},
		"events.TaskStart":        &events.TaskStart{ContainerID: "c1", Pid: 11},
		"events.TaskDelete":       &events.TaskDelete{ContainerID: "c1", Pid: 11, ExitStatus: 1, ExitedAt: exitedAt, ID: "e1"},
		"events.TaskIO":           &events.TaskIO{Stdin: "i", Stdout: "o", Stderr: "e", Terminal: true},
		"events.TaskExit":         taskExit,
		"events.TaskOOM":          &events.TaskOOM{ContainerID: "c1"},
		"events.TaskExecAdded":    &events.TaskExecAdded{ContainerID: "c1", ExecID: "e1"},
		"events.TaskExecStarted":  &events.TaskExecStarted{ContainerID: "c1", ExecID: "e1", Pid: 12},
		"events.TaskPaused":       &events.TaskPaused{ContainerID: "c1"},
		"events.TaskResumed":      &events.TaskResumed{ContainerID: "c1"},
		"events.TaskCheckpointed": &events.TaskCheckpointed{ContainerID: "c1", Checkpoint: "/cp"},

		"eventsttrpc.ForwardRequest": &eventsttrpc.ForwardRequest{Envelope: &eventsttrpc.Envelope{
			Timestamp: created, Namespace: "default", Topic: "/tasks/exit",
			Event: anyOf("containerd.events.TaskExit", mustMarshal(taskExit)),
		}},
		"eventsttrpc.Envelope": &eventsttrpc.Envelope{
			Timestamp: created, Namespace: "k8s.io", Topic: "/tasks/oom",
			Event: anyOf("containerd.events.TaskOOM", mustMarshal(&events.TaskOOM{ContainerID: "c1"})),
		},
		"eventsgrpc.PublishRequest": &eventsgrpc.PublishRequest{
			Topic: "/tasks/start", Event: anyOf("containerd.events.TaskStart", mustMarshal(&events.TaskStart{ContainerID: "c1", Pid: 3})),
		},
		"eventsgrpc.ForwardRequest": &eventsgrpc.ForwardRequest{Envelope: &eventsgrpc.Envelope{
			Timestamp: created, Namespace: "default", Topic: "/tasks/paused",
			Event: anyOf("containerd.events.TaskPaused", mustMarshal(&events.TaskPaused{ContainerID: "c1"})),
		}},
		"eventsgrpc.SubscribeRequest": &eventsgrpc.SubscribeRequest{Filters: []string{"topic==/tasks/exit", "namespace==default"}},

		"runhcs.Options": &runhcsOptions{
			Debug: true, DebugType: 2, RegistryRoot: `HKLM\r`, SandboxImage: "pause:3.9", SandboxPlatform: "linux/amd64",
			SandboxIsolation: 1, BootFilesRootPath: `C:\lcow`, VmProcessorCount: 4, VmMemorySizeInMb: 2048,
			GPUVHDPath: `C:\gpu.vhd`, ScaleCpuLimitsToSandbox: true, DefaultContainerScratchSizeInGb: 30,
			DefaultVmScratchSizeInGb: 40, ShareScratch: true, NCProxyAddr: `\\.\pipe\nc`, LogLevel: "trace",
			IoRetryTimeoutInSec: 5, DefaultContainerAnnotations: map[string]string{"a": "b"},
			NoInheritHostTimezone: true, ScrubLogs: true,
		},
		"runhcs.ProcessDetails": &runhcsProcessDetails{
			ImageName: "cmd.exe", CreatedAt: created, KernelTime_100Ns: 1 << 40, MemoryCommitBytes: 2,
			MemoryWorkingSetPrivateBytes: 3, MemoryWorkingSetSharedBytes: 4, ProcessID: 5, UserTime_100Ns: 6,
			ExecID: "e1",
		},

		// The ttrpc envelope, marshalled the way ttrpc 1.1's codec does (gogo proto.Marshal).
		"ttrpc.Request": &ttrpc.Request{
			Service: "containerd.task.v2.Task", Method: "Connect", Payload: connectPayload, TimeoutNano: 5000000000,
			Metadata: []*ttrpc.KeyValue{{Key: "containerd-namespace-ttrpc", Value: "default"}},
		},
		"ttrpc.Response.error": &ttrpc.Response{Status: &spb.Status{Code: 5, Message: "container c1: not found"}},
		"ttrpc.Response.ok":    &ttrpc.Response{Status: &spb.Status{}, Payload: mustMarshal(&task.StartResponse{Pid: 77})},
	}

	out := make(map[string]string, len(msgs))
	for name, m := range msgs {
		out[name] = hex.EncodeToString(mustMarshal(m))
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		panic(err)
	}
}
