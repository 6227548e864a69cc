package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// load is what one scenario measured.
type load struct {
	requests, errors int
	elapsed          time.Duration
	lat              []time.Duration // sorted
	firstErr         string
}

func (l load) rps() float64 { return float64(l.requests) / l.elapsed.Seconds() }

func (l load) p99ms() float64 {
	if len(l.lat) == 0 {
		return 0
	}
	return float64(l.lat[min(len(l.lat)-1, len(l.lat)*99/100)].Microseconds()) / 1000
}

func (l load) String() string {
	s := fmt.Sprintf("%7d requests %9.0f/s  p50 %6.2f ms  p99 %6.2f ms  errors %d", l.requests, l.rps(), l.p50ms(), l.p99ms(), l.errors)
	if l.firstErr != "" {
		s += " (first: " + l.firstErr + ")"
	}
	return s
}

func (l load) p50ms() float64 {
	if len(l.lat) == 0 {
		return 0
	}
	return float64(l.lat[len(l.lat)/2].Microseconds()) / 1000
}

// worker is one connection's view: do sends a request, times it and
// counts it; a step may send several.
type worker struct {
	id       int
	client   *http.Client
	lat      []time.Duration
	errors   int
	firstErr string
	buf      bytes.Buffer
}

// do sends req and returns the status and, with keep, the body (valid until
// the next call). A transport error or a status of 400 or more is an error.
func (w *worker) do(req *http.Request, keep bool) (int, []byte) {
	start := time.Now()
	resp, err := w.client.Do(req)
	if err != nil {
		w.lat = append(w.lat, time.Since(start))
		w.fail(err.Error())
		return 0, nil
	}
	w.buf.Reset()
	if keep || resp.StatusCode >= 400 {
		_, err = w.buf.ReadFrom(resp.Body)
	} else {
		_, err = io.Copy(io.Discard, resp.Body)
	}
	resp.Body.Close()
	w.lat = append(w.lat, time.Since(start))
	if err != nil {
		w.fail(err.Error())
		return 0, nil
	}
	if resp.StatusCode >= 400 {
		w.fail(fmt.Sprintf("%s %s: %d %.200s", req.Method, req.URL.Path, resp.StatusCode, w.buf.String()))
	}
	return resp.StatusCode, w.buf.Bytes()
}

func (w *worker) fail(msg string) {
	w.errors++
	if w.firstErr == "" {
		w.firstErr = msg
	}
}

func newClient(conns int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
		IdleConnTimeout: time.Minute, DisableCompression: true,
	}}
}

// drive runs step on conns workers, each on its own keep-alive connection,
// until d has passed (a step started before then finishes).
func drive(ctx context.Context, conns int, d time.Duration, step func(w *worker)) load {
	client := newClient(conns)
	defer client.CloseIdleConnections()
	workers := make([]*worker, conns)
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for i := range workers {
		w := &worker{id: i, client: client, lat: make([]time.Duration, 0, 4096)}
		workers[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				step(w)
			}
		}()
	}
	wg.Wait()
	l := load{elapsed: time.Since(start)}
	for _, w := range workers {
		l.lat = append(l.lat, w.lat...)
		l.errors += w.errors
		if l.firstErr == "" {
			l.firstErr = w.firstErr
		}
	}
	slices.Sort(l.lat)
	l.requests = len(l.lat)
	return l
}

func request(method, url, token string, body []byte) *http.Request {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		panic(err) // the harness builds every URL itself
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}
