package sdk

func (o *Options) withDefaults() Options {
	var c Options
	if o != nil {
		c = *o
	}
	setDefault(&c.ConnectTimeout, DefaultConnectTimeout)
	setDefault(&c.Backoff.Initial, DefaultBackoffInitial)
	setDefault(&c.Backoff.Max, DefaultBackoffMax)
	setDefault(&c.Backoff.Factor, DefaultBackoffFactor)
	setDefault(&c.Backoff.Jitter, DefaultBackoffJitter)
	setDefault(&c.Backoff.ResetAfter, DefaultBackoffResetAfter)
	c.Backoff.Jitter = max(c.Backoff.Jitter, 0)
	setDefault(&c.Heartbeat.Interval, DefaultHeartbeatInterval)
	setDefault(&c.Heartbeat.Timeout, DefaultHeartbeatTimeout)
	setDefault(&c.Queue.Limit, DefaultQueueLimit)
	setDefault(&c.Queue.Bytes, DefaultQueueBytes)
	setDefault(&c.ReadLimit, DefaultReadLimit)
	setDefault(&c.RequestTimeout, DefaultRequestTimeout)
	c.Protocols = append([]string(nil), c.Protocols...)
	return c
}

func setDefault[T comparable](p *T, d T) {
	var zero T
	if *p == zero {
		*p = d
	}
}

// check returns an *OptionError for the first field set outside its range
// (zero values, which mean "default", are always in range). New and the
// JavaScript API's connect both call it, so the two builds refuse the same
// values.
func (o *Options) check() error {
	if o == nil {
		return nil
	}
	b := o.Backoff
	switch {
	case b.Initial < 0:
		return durationRange("Backoff.Initial", b.Initial)
	case b.Max < 0:
		return durationRange("Backoff.Max", b.Max)
	case b.ResetAfter < 0:
		return durationRange("Backoff.ResetAfter", b.ResetAfter)
	case b.Factor != 0 && !(b.Factor >= 1): // NaN too
		return &OptionError{Field: "Backoff.Factor", Value: b.Factor, Allowed: "at least 1"}
	case !(b.Jitter <= 1):
		return &OptionError{Field: "Backoff.Jitter", Value: b.Jitter, Allowed: "at most 1 (negative: no jitter)"}
	case o.Heartbeat.Timeout < 0:
		return durationRange("Heartbeat.Timeout", o.Heartbeat.Timeout)
	case o.Queue.MaxAge < 0:
		return durationRange("Queue.MaxAge", o.Queue.MaxAge)
	}
	return nil
}

func durationRange(field string, d duration) *OptionError {
	return &OptionError{Field: field, Value: float64(d), Allowed: "0 or more", Duration: true}
}
