// Code generated from sdk/jsabi.go by `go test ./sdk -run TestJSConstants -update`. DO NOT EDIT.
// The socket shim's numbers: sdk/internal/jsws evaluates this file and
// shim.js as one function body, this file first.
"use strict";
const ACT_NONE = 0;
const ACT_PONG = 5;
const ACT_FULL = 6;
const ROUTE_ACT = 255;
const ROUTE_YIELD = 256;
const ROUTE_HEAD_ONLY = 0;
const ROUTE_COMPLETE = 1;
const ROUTE_REEXAMINE = 2;
const MSG_TEXT = 1;
const MSG_BINARY = 2;
const SOCK_OPEN = 1;
const SOCK_CLOSE = 2;
const SOCK_MESSAGE = 3;
const SOCK_DRAINED = 4;
const HIGH_WATER = 4194304;
