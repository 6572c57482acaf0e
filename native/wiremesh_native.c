/*
 * wiremesh's optional native fast path (docs/decisions.md, "Native fast path"). Two things Node cannot do:
 *
 *   1. Batched UDP I/O: sendmmsg(2) sends every packet a turn produced in one system call (runs to one
 *      address as one UDP GSO send), recvmmsg(2)
 *      reads up to `slots` datagrams per call into one arena and calls JavaScript once per batch (Node's
 *      dgram makes one call, one Buffer and one rinfo object per datagram).
 *   2. ChaCha20-Poly1305 (RFC 8439, the IETF construction of spec 2.3) through the OpenSSL that Node itself
 *      links and exports: about twice as fast per byte as the libsodium build sodium-native ships here.
 *
 * Protocol logic stays in TypeScript: this file only moves bytes and runs the AEAD. Linux only (sendmmsg,
 * recvmmsg); the loader falls back to node:dgram and sodium-native when this addon is missing or fails its
 * self-test (src/session/native-addon.ts).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>
#include <stdio.h>

#include <node_api.h>
#include <uv.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define SOCKADDR_BYTES 28 /* sizeof(struct sockaddr_in6): room for either family */
#define META_INTS 8       /* per received datagram: length, port, family, 4 address words, flags */
#define MAX_SLOTS 256
#define SEND_WAIT_MS 5    /* a full send buffer: wait this long once for room before reporting EAGAIN */
#define GSO_MAX_SEGMENTS 64 /* UDP_MAX_SEGMENTS of older kernels */
#define GSO_MAX_BYTES 60000 /* below the 65,507-byte limit of one UDP send */

#define CHECK(call)                                                                                     \
  do {                                                                                                  \
    if ((call) != napi_ok) {                                                                            \
      napi_throw_error(env, "ERR_WIREMESH_NATIVE", "wiremesh native: N-API call failed: " #call);       \
      return NULL;                                                                                      \
    }                                                                                                   \
  } while (0)

static napi_value throw_errno(napi_env env, const char *what, int err) {
  napi_value msg, code, error;
  char text[256];
  snprintf(text, sizeof text, "%s: %s", what, strerror(err));
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_int32(env, err, &code);
  napi_create_error(env, NULL, msg, &error);
  napi_set_named_property(env, error, "errno", code);
  napi_throw(env, error);
  return NULL;
}

static int get_bytes(napi_env env, napi_value v, uint8_t **data, size_t *length) {
  napi_typedarray_type type;
  size_t len;
  void *ptr;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, &len, &ptr, &ab, &off) != napi_ok) return 0;
  if (type != napi_uint8_array) return 0;
  *data = (uint8_t *)ptr;
  *length = len;
  return 1;
}

static int get_i32(napi_env env, napi_value v, int32_t **data, size_t *length) {
  napi_typedarray_type type;
  size_t len;
  void *ptr;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, &len, &ptr, &ab, &off) != napi_ok) return 0;
  if (type != napi_int32_array) return 0;
  *data = (int32_t *)ptr;
  *length = len;
  return 1;
}

/* ---------------------------------------------------------------- UDP socket ------------------------ */

typedef struct {
  int fd;
  int family;
  int closed;
  int polling;
  int gso_off;
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_ref arena_ref;
  napi_ref meta_ref;
  napi_async_context async_context;
  uint8_t *arena;
  size_t slot_bytes;
  unsigned slots;
  int32_t *meta;
  struct mmsghdr msgs[MAX_SLOTS];
  struct iovec iovs[MAX_SLOTS];
  struct sockaddr_storage addrs[MAX_SLOTS];
} udp_socket;

static void release_refs(udp_socket *s) {
  if (s->callback) napi_delete_reference(s->env, s->callback);
  if (s->arena_ref) napi_delete_reference(s->env, s->arena_ref);
  if (s->meta_ref) napi_delete_reference(s->env, s->meta_ref);
  if (s->async_context) napi_async_destroy(s->env, s->async_context);
  s->callback = s->arena_ref = s->meta_ref = NULL;
  s->async_context = NULL;
}

static void on_poll_closed(uv_handle_t *handle) {
  udp_socket *s = (udp_socket *)handle->data;
  close(s->fd);
  s->fd = -1;
  free(s);
}

static void finalize_socket(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  udp_socket *s = (udp_socket *)data;
  /* The JS object went away: close() has run (it holds the object until then), so only free here. */
  if (!s->closed) {
    s->closed = 1;
    if (s->polling) {
      uv_poll_stop(&s->poll);
      uv_close((uv_handle_t *)&s->poll, on_poll_closed);
      return;
    }
    close(s->fd);
  }
  if (!s->polling) free(s);
}

static udp_socket *unwrap(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_unwrap(env, v, &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, "ERR_WIREMESH_NATIVE", "not a wiremesh native socket");
    return NULL;
  }
  udp_socket *s = (udp_socket *)p;
  if (s->closed) {
    napi_throw_error(env, "ERR_WIREMESH_NATIVE", "the native socket is closed");
    return NULL;
  }
  return s;
}

static void setup_iovecs(udp_socket *s) {
  for (unsigned i = 0; i < s->slots; i++) {
    s->iovs[i].iov_base = s->arena + i * s->slot_bytes;
    s->iovs[i].iov_len = s->slot_bytes;
    memset(&s->msgs[i].msg_hdr, 0, sizeof(struct msghdr));
    s->msgs[i].msg_hdr.msg_iov = &s->iovs[i];
    s->msgs[i].msg_hdr.msg_iovlen = 1;
    s->msgs[i].msg_hdr.msg_name = &s->addrs[i];
    s->msgs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_storage);
  }
}

/* open(ipv6: boolean, ipv6Only: boolean, host: string, port: number, bufferBytes: number) -> socket object */
static napi_value udp_open(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], obj;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool ipv6, v6only;
  char host[64];
  size_t host_len;
  int32_t port, buffer_bytes;
  CHECK(napi_get_value_bool(env, argv[0], &ipv6));
  CHECK(napi_get_value_bool(env, argv[1], &v6only));
  CHECK(napi_get_value_string_utf8(env, argv[2], host, sizeof host, &host_len));
  CHECK(napi_get_value_int32(env, argv[3], &port));
  CHECK(napi_get_value_int32(env, argv[4], &buffer_bytes));

  struct sockaddr_storage ss;
  socklen_t ss_len;
  memset(&ss, 0, sizeof ss);
  if (ipv6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) return throw_errno(env, "bad IPv6 address", EINVAL);
    ss_len = sizeof(struct sockaddr_in6);
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1) return throw_errno(env, "bad IPv4 address", EINVAL);
    ss_len = sizeof(struct sockaddr_in);
  }
  int fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  if (ipv6) {
    int on = v6only ? 1 : 0;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
  }
  if (bind(fd, (struct sockaddr *)&ss, ss_len) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "bind", err);
  }
  if (buffer_bytes > 0) {
    /* Best effort (spec 13): Linux clamps to rmem_max / wmem_max. */
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof buffer_bytes);
  }
  udp_socket *s = (udp_socket *)calloc(1, sizeof(udp_socket));
  if (s == NULL) {
    close(fd);
    return throw_errno(env, "calloc", ENOMEM);
  }
  s->fd = fd;
  s->family = ipv6 ? AF_INET6 : AF_INET;
  const char *gso = getenv("WIREMESH_GSO");
  s->gso_off = gso != NULL && strcmp(gso, "0") == 0;
  s->env = env;
  CHECK(napi_create_object(env, &obj));
  CHECK(napi_wrap(env, obj, s, finalize_socket, NULL, NULL));
  return obj;
}

/* localPort(socket) -> number */
static napi_value udp_local_port(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  udp_socket *s = unwrap(env, argv[0]);
  if (s == NULL) return NULL;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(s->fd, (struct sockaddr *)&ss, &len) != 0) return throw_errno(env, "getsockname", errno);
  int port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) : ntohs(((struct sockaddr_in *)&ss)->sin_port);
  CHECK(napi_create_int32(env, port, &out));
  return out;
}

/* bufferSizes(socket) -> [rcvbuf, sndbuf] as the kernel reports them */
static napi_value udp_buffer_sizes(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out, v;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  udp_socket *s = unwrap(env, argv[0]);
  if (s == NULL) return NULL;
  int rcv = 0, snd = 0;
  socklen_t l = sizeof rcv;
  getsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcv, &l);
  l = sizeof snd;
  getsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &snd, &l);
  CHECK(napi_create_array_with_length(env, 2, &out));
  CHECK(napi_create_int32(env, rcv, &v));
  CHECK(napi_set_element(env, out, 0, v));
  CHECK(napi_create_int32(env, snd, &v));
  CHECK(napi_set_element(env, out, 1, v));
  return out;
}

static void fill_meta(int32_t *m, const struct mmsghdr *msg, const struct sockaddr_storage *addr) {
  m[0] = (msg->msg_hdr.msg_flags & MSG_TRUNC) ? -1 : (int32_t)msg->msg_len;
  if (addr->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)addr;
    m[1] = ntohs(a->sin6_port);
    m[2] = 6;
    memcpy(&m[3], &a->sin6_addr, 16);
  } else {
    const struct sockaddr_in *a = (const struct sockaddr_in *)addr;
    m[1] = ntohs(a->sin_port);
    m[2] = 4;
    memcpy(&m[3], &a->sin_addr, 4);
    m[4] = m[5] = m[6] = 0;
  }
  m[7] = 0;
}

#define RECV_ROUNDS_PER_WAKEUP 4

static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  udp_socket *s = (udp_socket *)handle->data;
  if (status < 0 || s->closed) return;
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  for (int round = 0; round < RECV_ROUNDS_PER_WAKEUP && !s->closed; round++) {
    for (unsigned i = 0; i < s->slots; i++) s->msgs[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_storage);
    int n = recvmmsg(s->fd, s->msgs, s->slots, MSG_DONTWAIT, NULL);
    if (n <= 0) break;
    for (int i = 0; i < n; i++) fill_meta(s->meta + i * META_INTS, &s->msgs[i], &s->addrs[i]);
    napi_value cb, recv, argv[1], result;
    if (napi_get_reference_value(env, s->callback, &cb) != napi_ok || cb == NULL) break;
    napi_get_global(env, &recv); /* napi_make_callback wants an object as the receiver */
    napi_create_int32(env, n, &argv[0]);
    napi_status st = napi_make_callback(env, s->async_context, recv, cb, 1, argv, &result);
    if (st == napi_pending_exception) {
      napi_value exc;
      napi_get_and_clear_last_exception(env, &exc);
      napi_fatal_exception(env, exc);
      break;
    }
    if ((unsigned)n < s->slots) break;
  }
  napi_close_handle_scope(env, scope);
}

/* recvStart(socket, arena: Uint8Array, slotBytes, meta: Int32Array, callback(count)) */
static napi_value udp_recv_start(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], name;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  udp_socket *s = unwrap(env, argv[0]);
  if (s == NULL) return NULL;
  if (s->polling) {
    napi_throw_error(env, "ERR_WIREMESH_NATIVE", "recvStart called twice");
    return NULL;
  }
  uint8_t *arena;
  size_t arena_len, meta_len;
  int32_t *meta;
  int32_t slot_bytes;
  if (!get_bytes(env, argv[1], &arena, &arena_len) || !get_i32(env, argv[3], &meta, &meta_len)) {
    napi_throw_type_error(env, "ERR_WIREMESH_NATIVE", "recvStart(socket, Uint8Array, slotBytes, Int32Array, fn)");
    return NULL;
  }
  CHECK(napi_get_value_int32(env, argv[2], &slot_bytes));
  if (slot_bytes <= 0) {
    napi_throw_range_error(env, "ERR_WIREMESH_NATIVE", "slotBytes must be positive");
    return NULL;
  }
  size_t slots = arena_len / (size_t)slot_bytes;
  if (slots > MAX_SLOTS) slots = MAX_SLOTS;
  if (slots == 0 || meta_len < slots * META_INTS) {
    napi_throw_range_error(env, "ERR_WIREMESH_NATIVE", "arena or meta too small");
    return NULL;
  }
  s->arena = arena;
  s->slot_bytes = (size_t)slot_bytes;
  s->slots = (unsigned)slots;
  s->meta = meta;
  CHECK(napi_create_reference(env, argv[1], 1, &s->arena_ref));
  CHECK(napi_create_reference(env, argv[3], 1, &s->meta_ref));
  CHECK(napi_create_reference(env, argv[4], 1, &s->callback));
  CHECK(napi_create_string_utf8(env, "wiremesh:udp", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, argv[0], name, &s->async_context));
  setup_iovecs(s);
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  if (uv_poll_init_socket(loop, &s->poll, s->fd) != 0) return throw_errno(env, "uv_poll_init_socket", EINVAL);
  s->poll.data = s;
  s->polling = 1;
  uv_poll_start(&s->poll, UV_READABLE, on_readable);
  return NULL;
}

/* setArena(socket, arena: Uint8Array): the next datagrams land in a fresh arena (the old one is kept by JS). */
static napi_value udp_set_arena(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  udp_socket *s = unwrap(env, argv[0]);
  if (s == NULL) return NULL;
  uint8_t *arena;
  size_t len;
  if (!get_bytes(env, argv[1], &arena, &len) || len < s->slots * s->slot_bytes) {
    napi_throw_range_error(env, "ERR_WIREMESH_NATIVE", "setArena needs a Uint8Array as large as the first");
    return NULL;
  }
  if (s->arena_ref) napi_delete_reference(env, s->arena_ref);
  CHECK(napi_create_reference(env, argv[1], 1, &s->arena_ref));
  s->arena = arena;
  setup_iovecs(s);
  return NULL;
}

/*
 * sendBatch(socket, arena: Uint8Array, slotBytes, lengths: Int32Array, dests: Uint8Array, first, count,
 *           errors: Int32Array) -> number handled
 * Sends datagram i (first <= i < first + count) = arena[i*slotBytes, +lengths[i]) to the sockaddr at
 * dests[i*28]. errors[i] = 0 on success or the errno of that datagram. Returns how many were handled;
 * fewer than count only when the send buffer stayed full (EAGAIN after one short wait).
 */
static napi_value udp_send_batch(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  udp_socket *s = unwrap(env, argv[0]);
  if (s == NULL) return NULL;
  uint8_t *arena, *dests;
  size_t arena_len, dests_len, lengths_len, errors_len;
  int32_t *lengths, *errors;
  int32_t slot_bytes, first, count;
  if (!get_bytes(env, argv[1], &arena, &arena_len) || !get_i32(env, argv[3], &lengths, &lengths_len) ||
      !get_bytes(env, argv[4], &dests, &dests_len) || !get_i32(env, argv[7], &errors, &errors_len)) {
    napi_throw_type_error(env, "ERR_WIREMESH_NATIVE", "sendBatch: bad arguments");
    return NULL;
  }
  CHECK(napi_get_value_int32(env, argv[2], &slot_bytes));
  CHECK(napi_get_value_int32(env, argv[5], &first));
  CHECK(napi_get_value_int32(env, argv[6], &count));
  if (slot_bytes <= 0 || first < 0 || count < 0 || count > MAX_SLOTS || (size_t)(first + count) > lengths_len ||
      (size_t)(first + count) > errors_len || (size_t)(first + count) * SOCKADDR_BYTES > dests_len ||
      (size_t)(first + count) * (size_t)slot_bytes > arena_len) {
    napi_throw_range_error(env, "ERR_WIREMESH_NATIVE", "sendBatch: region out of range");
    return NULL;
  }
  struct mmsghdr msgs[MAX_SLOTS];
  struct iovec iovs[MAX_SLOTS];
  int msg_first[MAX_SLOTS], msg_segs[MAX_SLOTS];
  union {
    char buf[CMSG_SPACE(sizeof(uint16_t))];
    struct cmsghdr align;
  } ctrl[MAX_SLOTS];
  for (int i = 0; i < count; i++) {
    int k = first + i;
    int32_t len = lengths[k];
    if (len < 0 || len > slot_bytes) len = 0;
    iovs[i].iov_base = arena + (size_t)k * slot_bytes;
    iovs[i].iov_len = (size_t)len;
    errors[k] = 0;
  }
  /*
   * Messages: a run of datagrams to the same address with the same length (the last may be shorter)
   * becomes one UDP GSO send (UDP_SEGMENT, Linux 4.18+): the kernel walks its stack once for the whole
   * run instead of once per datagram. The datagrams on the wire are the same.
   */
  int nmsgs = 0;
  for (int i = 0; i < count;) {
    const uint8_t *dest = dests + (size_t)(first + i) * SOCKADDR_BYTES;
    size_t seg = iovs[i].iov_len;
    int segs = 1;
    size_t total = seg;
    if (!s->gso_off && seg > 0) {
      while (i + segs < count && segs < GSO_MAX_SEGMENTS && iovs[i + segs].iov_len > 0 && iovs[i + segs].iov_len <= seg &&
             total + iovs[i + segs].iov_len <= GSO_MAX_BYTES &&
             memcmp(dest, dests + (size_t)(first + i + segs) * SOCKADDR_BYTES, SOCKADDR_BYTES) == 0) {
        total += iovs[i + segs].iov_len;
        segs++;
        if (iovs[i + segs - 1].iov_len < seg) break; /* only the last segment may be shorter */
      }
    }
    struct msghdr *h = &msgs[nmsgs].msg_hdr;
    memset(h, 0, sizeof *h);
    h->msg_iov = &iovs[i];
    h->msg_iovlen = (size_t)segs;
    struct sockaddr *sa = (struct sockaddr *)dest;
    h->msg_name = sa;
    h->msg_namelen = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (segs > 1) {
      h->msg_control = ctrl[nmsgs].buf;
      h->msg_controllen = sizeof ctrl[nmsgs].buf;
      struct cmsghdr *c = CMSG_FIRSTHDR(h);
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      uint16_t gso = (uint16_t)seg;
      memcpy(CMSG_DATA(c), &gso, sizeof gso);
    }
    msg_first[nmsgs] = i;
    msg_segs[nmsgs] = segs;
    nmsgs++;
    i += segs;
  }
  int done = 0; /* datagrams handled, in order */
  int waited = 0;
  for (int m = 0; m < nmsgs;) {
    int n = sendmmsg(s->fd, msgs + m, (unsigned)(nmsgs - m), MSG_DONTWAIT);
    if (n > 0) {
      for (int j = m; j < m + n; j++) done += msg_segs[j];
      m += n;
      continue;
    }
    int err = n < 0 ? errno : EIO;
    if (err == EINTR) continue;
    if ((err == EAGAIN || err == EWOULDBLOCK) && !waited) {
      /* The socket buffer is full: give the kernel one short moment, as a blocking send would. */
      struct pollfd p = {s->fd, POLLOUT, 0};
      poll(&p, 1, SEND_WAIT_MS);
      waited = 1;
      continue;
    }
    if (err == EAGAIN || err == EWOULDBLOCK) break;
    if (msg_segs[m] > 1) {
      /* GSO refused (old kernel, device without it, a path MTU below the segment): send this run one
         datagram at a time, and stop grouping on this socket if the kernel cannot do it at all. */
      if (err == EINVAL || err == EIO || err == ENOPROTOOPT || err == EOPNOTSUPP) s->gso_off = 1;
      for (int j = 0; j < msg_segs[m]; j++) {
        struct msghdr one = msgs[m].msg_hdr;
        one.msg_iov = &iovs[msg_first[m] + j];
        one.msg_iovlen = 1;
        one.msg_control = NULL;
        one.msg_controllen = 0;
        ssize_t r;
        do r = sendmsg(s->fd, &one, MSG_DONTWAIT);
        while (r < 0 && errno == EINTR);
        errors[first + msg_first[m] + j] = r < 0 ? errno : 0;
      }
    } else {
      /* This datagram failed (e.g. unreachable destination): record it and go on with the next. */
      errors[first + msg_first[m]] = err;
    }
    done += msg_segs[m];
    m++;
  }
  CHECK(napi_create_int32(env, done, &out));
  return out;
}

/* close(socket) */
static napi_value udp_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *p = NULL;
  if (napi_unwrap(env, argv[0], &p) != napi_ok || p == NULL) return NULL;
  udp_socket *s = (udp_socket *)p;
  if (s->closed) return NULL;
  s->closed = 1;
  release_refs(s);
  /* The wrapper no longer owns s: the poll close callback (or this function) frees it. */
  napi_remove_wrap(env, argv[0], NULL);
  if (s->polling) {
    uv_poll_stop(&s->poll);
    uv_close((uv_handle_t *)&s->poll, on_poll_closed);
  } else {
    close(s->fd);
    free(s);
  }
  return NULL;
}

/* sockaddr(host: string, port: number, ipv6Socket: boolean, out: Uint8Array(28)) -> boolean */
static napi_value make_sockaddr(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char host[64];
  size_t host_len;
  int32_t port;
  bool v6sock;
  uint8_t *dst;
  size_t dst_len;
  CHECK(napi_get_value_string_utf8(env, argv[0], host, sizeof host, &host_len));
  CHECK(napi_get_value_int32(env, argv[1], &port));
  CHECK(napi_get_value_bool(env, argv[2], &v6sock));
  if (!get_bytes(env, argv[3], &dst, &dst_len) || dst_len < SOCKADDR_BYTES) {
    napi_throw_type_error(env, "ERR_WIREMESH_NATIVE", "sockaddr: out must be a Uint8Array of 28 bytes");
    return NULL;
  }
  memset(dst, 0, SOCKADDR_BYTES);
  bool ok = false;
  struct in_addr v4;
  struct in6_addr v6;
  if (port >= 0 && port <= 65535) {
    if (inet_pton(AF_INET, host, &v4) == 1) {
      if (v6sock) {
        struct sockaddr_in6 a;
        memset(&a, 0, sizeof a);
        a.sin6_family = AF_INET6;
        a.sin6_port = htons((uint16_t)port);
        a.sin6_addr.s6_addr[10] = 0xff;
        a.sin6_addr.s6_addr[11] = 0xff;
        memcpy(&a.sin6_addr.s6_addr[12], &v4, 4);
        memcpy(dst, &a, sizeof a);
      } else {
        struct sockaddr_in a;
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_port = htons((uint16_t)port);
        a.sin_addr = v4;
        memcpy(dst, &a, sizeof a);
      }
      ok = true;
    } else if (v6sock && inet_pton(AF_INET6, host, &v6) == 1) {
      struct sockaddr_in6 a;
      memset(&a, 0, sizeof a);
      a.sin6_family = AF_INET6;
      a.sin6_port = htons((uint16_t)port);
      a.sin6_addr = v6;
      memcpy(dst, &a, sizeof a);
      ok = true;
    }
  }
  CHECK(napi_get_boolean(env, ok, &out));
  return out;
}

/* formatIPv6(meta: Int32Array, index) -> string (inet_ntop of the 16 address bytes of datagram index) */
static napi_value format_ipv6(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t *meta;
  size_t meta_len;
  int32_t index;
  if (!get_i32(env, argv[0], &meta, &meta_len)) {
    napi_throw_type_error(env, "ERR_WIREMESH_NATIVE", "formatIPv6(Int32Array, index)");
    return NULL;
  }
  CHECK(napi_get_value_int32(env, argv[1], &index));
  if (index < 0 || (size_t)(index + 1) * META_INTS > meta_len) {
    napi_throw_range_error(env, "ERR_WIREMESH_NATIVE", "formatIPv6: index out of range");
    return NULL;
  }
  char text[INET6_ADDRSTRLEN];
  if (inet_ntop(AF_INET6, &meta[index * META_INTS + 3], text, sizeof text) == NULL) text[0] = 0;
  CHECK(napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &out));
  return out;
}

/* ---------------------------------------------------------------- AEAD ------------------------------ */

/*
 * RFC 8439 ChaCha20-Poly1305 with an empty AAD (spec 4.4), built from OpenSSL's ChaCha20_ctr32 and
 * Poly1305 routines (the assembly behind its EVP cipher, with AVX-512/AVX2 code paths). Going through EVP
 * costs about 0.4 us of provider dispatch per packet, which ate most of the gain on 1232-byte packets.
 * The routines are resolved with dlsym at load time; without them the EVP cipher is used. Either way the
 * loader's self-test compares the output with libsodium before the addon is trusted.
 */
#include <dlfcn.h>

typedef void (*chacha_fn)(unsigned char *out, const unsigned char *inp, size_t len, const unsigned int key[8],
                          const unsigned int counter[4]);
typedef void (*poly_init_fn)(void *ctx, const unsigned char key[32]);
typedef void (*poly_update_fn)(void *ctx, const unsigned char *inp, size_t len);
typedef void (*poly_final_fn)(void *ctx, unsigned char mac[16]);
typedef size_t (*poly_size_fn)(void);

static chacha_fn chacha20_ctr32;
static poly_init_fn poly1305_init;
static poly_update_fn poly1305_update;
static poly_final_fn poly1305_final;
#define POLY_CTX_BYTES 512
static int direct_aead;
static size_t poly_ctx_bytes;

static void resolve_direct_aead(void) {
  chacha20_ctr32 = (chacha_fn)dlsym(RTLD_DEFAULT, "ChaCha20_ctr32");
  poly1305_init = (poly_init_fn)dlsym(RTLD_DEFAULT, "Poly1305_Init");
  poly1305_update = (poly_update_fn)dlsym(RTLD_DEFAULT, "Poly1305_Update");
  poly1305_final = (poly_final_fn)dlsym(RTLD_DEFAULT, "Poly1305_Final");
  poly_size_fn size = (poly_size_fn)dlsym(RTLD_DEFAULT, "Poly1305_ctx_size");
  poly_ctx_bytes = size ? size() : 0;
  direct_aead = chacha20_ctr32 && poly1305_init && poly1305_update && poly1305_final && size && poly_ctx_bytes <= POLY_CTX_BYTES;
}

typedef struct {
  EVP_CIPHER_CTX *enc;
  EVP_CIPHER_CTX *dec;
  unsigned int key_words[8];
  uint8_t key[32];
} aead_key;

static void finalize_aead(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  aead_key *k = (aead_key *)data;
  if (k->enc) EVP_CIPHER_CTX_free(k->enc);
  if (k->dec) EVP_CIPHER_CTX_free(k->dec);
  OPENSSL_cleanse(k, sizeof *k);
  free(k);
}

/* aeadKey(key: Uint8Array(32)) -> object holding the key (and, without the direct routines, EVP contexts) */
static napi_value aead_new(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], obj;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *key;
  size_t key_len;
  if (!get_bytes(env, argv[0], &key, &key_len) || key_len != 32) {
    napi_throw_type_error(env, "ERR_WIREMESH_NATIVE", "aeadKey needs a 32-byte Uint8Array");
    return NULL;
  }
  aead_key *k = (aead_key *)calloc(1, sizeof(aead_key));
  if (k == NULL) return throw_errno(env, "calloc", ENOMEM);
  memcpy(k->key, key, 32);
  for (int i = 0; i < 8; i++)
    k->key_words[i] = (unsigned)key[4 * i] | ((unsigned)key[4 * i + 1] << 8) | ((unsigned)key[4 * i + 2] << 16) |
                      ((unsigned)key[4 * i + 3] << 24);
  if (!direct_aead) {
    k->enc = EVP_CIPHER_CTX_new();
    k->dec = EVP_CIPHER_CTX_new();
    if (k->enc == NULL || k->dec == NULL || EVP_CipherInit_ex(k->enc, EVP_chacha20_poly1305(), NULL, k->key, NULL, 1) != 1 ||
        EVP_CipherInit_ex(k->dec, EVP_chacha20_poly1305(), NULL, k->key, NULL, 0) != 1) {
      finalize_aead(env, k, NULL);
      napi_throw_error(env, "ERR_WIREMESH_NATIVE", "OpenSSL ChaCha20-Poly1305 is not available");
      return NULL;
    }
  }
  CHECK(napi_create_object(env, &obj));
  CHECK(napi_wrap(env, obj, k, finalize_aead, NULL, NULL));
  return obj;
}

/* aeadDestroy(keyObject): wipes the key and frees it now (not at garbage collection). */
static napi_value aead_destroy(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *p = NULL;
  if (napi_remove_wrap(env, argv[0], &p) == napi_ok && p != NULL) finalize_aead(env, p, NULL);
  return NULL;
}

static void nonce_for(uint8_t nonce[12], double counter) {
  /* spec 2.3: 4 zero bytes || counter as uint64 little-endian; the caller checked 0 <= counter < 2^53. */
  uint64_t c = (uint64_t)counter;
  memset(nonce, 0, 4);
  for (int i = 0; i < 8; i++) nonce[4 + i] = (uint8_t)(c >> (8 * i));
}

static const uint8_t ZERO16[16];

/* RFC 8439 2.8 with empty AAD: the Poly1305 tag over ciphertext || pad || le64(0) || le64(len). */
static void direct_tag(const aead_key *k, uint64_t counter, const uint8_t *cipher, size_t len, uint8_t tag[16]) {
  _Alignas(64) uint8_t poly[POLY_CTX_BYTES];
  uint8_t block0[64];
  unsigned int ctr[4] = {0, 0, (unsigned)(counter & 0xffffffffu), (unsigned)(counter >> 32)};
  memset(block0, 0, sizeof block0);
  chacha20_ctr32(block0, block0, 64, k->key_words, ctr);
  poly1305_init(poly, block0);
  poly1305_update(poly, cipher, len);
  if (len % 16) poly1305_update(poly, ZERO16, 16 - len % 16);
  uint8_t lens[16] = {0};
  for (int i = 0; i < 8; i++) lens[8 + i] = (uint8_t)((uint64_t)len >> (8 * i));
  poly1305_update(poly, lens, 16);
  poly1305_final(poly, tag);
  OPENSSL_cleanse(block0, 32); /* the one-time Poly1305 key; the rest of the block is unused keystream */
  OPENSSL_cleanse(poly, poly_ctx_bytes);
}

static void direct_xor(const aead_key *k, uint64_t counter, uint8_t *data, size_t len) {
  unsigned int ctr[4] = {1, 0, (unsigned)(counter & 0xffffffffu), (unsigned)(counter >> 32)};
  if (len > 0) chacha20_ctr32(data, data, len, k->key_words, ctr);
}

/* Reads (key, counter, buf, offset, length) and checks that buf holds length + extra bytes at offset. */
static int region(napi_env env, napi_callback_info info, size_t extra, aead_key **k, double *counter, uint8_t **data,
                  int32_t *length) {
  size_t argc = 5;
  napi_value argv[5];
  void *p = NULL;
  uint8_t *buf;
  size_t buf_len;
  int32_t offset;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5) return 0;
  if (napi_unwrap(env, argv[0], &p) != napi_ok || p == NULL || !get_bytes(env, argv[2], &buf, &buf_len)) return 0;
  if (napi_get_value_double(env, argv[1], counter) != napi_ok || napi_get_value_int32(env, argv[3], &offset) != napi_ok ||
      napi_get_value_int32(env, argv[4], length) != napi_ok)
    return 0;
  if (offset < 0 || *length < 0 || (size_t)offset + (size_t)*length + extra > buf_len) return 0;
  *k = (aead_key *)p;
  *data = buf + offset;
  return 1;
}

/*
 * aeadSeal(key, counter, buf, offset, length): encrypts buf[offset, offset+length) in place and writes the
 * 16-byte tag after it. Returns true; throws on a bad region (the TypeScript caller checked it already).
 */
static napi_value aead_seal(napi_env env, napi_callback_info info) {
  aead_key *k;
  double counter;
  uint8_t *data;
  int32_t length;
  napi_value out;
  if (!region(env, info, 16, &k, &counter, &data, &length)) {
    napi_throw_range_error(env, "ERR_WIREMESH_NATIVE", "aeadSeal: bad arguments or region");
    return NULL;
  }
  int ok = 1;
  if (direct_aead) {
    uint64_t c = (uint64_t)counter;
    direct_xor(k, c, data, (size_t)length);
    direct_tag(k, c, data, (size_t)length, data + length);
  } else {
    uint8_t nonce[12];
    int outl = 0;
    nonce_for(nonce, counter);
    ok &= EVP_CipherInit_ex(k->enc, NULL, NULL, NULL, nonce, 1) == 1;
    if (length > 0) ok &= EVP_CipherUpdate(k->enc, data, &outl, data, length) == 1;
    ok &= EVP_CipherFinal_ex(k->enc, data + length, &outl) == 1;
    ok &= EVP_CIPHER_CTX_ctrl(k->enc, EVP_CTRL_AEAD_GET_TAG, 16, data + length) == 1;
  }
  CHECK(napi_get_boolean(env, ok, &out));
  return out;
}

/*
 * aeadOpen(key, counter, buf, offset, length): `length` bytes of ciphertext + tag at offset; authenticates,
 * then decrypts in place and returns the plaintext length, or -1 when the tag does not match (the region
 * is then zeroed, as libsodium does, so no unauthenticated bytes stay readable).
 */
static napi_value aead_open(napi_env env, napi_callback_info info) {
  aead_key *k;
  double counter;
  uint8_t *data;
  int32_t length;
  napi_value out;
  int32_t result = -1;
  if (region(env, info, 0, &k, &counter, &data, &length) && length >= 16) {
    int32_t plain = length - 16;
    if (direct_aead) {
      uint64_t c = (uint64_t)counter;
      uint8_t tag[16];
      direct_tag(k, c, data, (size_t)plain, tag);
      if (CRYPTO_memcmp(tag, data + plain, 16) == 0) {
        direct_xor(k, c, data, (size_t)plain);
        result = plain;
      } else {
        OPENSSL_cleanse(data, (size_t)plain);
      }
    } else {
      uint8_t nonce[12];
      int outl = 0, ok = 1;
      nonce_for(nonce, counter);
      ok &= EVP_CipherInit_ex(k->dec, NULL, NULL, NULL, nonce, 0) == 1;
      ok &= EVP_CIPHER_CTX_ctrl(k->dec, EVP_CTRL_AEAD_SET_TAG, 16, data + plain) == 1;
      if (plain > 0) ok &= EVP_CipherUpdate(k->dec, data, &outl, data, plain) == 1;
      ok &= EVP_CipherFinal_ex(k->dec, data + plain, &outl) == 1;
      if (ok) result = plain;
      else OPENSSL_cleanse(data, (size_t)plain);
    }
  }
  CHECK(napi_create_int32(env, result, &out));
  return out;
}

/* aeadImplementation() -> "openssl-direct" | "openssl-evp" (for the benchmark report) */
static napi_value aead_impl(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  CHECK(napi_create_string_utf8(env, direct_aead ? "openssl-direct" : "openssl-evp", NAPI_AUTO_LENGTH, &out));
  return out;
}

/* ---------------------------------------------------------------- X25519 ---------------------------- */

/*
 * X25519 through OpenSSL's ossl_x25519 (its mulx/adx assembly ladder): about half the time of the
 * libsodium build sodium-native ships here (measured 28 us against 57 us on the benchmark machine), and a
 * Noise IK handshake runs three of them per side. It clamps the scalar itself and returns 0 for an all-zero
 * result, which is exactly when the peer's point has small order (RFC 7748 section 6.1); libsodium refuses
 * the same points. Resolved with dlsym: without it, x25519 reports unavailable and sodium-native is used.
 */
typedef int (*x25519_fn)(uint8_t out[32], const uint8_t priv[32], const uint8_t pub[32]);
static x25519_fn ossl_x25519_fn;

/* x25519(out: Uint8Array(32), privateKey: Uint8Array(32), publicKey: Uint8Array(32)) -> boolean (false: all zero) */
static napi_value x25519(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *o, *k, *p;
  size_t ol, kl, pl;
  if (ossl_x25519_fn == NULL || argc < 3 || !get_bytes(env, argv[0], &o, &ol) || !get_bytes(env, argv[1], &k, &kl) ||
      !get_bytes(env, argv[2], &p, &pl) || ol != 32 || kl != 32 || pl != 32) {
    napi_throw_type_error(env, "ERR_WIREMESH_NATIVE", "x25519(out, privateKey, publicKey): three 32-byte Uint8Arrays");
    return NULL;
  }
  int ok = ossl_x25519_fn(o, k, p);
  CHECK(napi_get_boolean(env, ok == 1, &out));
  return out;
}

/* hasX25519() -> boolean */
static napi_value has_x25519(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  CHECK(napi_get_boolean(env, ossl_x25519_fn != NULL, &out));
  return out;
}

/* ---------------------------------------------------------------- module ---------------------------- */

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, udp_open, NULL, NULL, NULL, napi_default, NULL},
      {"localPort", NULL, udp_local_port, NULL, NULL, NULL, napi_default, NULL},
      {"bufferSizes", NULL, udp_buffer_sizes, NULL, NULL, NULL, napi_default, NULL},
      {"recvStart", NULL, udp_recv_start, NULL, NULL, NULL, napi_default, NULL},
      {"setArena", NULL, udp_set_arena, NULL, NULL, NULL, napi_default, NULL},
      {"sendBatch", NULL, udp_send_batch, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, udp_close, NULL, NULL, NULL, napi_default, NULL},
      {"sockaddr", NULL, make_sockaddr, NULL, NULL, NULL, napi_default, NULL},
      {"formatIPv6", NULL, format_ipv6, NULL, NULL, NULL, napi_default, NULL},
      {"aeadKey", NULL, aead_new, NULL, NULL, NULL, napi_default, NULL},
      {"aeadDestroy", NULL, aead_destroy, NULL, NULL, NULL, napi_default, NULL},
      {"aeadSeal", NULL, aead_seal, NULL, NULL, NULL, napi_default, NULL},
      {"aeadOpen", NULL, aead_open, NULL, NULL, NULL, napi_default, NULL},
      {"aeadImplementation", NULL, aead_impl, NULL, NULL, NULL, napi_default, NULL},
      {"x25519", NULL, x25519, NULL, NULL, NULL, napi_default, NULL},
      {"hasX25519", NULL, has_x25519, NULL, NULL, NULL, napi_default, NULL},
  };
  resolve_direct_aead();
  ossl_x25519_fn = (x25519_fn)dlsym(RTLD_DEFAULT, "ossl_x25519");
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
