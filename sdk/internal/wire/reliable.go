package wire

import (
	"errors"
	"strconv"
)

// Reliable mode's frames (see "Reliable mode" in the README):
//
//	client → server, first frame of every connection, a request:
//	  {"type":"$hello","id":1,"data":{"session":"<id>","ack":A}}
//	server → client, its reply, before any event:
//	  {"type":"$hello","re":1,"data":{"ack":K,"resumed":true}}
//	an event, either direction: {"type":"chat","seq":12,"data":{...}}
//	cumulative acknowledgement, either direction: {"type":"$ack","seq":12}

// Reserved types of reliable mode. Every type that begins with '$' is
// reserved for the protocol.
const (
	TypeHello = "$hello"
	TypeAck   = "$ack"
)

// Reserved reports whether t is a type reserved for the protocol.
func Reserved(t string) bool { return len(t) > 0 && t[0] == '$' }

// AppendHello appends the data of a $hello request.
func AppendHello(dst []byte, session string, ack int64) []byte {
	dst = append(dst, `{"session":`...)
	dst = AppendString(dst, session)
	dst = append(dst, `,"ack":`...)
	dst = strconv.AppendInt(dst, ack, 10)
	return append(dst, '}')
}

// AppendWelcome appends the data of the reply to a $hello.
func AppendWelcome(dst []byte, ack int64, resumed bool) []byte {
	dst = append(dst, `{"ack":`...)
	dst = strconv.AppendInt(dst, ack, 10)
	if resumed {
		return append(dst, `,"resumed":true}`...)
	}
	return append(dst, `,"resumed":false}`...)
}

var errHello = errors.New(`$hello data must be {"session":string,"ack":integer ≥ 0}`)
var errWelcome = errors.New(`$hello reply data must be {"ack":integer ≥ 0,"resumed":boolean}`)

// ScanHello reads the data of a $hello request.
func ScanHello(raw []byte) (session string, ack int64, err error) {
	var haveSession, haveAck bool
	err = scanObject(raw, func(s *scanner, key string) bool {
		switch key {
		case "session":
			session, haveSession = s.stringValue()
			return haveSession
		case "ack":
			ack, haveAck = s.count()
			return haveAck
		}
		return s.skipValue()
	})
	if err != nil || !haveSession || !haveAck {
		return "", 0, errHello
	}
	return session, ack, nil
}

// ScanWelcome reads the data of the reply to a $hello.
func ScanWelcome(raw []byte) (ack int64, resumed bool, err error) {
	var haveAck, haveResumed bool
	err = scanObject(raw, func(s *scanner, key string) bool {
		switch key {
		case "ack":
			ack, haveAck = s.count()
			return haveAck
		case "resumed":
			switch {
			case s.literal("true"):
				resumed, haveResumed = true, true
			case s.literal("false"):
				haveResumed = true
			}
			return haveResumed
		}
		return s.skipValue()
	})
	if err != nil || !haveAck || !haveResumed {
		return 0, false, errWelcome
	}
	return ack, resumed, nil
}

// scanObject calls value for each key of the object raw, with the scanner
// at the key's value; value returns false for a value it cannot read.
func scanObject(raw []byte, value func(s *scanner, key string) bool) error {
	s := scanner{b: raw}
	s.space()
	if !s.eat('{') {
		return errHello
	}
	s.space()
	if s.eat('}') {
		return nil
	}
	for {
		s.space()
		key, ok := s.stringValue()
		if !ok {
			return errHello
		}
		s.space()
		if !s.eat(':') {
			return errHello
		}
		s.space()
		if !value(&s, key) {
			return errHello
		}
		s.space()
		if s.eat('}') {
			s.space()
			if s.i != len(s.b) {
				return errHello
			}
			return nil
		}
		if !s.eat(',') {
			return errHello
		}
	}
}

// count reads an integer from 0 to MaxSafeInt.
func (s *scanner) count() (int64, bool) {
	if s.i < len(s.b) && s.b[s.i] == '0' {
		s.i++
		return 0, s.i == len(s.b) || s.b[s.i] < '0' || s.b[s.i] > '9'
	}
	return s.positiveInt()
}

// literal moves past lit if it comes next.
func (s *scanner) literal(lit string) bool {
	if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
		s.i += len(lit)
		return true
	}
	return false
}
