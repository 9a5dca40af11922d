package chat

import (
	"context"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/steadyws/steadyws/sdk/server"
)

// join makes c a member of the room under the nickname in a.
func (s *Server) joinRoom(c *conn, a joinArgs) (string, error) {
	nick := strings.TrimSpace(a.Nick)
	if n := utf8.RuneCountInString(nick); n == 0 || n > MaxNick {
		return "", errorf("bad_nick", "a nickname is 1 to %d characters", MaxNick)
	}
	if strings.ContainsFunc(nick, unicode.IsControl) {
		return "", errorf("bad_nick", "a nickname cannot hold control characters")
	}
	key := strings.ToLower(nick)

	s.mu.Lock()
	var evicted *conn
	if other := s.members[key]; other != nil && other != c {
		if a.Session == "" || other.session != a.Session {
			s.mu.Unlock()
			return "", errorf("nick_taken", "%q is already in the room", nick)
		}
		// The same client reconnected before the server noticed its old
		// connection died (half-open): the new one takes over.
		evicted = other
		other.nick, other.session = "", ""
	}
	if c.nick != "" && strings.ToLower(c.nick) != key {
		delete(s.members, strings.ToLower(c.nick))
	}
	c.nick, c.session = nick, a.Session
	if evicted != nil {
		c.agent = evicted.agent
	}
	s.members[key] = c
	s.mu.Unlock()
	if evicted != nil {
		evicted.log.Info("replaced by a newer connection of the same session", "nick", nick)
		// Not here: on /ws the old connection was usually taken over by
		// the new one's reliable-mode session already, and is being
		// closed; CloseNow then waits for that close (up to 5 s on a
		// half-open socket), which would hold up this join's reply.
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			evicted.drop()
		}()
	}
	c.log.Info("joined", "nick", nick)
	return nick, nil
}

// leave takes c out of the room and returns the nickname it had.
func (s *Server) leave(c *conn) string {
	s.mu.Lock()
	delete(s.conns, c.sc)
	nick := c.nick
	if nick != "" && s.members[strings.ToLower(nick)] == c {
		delete(s.members, strings.ToLower(nick))
	}
	c.nick = ""
	s.mu.Unlock()
	if nick != "" {
		s.broadcast(event("presence", presence{Users: s.users(), Left: nick}))
	}
	return nick
}

// broadcastPresence tells the room who is in it, and who just joined.
func (s *Server) broadcastPresence(joined string) {
	s.broadcast(event("presence", presence{Users: s.users(), Joined: joined}))
}

func (s *Server) setAgent(c *conn, agent string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.nick == "" || c.agent == agent {
		return false
	}
	c.agent = agent
	return true
}

func (s *Server) nickOf(c *conn) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return c.nick
}

// users lists the room's members by nickname.
func (s *Server) users() []User {
	s.mu.Lock()
	users := make([]User, 0, len(s.members))
	for _, c := range s.members {
		users = append(users, User{Nick: c.nick, Agent: c.agent})
	}
	s.mu.Unlock()
	sort.Slice(users, func(i, j int) bool { return strings.ToLower(users[i].Nick) < strings.ToLower(users[j].Nick) })
	return users
}

// broadcast sends a frame to every member of the room.
func (s *Server) broadcast(b []byte) {
	s.mu.Lock()
	to := make([]*conn, 0, len(s.members))
	for _, c := range s.members {
		to = append(to, c)
	}
	s.mu.Unlock()
	for _, c := range to {
		c.send(b)
	}
}

// say sends a chat line to everyone connected, joined or not (a guest
// hears the room too). On /ws it is a Broadcast: numbered and kept for
// every reliable-mode session, attached or waiting for its client to
// resume, so a client whose connection the fault buttons just dropped
// still gets it, once; an ordinary event for the clients without a
// session. The plain connections on / (the seed tutorial's page) are
// another server's, which the Broadcast does not reach: they get the line
// as text.
func (s *Server) say(m chatOut) {
	server.Broadcast(context.Background(), s.ws, "chat", m)
	line := m.Nick + ": " + m.Text
	for _, c := range s.allConns() {
		if c.plain {
			_ = c.sc.SendText(context.Background(), line)
		}
	}
}

// connsOf returns the connections joined as nick.
func (s *Server) connsOf(nick string) []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.members[strings.ToLower(strings.TrimSpace(nick))]; c != nil {
		return []*conn{c}
	}
	return nil
}

func (s *Server) allConns() []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*conn, 0, len(s.conns))
	for _, c := range s.conns {
		out = append(out, c)
	}
	return out
}
