/**
 * Address plan and tunables of the real-NAT lab (issue 6). Every address below exists only inside the
 * lab's network namespaces: the "internet" namespace has no uplink and no default route, so nothing sent
 * in the lab can leave it, and the host's own interfaces, routes and nftables tables are never touched.
 */

/** Namespace names are `<NAMESPACE_PREFIX><pid>n<counter>-<name>`; the pid lets a later run sweep a crashed one. */
export const NAMESPACE_PREFIX = 'wmlab';
/** Name of the "internet" namespace inside a lab (reserved: no host may use it). */
export const INTERNET_NAME = 'inet';

/** The stand-in for public address space: one /24 per attachment, `10.201.<subnet>.0/24`. */
export const PUBLIC_NET_PREFIX = '10.201';
/** Highest public /24 index (subnets 1..PUBLIC_SUBNET_MAX). */
export const PUBLIC_SUBNET_MAX = 254;
/** Host part of the internet router's address in every public /24 (`10.201.k.1`). */
export const PUBLIC_GATEWAY_HOST = 1;
/** Host part of the first host in a public /24 (`10.201.k.2`), later hosts sharing the /24 count up. */
export const PUBLIC_FIRST_HOST = 2;

/** Default private LAN of NAT number n: `172.31.<n>.0/24` (override per NAT with `lanSubnet`). */
export const DEFAULT_LAN_PREFIX = '172.31';
/** Host part of a NAT router's LAN address (`<lan>.1`). */
export const LAN_GATEWAY_HOST = 1;
/** Host part of the first private host on a LAN (`<lan>.10`). */
export const LAN_FIRST_HOST = 10;
/** Highest host part handed out on a /24. */
export const SUBNET_LAST_HOST = 254;

/** Interface names (namespace-local, so runs never collide; Linux allows at most 15 characters). */
export const IFNAME_MAX_LENGTH = 15;
export const INTERNET_BRIDGE = 'br0';
export const HOST_UPLINK = 'eth0';
export const NAT_WAN = 'wan0';
export const NAT_LAN_BRIDGE = 'lan0';

/** nftables tables the lab creates (inside its namespaces only). */
export const NAT_TABLE = 'wmnat';
export const LOSS_TABLE = 'wmloss';

/** Host and NAT names: short, so error messages and namespace names stay readable. */
export const HOST_NAME_PATTERN = /^[a-z][a-z0-9]{0,11}$/i;

/** After SIGTERM a lab child gets this long to exit before SIGKILL. */
export const CHILD_STOP_GRACE_MS = 1000;
/** Upper bound on waiting for a SIGKILLed child to be reaped. */
export const CHILD_REAP_TIMEOUT_MS = 2000;
/** Bytes of a child's stderr kept for error messages. */
export const STDERR_TAIL_BYTES = 16 * 1024;
/** A stdout line longer than this is not a control line (the rest of the line is discarded). */
export const MAX_JSON_LINE_BYTES = 1 << 20;
/** Each `ip`/`nft`/`sysctl` invocation must finish within this. */
export const COMMAND_TIMEOUT_MS = 10_000;

/** Probe datagrams are tiny JSON documents; anything larger is not ours. */
export const PROBE_MAX_BYTES = 512;
/** `ask` mode resends unanswered requests this often. */
export const PROBE_RESEND_MS = 200;
/** `ask` mode gives up on a server after this long by default. */
export const PROBE_ASK_TIMEOUT_MS = 3000;
/** Longest text of a plain datagram reported in a `recv` event. */
export const PROBE_TEXT_REPORT_BYTES = 256;
