package cluster

import (
	"context"

	"mutexlab/runtime/driver"
	"mutexlab/runtime/transport"
	"mutexlab/runtime/wire"
)

// gated is a node's transport for a run started with HoldLinks: nothing
// comes in until the driver has held every link, so not even the first
// message slips past the hold. After that it passes everything through.
type gated struct {
	transport.Transport
	in chan wire.Message
}

func (g *gated) Incoming() <-chan wire.Message { return g.in }

// Reset passes a fault plan's reset of a peer on to the transport.
func (g *gated) Reset(peer string) {
	if r, ok := g.Transport.(interface{ Reset(string) }); ok {
		r.Reset(peer)
	}
}

// holdAtStart queues hold (every link) for the driver and opens the gate once
// the driver has applied it.
func holdAtStart(ctx context.Context, tr transport.Transport, cmds chan<- driver.Request) transport.Transport {
	g := &gated{Transport: tr, in: make(chan wire.Message)}
	go func() {
		reply := make(chan driver.Result, 1)
		select {
		case cmds <- driver.Request{Command: driver.Command{Op: driver.OpHold, Links: driver.Links{All: true}}, Reply: reply}:
		case <-ctx.Done():
			return
		}
		select {
		case <-reply:
		case <-ctx.Done():
			return
		}
		src := tr.Incoming()
		for {
			select {
			case m := <-src:
				select {
				case g.in <- m:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return g
}
