//go:build !linux

package netns

import (
	"errors"
	"net"
)

// Listen: network namespaces are Linux's.
func Listen(ns, addr string) (net.Listener, error) {
	return nil, errors.New("network namespaces need Linux")
}

func lockSubnets() (func(), error) { return nil, errors.New("network namespaces need Linux") }
