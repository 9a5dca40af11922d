// Code generated from sdk/jsabi.go by `go test ./sdk -run TestJSConstants -update`. DO NOT EDIT.
// The numbers and names the JavaScript API shares with the Go core.
export const ACT_EVENT = 1;
export const ACT_REPLY = 2;
export const ACT_REQUEST = 3;
export const ACT_RAW = 4;
export const SEND_YIELD = 1073741824;
export const SEND_SOCKET = 536870911;
export const SEND_NUMBERED = 536870912;
export const SEND_QUEUED = 0;
export const SEND_QUEUE_FULL = -2;
export const SEND_NO_QUEUE = -3;
export const SEND_DUPLICATE_ID = -5;
export const SEND_TOO_LARGE = -6;
export const NAME_MALFORMED = "MalformedError";
export const NAME_HANDLER = "HandlerError";
export const NAME_UNHANDLED_FRAME = "UnhandledFrameError";
export const CODE_TIMEOUT = "timeout";
export const CODE_CLOSED = "closed";
export const CODE_QUEUE_FULL = "queue_full";
export const CODE_NOT_CONNECTED = "not_connected";
export const CODE_DUPLICATE_ID = "duplicate_id";
export const CODE_TOO_LARGE = "too_large";
export const TEXT_QUEUE_FULL = "steadyws: send queue full";
export const TEXT_NOT_CONNECTED = "steadyws: not connected (queueing is disabled)";
export const TEXT_DUPLICATE_ID = "steadyws: duplicate request id";
