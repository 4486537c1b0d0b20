// Command yamux_peer is a hashicorp/yamux peer for the TS interop test
// (protocol/yamux/go_interop_test.ts). It speaks yamux with frp's settings over one TCP
// connection, echoes every stream the other side opens, and optionally opens streams
// itself ("drive") and checks that they are echoed back byte for byte.
//
//	yamux_peer -mode server [-drive N -big BYTES]   # listens, prints "ADDR host:port"
//	yamux_peer -mode client -addr host:port [-drive N -big BYTES]
//
// Prints "DRIVE OK" or "DRIVE FAIL <reason>" once the driven streams are done, and exits
// when the session ends.
package main

import (
	"crypto/rand"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/yamux"
)

func frpConfig(keepAlive time.Duration) *yamux.Config {
	cfg := yamux.DefaultConfig()
	cfg.MaxStreamWindowSize = 6 * 1024 * 1024 // frp: client/connector.go, server/service.go
	cfg.KeepAliveInterval = keepAlive
	cfg.LogOutput = os.Stderr
	return cfg
}

func echo(sess *yamux.Session) {
	for {
		st, err := sess.AcceptStream()
		if err != nil {
			return
		}
		go func(st *yamux.Stream) {
			_, _ = io.Copy(st, st)
			_ = st.Close()
		}(st)
	}
}

func randInt(n int64) int64 {
	v, _ := rand.Int(rand.Reader, big.NewInt(n))
	return v.Int64()
}

func roundTrip(sess *yamux.Session, size int) error {
	st, err := sess.OpenStream()
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	payload := make([]byte, size)
	_, _ = rand.Read(payload)
	errc := make(chan error, 1)
	go func() {
		// Write in uneven chunks, like frp's 16 KiB io.Copy but varied.
		for off := 0; off < len(payload); {
			n := int(randInt(40000)) + 1
			if off+n > len(payload) {
				n = len(payload) - off
			}
			if _, err := st.Write(payload[off : off+n]); err != nil {
				errc <- fmt.Errorf("write: %w", err)
				return
			}
			off += n
		}
		errc <- st.Close() // half-close (FIN); reads continue
	}()
	got, err := io.ReadAll(st)
	if err != nil {
		return fmt.Errorf("read stream %d: %w", st.StreamID(), err)
	}
	if err := <-errc; err != nil {
		return err
	}
	if len(got) != len(payload) || sha256.Sum256(got) != sha256.Sum256(payload) {
		return fmt.Errorf("stream %d: echo mismatch (%d vs %d bytes)", st.StreamID(), len(got), len(payload))
	}
	return nil
}

func drive(sess *yamux.Session, n int, bigSize int) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	run := func(size int) {
		defer wg.Done()
		if err := roundTrip(sess, size); err != nil {
			mu.Lock()
			if first == nil {
				first = err
			}
			mu.Unlock()
		}
	}
	for i := 0; i < n; i++ {
		wg.Add(1)
		go run(int(randInt(300000)) + 1)
	}
	if bigSize > 0 {
		wg.Add(1)
		go run(bigSize)
	}
	wg.Wait()
	if first != nil {
		fmt.Printf("DRIVE FAIL %v\n", first)
	} else {
		fmt.Println("DRIVE OK")
	}
}

func main() {
	mode := flag.String("mode", "server", "server or client")
	addr := flag.String("addr", "127.0.0.1:0", "listen (server) or dial (client) address")
	n := flag.Int("drive", 0, "streams to open and verify")
	bigSize := flag.Int("big", 0, "size of one extra large stream (bytes)")
	keepAlive := flag.Duration("keepalive", time.Second, "yamux KeepAliveInterval")
	flag.Parse()
	log.SetOutput(os.Stderr)

	var conn net.Conn
	var sess *yamux.Session
	var err error
	switch *mode {
	case "server":
		ln, lerr := net.Listen("tcp", *addr)
		if lerr != nil {
			log.Fatal(lerr)
		}
		fmt.Printf("ADDR %s\n", ln.Addr())
		conn, err = ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		_ = ln.Close()
		sess, err = yamux.Server(conn, frpConfig(*keepAlive))
	case "client":
		conn, err = net.Dial("tcp", *addr)
		if err != nil {
			log.Fatal(err)
		}
		sess, err = yamux.Client(conn, frpConfig(*keepAlive))
	default:
		log.Fatalf("unknown mode %q", *mode)
	}
	if err != nil {
		log.Fatal(err)
	}
	go echo(sess)
	if *n > 0 || *bigSize > 0 {
		go drive(sess, *n, *bigSize)
	}
	<-sess.CloseChan()
	fmt.Println("SESSION CLOSED")
}
