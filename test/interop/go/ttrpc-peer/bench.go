package main

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/containerd/containerd/runtime/v2/task"
	"github.com/containerd/ttrpc"
)

// benchResult is what scripts/bench.mjs reads; test/interop/bench-client.ts prints the same shape.
type benchResult struct {
	Calls   int     `json:"calls"`
	Seconds float64 `json:"seconds"`
	P50us   float64 `json:"p50us"`
	P99us   float64 `json:"p99us"`
	Errors  int     `json:"errors"`
}

// runBench runs closed-loop unary Echo calls on one connection (as containerd keeps one per shim),
// each with containerd's namespace header:
// concurrency workers each issue their next call as soon as the previous one returns.
func runBench(socket string, concurrency int, duration, warmup float64, size int) (interface{}, error) {
	pc, err := dial(socket)
	if err != nil {
		return nil, err
	}
	defer pc.c.Close()
	payload := bytes.Repeat([]byte{0xab}, size)
	ctx := namespaced()
	echo := func() bool {
		var resp rawMsg
		return pc.c.Call(ctx, Service, "Echo", &rawMsg{b: payload}, &resp) == nil && len(resp.b) == size
	}
	workers := make([]func() bool, concurrency)
	for w := range workers {
		workers[w] = echo
	}
	return closedLoop(workers, duration, warmup)
}

// runTaskStateBench calls the Task API State of task id with containerd's own generated Task client
// (runtime/v2/task, as containerd 1.6 does), clients connections each in a closed loop.
func runTaskStateBench(socket, id string, clients int, duration, warmup float64) (interface{}, error) {
	ctx := namespaced()
	workers := make([]func() bool, clients)
	for w := range workers {
		pc, err := dial(socket)
		if err != nil {
			return nil, err
		}
		defer pc.c.Close()
		tc := task.NewTaskClient(pc.c)
		workers[w] = func() bool {
			_, err := tc.State(ctx, &task.StateRequest{ID: id})
			return err == nil
		}
	}
	return closedLoop(workers, duration, warmup)
}

// namespaced: like containerd's Task calls, every request carries the namespace header.
func namespaced() context.Context {
	return ttrpc.WithMetadata(context.Background(), ttrpc.MD{"containerd-namespace-ttrpc": {"default"}})
}

// closedLoop runs each worker in its own goroutine, each issuing its next call as soon as the previous
// one returned: warmup seconds unmeasured, then duration seconds measured.
func closedLoop(workers []func() bool, duration, warmup float64) (interface{}, error) {
	loop := func(until time.Time, record bool) ([]float64, int) {
		var (
			mu     sync.Mutex
			all    []float64
			errors int
			wg     sync.WaitGroup
		)
		for _, call := range workers {
			wg.Add(1)
			go func(call func() bool) {
				defer wg.Done()
				lat := make([]float64, 0, 1<<14)
				errs := 0
				for time.Now().Before(until) {
					start := time.Now()
					if !call() {
						errs++
						continue
					}
					if record {
						lat = append(lat, float64(time.Since(start).Nanoseconds())/1e3)
					}
				}
				mu.Lock()
				all = append(all, lat...)
				errors += errs
				mu.Unlock()
			}(call)
		}
		wg.Wait()
		return all, errors
	}

	loop(time.Now().Add(time.Duration(warmup*float64(time.Second))), false)
	start := time.Now()
	lat, errs := loop(start.Add(time.Duration(duration*float64(time.Second))), true)
	elapsed := time.Since(start).Seconds()
	if len(lat) == 0 {
		return nil, fmt.Errorf("no successful calls (%d errors)", errs)
	}
	sort.Float64s(lat)
	return benchResult{
		Calls:   len(lat),
		Seconds: elapsed,
		P50us:   percentile(lat, 0.50),
		P99us:   percentile(lat, 0.99),
		Errors:  errs,
	}, nil
}

// percentile of sorted values, nearest-rank.
func percentile(sorted []float64, p float64) float64 {
	i := int(float64(len(sorted))*p+0.5) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}
