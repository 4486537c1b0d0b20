// Command kcp_peer prints byte vectors produced by kcp-go v5.6.13 and klauspost/reedsolomon
// v1.12.0 (the versions Go frp v0.70.1 links): Reed-Solomon (10,3) parity, and the datagrams of
// a KCP session with FEC (10,3) as frp configures it, captured from a fake packet conn. The
// output is committed as tests/fixtures/kcp/vectors.json (protocol/kcp/kcp_test.ts reads it);
// regenerate with `go run . > ../fixtures/kcp/vectors.json` in this directory.
package main

import (
	"encoding/hex"
	"encoding/json"
	"net"
	"os"
	"sync"
	"time"

	"github.com/klauspost/reedsolomon"
	kcp "github.com/xtaci/kcp-go/v5"
)

// capConn records every datagram a session writes; reads block until Close.
type capConn struct {
	mu   sync.Mutex
	pkts [][]byte
	die  chan struct{}
}

func (c *capConn) ReadFrom(b []byte) (int, net.Addr, error) {
	<-c.die
	return 0, nil, net.ErrClosed
}
func (c *capConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	c.mu.Lock()
	c.pkts = append(c.pkts, append([]byte(nil), b...))
	c.mu.Unlock()
	return len(b), nil
}
func (c *capConn) Close() error                     { close(c.die); return nil }
func (c *capConn) LocalAddr() net.Addr              { return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }
func (c *capConn) SetDeadline(time.Time) error      { return nil }
func (c *capConn) SetReadDeadline(time.Time) error  { return nil }
func (c *capConn) SetWriteDeadline(time.Time) error { return nil }

func pattern(seed, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(seed*31 + i*7 + i*i)
	}
	return b
}

type vectors struct {
	RSShards  []string `json:"rsShards"`  // 10 data shards in, 13 shards out
	Writes    []string `json:"writes"`    // what the session was given, one Write each
	Datagrams []string `json:"datagrams"` // what it put on the wire, in order
	Conv      uint32   `json:"conv"`
}

func main() {
	var v vectors
	// Reed-Solomon (10,3), 37-byte shards.
	rs, err := reedsolomon.New(10, 3)
	if err != nil {
		panic(err)
	}
	shards := make([][]byte, 13)
	for i := range shards {
		if i < 10 {
			shards[i] = pattern(i+1, 37)
		} else {
			shards[i] = make([]byte, 37)
		}
	}
	if err := rs.Encode(shards); err != nil {
		panic(err)
	}
	for _, s := range shards {
		v.RSShards = append(v.RSShards, hex.EncodeToString(s))
	}

	// A session as frp configures it; write delay off so each Write is one datagram.
	c := &capConn{die: make(chan struct{})}
	v.Conv = 0x01020304
	sess, err := kcp.NewConn3(v.Conv, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2}, nil, 10, 3, c)
	if err != nil {
		panic(err)
	}
	sess.SetStreamMode(true)
	sess.SetWriteDelay(false)
	sess.SetNoDelay(1, 20, 2, 1)
	sess.SetMtu(1350)
	sess.SetWindowSize(1024, 1024)
	sess.SetACKNoDelay(false)
	sizes := []int{1, 100, 37, 250, 2, 180, 64, 99, 300, 5, 17, 128}
	for i, n := range sizes {
		w := pattern(100+i, n)
		v.Writes = append(v.Writes, hex.EncodeToString(w))
		if _, err := sess.Write(w); err != nil {
			panic(err)
		}
	}
	time.Sleep(50 * time.Millisecond) // < rto (200 ms): no retransmission yet
	c.mu.Lock()
	for _, p := range c.pkts {
		v.Datagrams = append(v.Datagrams, hex.EncodeToString(p))
	}
	c.mu.Unlock()
	sess.Close()
	c.Close()

	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
}
