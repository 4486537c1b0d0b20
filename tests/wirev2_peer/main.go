// Command wirev2_peer prints byte vectors for frp's wire protocol v2, produced by the Go frp
// v0.70.1 and golib v0.8.1 code itself: message frames, hello payloads, the transcript hash,
// HKDF keys and AEAD streams (random stream nonces, so the TS test decrypts rather than
// compares). The output is pasted into protocol/msg/frame_v2_test.ts and
// protocol/crypto/aead_test.ts; rerun with `go run .` to regenerate.
package main

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"

	"github.com/fatedier/frp/pkg/msg"
	"github.com/fatedier/frp/pkg/proto/wire"
	netpkg "github.com/fatedier/frp/pkg/util/net"
)

func frameHex(m msg.Message) string {
	var buf bytes.Buffer
	if err := msg.NewV2ReadWriter(&buf).WriteMsg(m); err != nil {
		panic(err)
	}
	return hex.EncodeToString(buf.Bytes())
}

func seq(start, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(start + i)
	}
	return b
}

func main() {
	out := map[string]any{}
	out["ping"] = frameHex(&msg.Ping{})
	out["newWorkConn"] = frameHex(&msg.NewWorkConn{RunID: "abc"})
	out["login"] = frameHex(&msg.Login{Version: "0.70.1", Os: "linux", RunID: "r1", PoolCount: 1})
	out["udpPacket"] = frameHex(&msg.UDPPacket{Content: []byte("hi"), RemoteAddr: &net.UDPAddr{IP: net.ParseIP("1.2.3.4"), Port: 5}})

	ch := wire.ClientHello{
		Bootstrap: wire.BootstrapInfo{Transport: "tcp", TLS: true, TCPMux: true},
		Capabilities: wire.ClientCapabilities{
			Message: wire.MessageCapabilities{Codecs: []string{"json"}},
			Crypto: wire.CryptoCapabilities{
				Algorithms:   []string{"aes-256-gcm", "xchacha20-poly1305"},
				ClientRandom: seq(0, 32),
			},
		},
	}
	chPayload, _ := json.Marshal(ch)
	sh := wire.ServerHello{Selected: wire.ServerSelection{
		Message: wire.MessageSelection{Codec: "json"},
		Crypto:  wire.CryptoSelection{Algorithm: "aes-256-gcm", ServerRandom: seq(32, 32)},
	}}
	shPayload, _ := json.Marshal(sh)
	emptyCH, _ := json.Marshal(wire.ClientHello{})
	errSH := wire.DefaultServerHello()
	errSH.Error = "no supported crypto algorithm"
	errSHPayload, _ := json.Marshal(errSH)
	out["clientHello"] = string(chPayload)
	out["serverHello"] = string(shPayload)
	out["emptyClientHello"] = string(emptyCH)
	out["errorServerHello"] = string(errSHPayload)
	var chFrame bytes.Buffer
	_ = wire.NewConn(&chFrame).WriteJSONFrame(wire.FrameTypeClientHello, ch)
	out["clientHelloFrame"] = hex.EncodeToString(chFrame.Bytes())
	transcript := wire.HashCryptoTranscript(chPayload, shPayload)
	out["transcript"] = hex.EncodeToString(transcript)

	token := []byte("12345678")
	streams := map[string]any{}
	for _, alg := range []string{"aes-256-gcm", "xchacha20-poly1305"} {
		keys := map[string]string{}
		for _, dir := range []string{"client-to-server", "server-to-client"} {
			k, err := hkdf.Key(sha256.New, token, transcript, "frp wire v2 control aead "+alg+" "+dir, 32)
			if err != nil {
				panic(err)
			}
			keys[dir] = hex.EncodeToString(k)
		}
		// client role writes client-to-server: "hello", then "world!" (two records).
		var buf bytes.Buffer
		rw, err := netpkg.NewAEADCryptoReadWriter(&buf, token, netpkg.AEADCryptoRoleClient, alg, transcript)
		if err != nil {
			panic(err)
		}
		_, _ = rw.Write([]byte("hello"))
		_, _ = rw.Write([]byte("world!"))
		streams[alg] = map[string]any{"keys": keys, "clientStream": hex.EncodeToString(buf.Bytes())}
	}
	out["aead"] = streams
	b, _ := json.MarshalIndent(out, "", "  ")
	fmt.Println(string(b))
}
