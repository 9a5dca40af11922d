//go:build !js

package sdk_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/steadyws/steadyws/sdk"
	"github.com/steadyws/steadyws/sdk/internal/testserver"
)

func ExampleWithTLSConfig() {
	// A wss:// server whose certificate no public CA signed.
	srv, err := testserver.StartTLS()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	// In real code: roots.AppendCertsFromPEM with your CA's PEM file.
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := sdk.Dial(ctx, srv.URL(), sdk.WithTLSConfig(nil, &tls.Config{RootCAs: roots}))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Println("with the CA:", c.State())

	// Without it the certificate is refused at once, and the client stops.
	_, err = sdk.Dial(ctx, srv.URL(), nil)
	var ce *sdk.CertificateError
	fmt.Println("without it:", errors.As(err, &ce))
	// Output:
	// with the CA: open
	// without it: true
}
