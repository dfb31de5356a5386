/*
 * berth-agent: the guest side of the channel the engine drives the guest with.
 *
 * It reads frames (protocol.h) from the virtio console, spawns processes in
 * the namespaces, rootfs and cgroup the host asks for, streams their output
 * back as frames, and does small file work. One process, one poll loop; no
 * threads. Built static for i686 by wasm/build.sh.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <termios.h>
#include <unistd.h>

#include "protocol.h"

#define MAX_PROCS 256
#define READ_CHUNK 16384

extern char **environ;

/* ---------- the channel ---------- */

static int chan = -1;

static void die(const char *what) {
  fprintf(stderr, "berth-agent: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void write_all(int fd, const void *buf, size_t len) {
  const uint8_t *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        poll(&pfd, 1, -1);
        continue;
      }
      die("write to channel");
    }
    p += n;
    len -= (size_t)n;
  }
}

static void put_u16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put_u32(uint8_t *p, uint32_t v) { p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24; }
static void put_u64(uint8_t *p, uint64_t v) { put_u32(p, (uint32_t)v); put_u32(p + 4, (uint32_t)(v >> 32)); }
static uint16_t get_u16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get_u32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* Sends one frame; header and payload go out in one write where they fit. */
static void send_frame2(uint8_t type, uint32_t id, const void *a, size_t alen, const void *b, size_t blen) {
  static uint8_t buf[FRAME_HEADER + READ_CHUNK + 64];
  size_t total = FRAME_HEADER + alen + blen;
  uint8_t hdr[FRAME_HEADER];
  put_u32(hdr, (uint32_t)(total - 4));
  hdr[4] = type;
  hdr[5] = 0;
  put_u16(hdr + 6, 0);
  put_u32(hdr + 8, id);
  if (total <= sizeof buf) {
    memcpy(buf, hdr, FRAME_HEADER);
    if (alen) memcpy(buf + FRAME_HEADER, a, alen);
    if (blen) memcpy(buf + FRAME_HEADER + alen, b, blen);
    write_all(chan, buf, total);
  } else {
    write_all(chan, hdr, FRAME_HEADER);
    if (alen) write_all(chan, a, alen);
    if (blen) write_all(chan, b, blen);
  }
}

static void send_frame(uint8_t type, uint32_t id, const void *payload, size_t len) {
  send_frame2(type, id, payload, len, NULL, 0);
}

static void send_error(uint32_t id, int err, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  uint8_t e[4];
  put_u32(e, (uint32_t)err);
  send_frame2(MSG_ERROR, id, e, 4, msg, strlen(msg));
}

/* ---------- processes ---------- */

struct proc {
  int used;
  uint32_t id;      /* host's id */
  pid_t pid;
  int out_fd;       /* stdout pipe, or the pty master */
  int err_fd;       /* stderr pipe, -1 with a tty */
  int in_fd;        /* stdin pipe, or the pty master (dup), -1 when closed */
  int tty;
  int exited;
  int status;
  uint8_t *pending; /* stdin bytes not yet written */
  size_t pending_len;
  int close_in_after_pending;
  int gate_fd;      /* SP_PAUSED: writing here lets the child exec */
  int status_fd;    /* SP_PAUSED: the child's exec failure, if any */
};

static struct proc procs[MAX_PROCS];

static struct proc *proc_by_id(uint32_t id) {
  for (int i = 0; i < MAX_PROCS; i++)
    if (procs[i].used && procs[i].id == id) return &procs[i];
  return NULL;
}

static void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

/* A spawn request, parsed. Pointers point into the frame buffer. */
struct spec {
  char *argv[256];
  int argc;
  char *envp[512];
  int envc;
  char *cwd, *rootfs, *hostname, *cgroup;
  uid_t uid;
  gid_t gid;
  gid_t groups[64];
  int ngroups;
  int tty;
  uint16_t rows, cols;
  uint32_t ns;
  int keep_stdin;
  int rootfs_ro;
  int paused;
  pid_t join;
  struct { int phase; uint32_t flags; char *src, *dst, *type, *data; } mounts[64];
  int nmounts;
  struct { uint32_t mode, major, minor; char *path; } devices[16];
  int ndevices;
};

/* Returns NULL on success, or the reason the spec is malformed. */
static const char *parse_spec(uint8_t *p, size_t len, struct spec *s) {
  memset(s, 0, sizeof *s);
  size_t off = 0;
  while (off + 5 <= len) {
    uint8_t tag = p[off];
    uint32_t n = get_u32(p + off + 1);
    off += 5;
    if (n > len - off) return "truncated field";
    uint8_t *v = p + off;
    /* Fields are strings unless said otherwise; terminate them in place by
       moving the next tag byte aside is not possible, so copy. */
    char *str = NULL;
    if (tag != SP_UID && tag != SP_GID && tag != SP_TTY && tag != SP_NS && tag != SP_GROUPS && tag != SP_MOUNT && tag != SP_STDIN && tag != SP_ROOTFS_RO && tag != SP_PAUSED && tag != SP_JOIN && tag != SP_DEVICE) {
      str = malloc(n + 1);
      memcpy(str, v, n);
      str[n] = 0;
    }
    switch (tag) {
      case SP_ARG: if (s->argc >= 255) return "too many arguments"; s->argv[s->argc++] = str; break;
      case SP_ENV: if (s->envc >= 511) return "too many environment variables"; s->envp[s->envc++] = str; break;
      case SP_CWD: s->cwd = str; break;
      case SP_ROOTFS: s->rootfs = str; break;
      case SP_HOSTNAME: s->hostname = str; break;
      case SP_CGROUP: s->cgroup = str; break;
      case SP_UID: if (n != 4) return "bad uid"; s->uid = get_u32(v); break;
      case SP_GID: if (n != 4) return "bad gid"; s->gid = get_u32(v); break;
      case SP_TTY: if (n != 4) return "bad tty"; s->tty = 1; s->rows = get_u16(v); s->cols = get_u16(v + 2); break;
      case SP_NS: if (n != 4) return "bad namespaces"; s->ns = get_u32(v); break;
      case SP_STDIN: s->keep_stdin = n > 0 && v[0]; break;
      case SP_ROOTFS_RO: s->rootfs_ro = n > 0 && v[0]; break;
      case SP_PAUSED: s->paused = n > 0 && v[0]; break;
      case SP_JOIN: if (n != 4) return "bad join"; s->join = (pid_t)get_u32(v); break;
      case SP_GROUPS:
        for (uint32_t i = 0; i + 4 <= n && s->ngroups < 64; i += 4) s->groups[s->ngroups++] = get_u32(v + i);
        break;
      case SP_MOUNT: {
        if (n < 5 || s->nmounts >= 64) return "bad mount";
        char *m = malloc(n - 5 + 1);
        memcpy(m, v + 5, n - 5);
        m[n - 5] = 0;
        char *end = m + (n - 5);
        int k = s->nmounts++;
        s->mounts[k].phase = v[0];
        s->mounts[k].flags = get_u32(v + 1);
        char *parts[4] = {0};
        char *q = m;
        for (int i = 0; i < 4; i++) {
          if (q > end) return "bad mount";
          parts[i] = q;
          q += strlen(q) + 1;
        }
        s->mounts[k].src = parts[0];
        s->mounts[k].dst = parts[1];
        s->mounts[k].type = parts[2];
        s->mounts[k].data = parts[3];
        break;
      }
      case SP_DEVICE: {
        if (n < 13 || s->ndevices >= 16) return "bad device";
        int k = s->ndevices++;
        s->devices[k].mode = get_u32(v);
        s->devices[k].major = get_u32(v + 4);
        s->devices[k].minor = get_u32(v + 8);
        s->devices[k].path = malloc(n - 12 + 1);
        memcpy(s->devices[k].path, v + 12, n - 12);
        s->devices[k].path[n - 12] = 0;
        if (!S_ISCHR(s->devices[k].mode) && !S_ISBLK(s->devices[k].mode)) return "bad device";
        break;
      }
      default: free(str); return "unknown field";
    }
    off += n;
  }
  if (off != len) return "trailing bytes";
  if (s->argc == 0) return "no command";
  return NULL;
}

/* ---------- network: netlink and ioctls ----------
   Container endpoints are made here rather than with busybox ip: every
   process costs tens of milliseconds in the emulator. musl has no Linux
   uapi headers, so the few rtnetlink numbers (a stable ABI) are here. */

#define NL_RTM_NEWLINK 16
#define NL_RTM_DELLINK 17
#define NL_NLMSG_ERROR 2
#define NL_F_REQUEST 0x01
#define NL_F_ACK 0x04
#define NL_F_EXCL 0x200
#define NL_F_CREATE 0x400
#define NL_IFLA_ADDRESS 1
#define NL_IFLA_IFNAME 3
#define NL_IFLA_MASTER 10
#define NL_IFLA_LINKINFO 18
#define NL_IFLA_NET_NS_PID 19
#define NL_IFLA_INFO_KIND 1
#define NL_IFLA_INFO_DATA 2
#define NL_VETH_INFO_PEER 1
#define NL_HDR 16     /* struct nlmsghdr */
#define NL_IFINFO 16  /* struct ifinfomsg */

struct nlmsg {
  uint8_t data[512];
  size_t len;
};

static void nl_align(struct nlmsg *m) { while (m->len & 3) m->data[m->len++] = 0; }

/* An ifinfomsg (family 0, index, flags, change): at the start of a message or inside VETH_INFO_PEER. */
static void nl_ifinfo(struct nlmsg *m, int32_t index, uint32_t flags, uint32_t change) {
  uint8_t *p = m->data + m->len;
  memset(p, 0, NL_IFINFO);
  put_u32(p + 4, (uint32_t)index);
  put_u32(p + 8, flags);
  put_u32(p + 12, change);
  m->len += NL_IFINFO;
}

/* Starts an attribute; returns its offset for nl_end (nested ones). */
static size_t nl_attr(struct nlmsg *m, uint16_t type, const void *v, size_t n) {
  nl_align(m);
  size_t at = m->len;
  put_u16(m->data + at, (uint16_t)(4 + n));
  put_u16(m->data + at + 2, type);
  if (n) memcpy(m->data + at + 4, v, n);
  m->len += 4 + n;
  return at;
}

static void nl_end(struct nlmsg *m, size_t at) { put_u16(m->data + at, (uint16_t)(m->len - at)); }

static void nl_begin(struct nlmsg *m, uint16_t type, uint16_t flags) {
  memset(m->data, 0, NL_HDR);
  put_u16(m->data + 4, type);
  put_u16(m->data + 6, (uint16_t)(flags | NL_F_REQUEST | NL_F_ACK));
  m->len = NL_HDR;
}

/* Sends a request and waits for its ACK. Returns 0 or -errno. */
static int nl_talk(struct nlmsg *m) {
  static int fd = -1;
  static uint32_t seq;
  if (fd < 0) {
    fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0 /* NETLINK_ROUTE */);
    if (fd < 0) return -errno;
  }
  nl_align(m);
  put_u32(m->data, (uint32_t)m->len);
  put_u32(m->data + 8, ++seq);
  struct sockaddr_storage kernel;
  memset(&kernel, 0, sizeof kernel);
  kernel.ss_family = AF_NETLINK;
  if (sendto(fd, m->data, m->len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) return -errno;
  uint8_t buf[1024];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    for (size_t off = 0; off + NL_HDR <= (size_t)n;) {
      uint32_t mlen = get_u32(buf + off);
      if (mlen < NL_HDR || off + mlen > (size_t)n) break;
      if (get_u16(buf + off + 4) == NL_NLMSG_ERROR && get_u32(buf + off + 8) == seq && mlen >= NL_HDR + 4)
        return (int32_t)get_u32(buf + off + NL_HDR);
      off += (mlen + 3) & ~3u;
    }
  }
}

/* Deletes a link by name; one that does not exist is not an error. */
static int net_link_del(const char *name) {
  unsigned idx = if_nametoindex(name);
  if (!idx) return 0;
  struct nlmsg m;
  nl_begin(&m, NL_RTM_DELLINK, 0);
  nl_ifinfo(&m, (int32_t)idx, 0, 0);
  int r = nl_talk(&m);
  return r == -ENODEV ? 0 : r;
}

static void sin_at(struct sockaddr *sa, uint32_t addr_be) {
  struct sockaddr_in *in = (struct sockaddr_in *)sa;
  memset(in, 0, sizeof *in);
  in->sin_family = AF_INET;
  in->sin_addr.s_addr = addr_be;
}

static uint32_t mask_be(int prefix) { return htonl(prefix == 0 ? 0 : 0xffffffffu << (32 - prefix)); }

/* Gives an interface its IPv4 address and brings it up, through a socket of
   the namespace it lives in. Returns 0, or -1 with errno and *step set. */
static int if_configure(int sock, const char *name, uint32_t ip_be, int prefix, const char **step) {
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  *step = "set address";
  sin_at(&ifr.ifr_addr, ip_be);
  if (ioctl(sock, SIOCSIFADDR, &ifr) < 0) return -1;
  *step = "set netmask";
  sin_at(&ifr.ifr_netmask, mask_be(prefix));
  if (ioctl(sock, SIOCSIFNETMASK, &ifr) < 0) return -1;
  *step = "bring up";
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) return -1;
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) return -1;
  return 0;
}

/* FOP_BRIDGE: a bridge with its (gateway) address, up; nothing if it exists. */
static void net_bridge(uint32_t id, const char *name, uint32_t ip_be, int prefix) {
  if (if_nametoindex(name)) { send_frame(MSG_RESULT, id, NULL, 0); return; }
  struct nlmsg m;
  nl_begin(&m, NL_RTM_NEWLINK, NL_F_CREATE | NL_F_EXCL);
  nl_ifinfo(&m, 0, IFF_UP, IFF_UP);
  nl_attr(&m, NL_IFLA_IFNAME, name, strlen(name) + 1);
  size_t info = nl_attr(&m, NL_IFLA_LINKINFO, NULL, 0);
  nl_attr(&m, NL_IFLA_INFO_KIND, "bridge", 7);
  nl_end(&m, info);
  int r = nl_talk(&m);
  if (r < 0) { send_error(id, -r, "create bridge %s: %s", name, strerror(-r)); return; }
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const char *step = "socket";
  if (sock < 0 || if_configure(sock, name, ip_be, prefix, &step) < 0) {
    int e = errno;
    if (sock >= 0) close(sock);
    net_link_del(name);
    send_error(id, e, "bridge %s: %s: %s", name, step, strerror(e));
    return;
  }
  close(sock);
  send_frame(MSG_RESULT, id, NULL, 0);
}

/* FOP_VETH: a veth pair, `host` on `bridge` (up) in the agent's namespace,
   the peer made straight in the network namespace of `pid` as `ifname`
   with `mac`, its address and, with a gateway, the default route. */
static void net_veth(uint32_t id, pid_t pid, const char *host, const char *bridge, const char *ifname,
                     const uint8_t mac[6], uint32_t ip_be, int prefix, uint32_t gw_be) {
  unsigned br = if_nametoindex(bridge);
  if (!br) { send_error(id, ENODEV, "veth %s: no bridge %s", host, bridge); return; }
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
  int target = open(path, O_RDONLY | O_CLOEXEC);
  if (target < 0) { send_error(id, errno, "veth %s: open %s: %s", host, path, strerror(errno)); return; }

  struct nlmsg m;
  nl_begin(&m, NL_RTM_NEWLINK, NL_F_CREATE | NL_F_EXCL);
  nl_ifinfo(&m, 0, IFF_UP, IFF_UP);
  nl_attr(&m, NL_IFLA_IFNAME, host, strlen(host) + 1);
  uint32_t master = br;
  nl_attr(&m, NL_IFLA_MASTER, &master, 4);
  size_t info = nl_attr(&m, NL_IFLA_LINKINFO, NULL, 0);
  nl_attr(&m, NL_IFLA_INFO_KIND, "veth", 5);
  size_t data = nl_attr(&m, NL_IFLA_INFO_DATA, NULL, 0);
  size_t peer = nl_attr(&m, NL_VETH_INFO_PEER, NULL, 0);
  nl_ifinfo(&m, 0, 0, 0);
  nl_attr(&m, NL_IFLA_IFNAME, ifname, strlen(ifname) + 1);
  nl_attr(&m, NL_IFLA_ADDRESS, mac, 6);
  uint32_t nspid = (uint32_t)pid;
  nl_attr(&m, NL_IFLA_NET_NS_PID, &nspid, 4);
  nl_end(&m, peer);
  nl_end(&m, data);
  nl_end(&m, info);
  int r = nl_talk(&m);
  if (r < 0) { close(target); send_error(id, -r, "create veth %s: %s", host, strerror(-r)); return; }

  /* A socket made in the container's namespace configures its interfaces;
     the agent goes back to its own namespace at once. */
  int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  int sock = -1, e = 0;
  const char *step = "enter namespace";
  if (self >= 0 && setns(target, CLONE_NEWNET) == 0) {
    sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    e = errno;
    if (setns(self, CLONE_NEWNET) < 0) die("return to the agent's network namespace");
    step = "socket";
  } else {
    e = errno;
  }
  if (self >= 0) close(self);
  close(target);
  if (sock >= 0 && if_configure(sock, ifname, ip_be, prefix, &step) < 0) { e = errno; close(sock); sock = -1; }
  if (sock >= 0 && gw_be) {
    struct rtentry rt;
    memset(&rt, 0, sizeof rt);
    sin_at(&rt.rt_dst, 0);
    sin_at(&rt.rt_genmask, 0);
    sin_at(&rt.rt_gateway, gw_be);
    rt.rt_flags = RTF_UP | RTF_GATEWAY;
    if (ioctl(sock, SIOCADDRT, &rt) < 0) { e = errno; step = "default route"; close(sock); sock = -1; }
  }
  if (sock < 0) {
    net_link_del(host); /* its peer goes with it */
    send_error(id, e, "veth %s: %s %s: %s", host, step, ifname, strerror(e));
    return;
  }
  close(sock);
  send_frame(MSG_RESULT, id, NULL, 0);
}

/* In a new network namespace: bring up lo (as Docker does). */
static int loopback_up(void) {
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  int r = ioctl(sock, SIOCGIFFLAGS, &ifr);
  if (r == 0) {
    ifr.ifr_flags |= IFF_UP;
    r = ioctl(sock, SIOCSIFFLAGS, &ifr);
  }
  close(sock);
  return r;
}

/* In the child: report why we could not exec, then exit 127. */
static void child_fail(int fd, const char *stage, const char *arg) {
  int err = errno;
  char msg[900];
  int n = snprintf(msg + 4, sizeof msg - 4, "%s %s: %s", stage, arg ? arg : "", strerror(err));
  put_u32((uint8_t *)msg, (uint32_t)err);
  if (write(fd, msg, 4 + n) < 0) { /* nothing more to do */ }
  _exit(127);
}

static int write_file(const char *path, const char *s) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = write(fd, s, strlen(s));
  close(fd);
  return n < 0 ? -1 : 0;
}

static void enter_root(int errfd, const char *root, int readonly) {
  /* pivot_root needs the new root to be a mount point: bind it onto itself. */
  if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0) child_fail(errfd, "bind rootfs", root);
  /* Only this mount becomes read-only: /proc, /dev and volumes under it keep their own flags. */
  if (readonly && mount(NULL, root, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0) child_fail(errfd, "read-only rootfs", root);
  if (chdir(root) < 0) child_fail(errfd, "chdir", root);
  if (syscall(SYS_pivot_root, ".", ".") == 0) {
    if (umount2(".", MNT_DETACH) < 0) child_fail(errfd, "detach old root", root);
  } else {
    /* Without a mount namespace of our own, fall back to chroot. */
    if (chroot(".") < 0) child_fail(errfd, "chroot", root);
  }
  if (chdir("/") < 0) child_fail(errfd, "chdir", "/");
}

/* docker exec: enter the namespaces of a running container's init, then fork
   so that the process is inside its pid namespace; this process stays as a
   relay that waits for it and exits the same way. */
static void join_namespaces(int errfd, pid_t target) {
  static const char *names[] = {"ipc", "uts", "net", "pid", "mnt"};
  int fds[5];
  for (int i = 0; i < 5; i++) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)target, names[i]);
    fds[i] = open(path, O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0) child_fail(errfd, "open namespace", path);
  }
  for (int i = 0; i < 5; i++) {
    if (setns(fds[i], 0) < 0) child_fail(errfd, "setns", names[i]);
    close(fds[i]);
  }
  pid_t pid = fork();
  if (pid < 0) child_fail(errfd, "fork", NULL);
  if (pid == 0) return;
  /* The relay: pass on signals (all blocked, taken with sigwaitinfo), then mirror the exit. */
  close(errfd);
  /* Everything blocked, SIGCHLD included (its default action would drop it). */
  sigset_t set;
  sigfillset(&set);
  sigprocmask(SIG_SETMASK, &set, NULL);
  int status;
  for (;;) {
    sigset_t wait;
    sigfillset(&wait);
    sigdelset(&wait, SIGKILL);
    sigdelset(&wait, SIGSTOP);
    siginfo_t si;
    int sig = sigwaitinfo(&wait, &si);
    if (sig == SIGCHLD) {
      if (waitpid(pid, &status, WNOHANG) == pid) break;
    } else if (sig > 0) {
      kill(pid, sig);
    }
  }
  if (WIFSIGNALED(status)) {
    signal(WTERMSIG(status), SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    kill(getpid(), WTERMSIG(status));
  }
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

static void child_setup(struct spec *s, int errfd, int gatefd, int in_fd, int out_fd, int err_fd, int tty_slave) {
  setsid();
  if (s->tty) {
    if (ioctl(tty_slave, TIOCSCTTY, 0) < 0) child_fail(errfd, "set controlling tty", NULL);
    dup2(tty_slave, 0);
    dup2(tty_slave, 1);
    dup2(tty_slave, 2);
    if (tty_slave > 2) close(tty_slave);
  } else {
    dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
  }
  /* Signals the agent blocks must be normal again in the child. */
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
  for (int sig = 1; sig < 32; sig++) signal(sig, SIG_DFL);

  /* The cgroup first: after joining a container's mount namespace, the
     guest's /sys/fs/cgroup is out of sight. */
  if (s->cgroup) {
    char path[512];
    snprintf(path, sizeof path, "%s/cgroup.procs", s->cgroup);
    if (write_file(path, "0") < 0) child_fail(errfd, "join cgroup", s->cgroup);
  }
  if (s->join) {
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, NULL);
    join_namespaces(errfd, s->join);
    sigprocmask(SIG_SETMASK, &all, NULL);
  }
  if ((s->ns & CLONE_NEWUTS) && s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
    child_fail(errfd, "sethostname", s->hostname);
  if (s->ns & CLONE_NEWNS) {
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) child_fail(errfd, "make mounts private", NULL);
  }
  if (s->ns & CLONE_NEWNET) {
    /* Bring up loopback in the new network namespace, as Docker does. */
    if (loopback_up() < 0) child_fail(errfd, "bring up", "lo");
  }
  for (int phase = 0; phase < 2; phase++) {
    if (phase == 1) {
      /* Device nodes, as runc makes them: cheaper than a bind mount each
         (to make, and to tear down with the mount namespace). */
      for (int i = 0; i < s->ndevices; i++) {
        const char *path = s->devices[i].path;
        if (mknod(path, s->devices[i].mode, makedev(s->devices[i].major, s->devices[i].minor)) < 0 && errno != EEXIST)
          child_fail(errfd, "mknod", path);
        if (chmod(path, s->devices[i].mode & 07777) < 0) child_fail(errfd, "chmod", path);
      }
    }
    if (phase == 1 && s->rootfs) enter_root(errfd, s->rootfs, s->rootfs_ro);
    for (int i = 0; i < s->nmounts; i++) {
      if (s->mounts[i].phase != phase) continue;
      const char *dst = s->mounts[i].dst;
      /* A missing mount point is created: a file for a bind mount of a file. */
      struct stat sst;
      if ((s->mounts[i].flags & MS_BIND) && s->mounts[i].src[0] && stat(s->mounts[i].src, &sst) == 0 && !S_ISDIR(sst.st_mode)) {
        int fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0) close(fd);
      } else {
        mkdir(dst, 0755);
      }
      const char *data = s->mounts[i].data[0] ? s->mounts[i].data : NULL;
      const char *src = s->mounts[i].src[0] ? s->mounts[i].src : NULL;
      const char *type = s->mounts[i].type[0] ? s->mounts[i].type : NULL;
      uint32_t flags = s->mounts[i].flags;
      if (mount(src, dst, type, flags & ~MS_RDONLY, data) < 0) child_fail(errfd, "mount", dst);
      if ((flags & MS_RDONLY) && (flags & MS_BIND) &&
          mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
        child_fail(errfd, "remount read-only", dst);
      else if ((flags & MS_RDONLY) && !(flags & MS_BIND) &&
               mount(NULL, dst, NULL, MS_REMOUNT | MS_RDONLY, data) < 0)
        child_fail(errfd, "remount read-only", dst);
    }
  }
  if (setgroups((size_t)s->ngroups, s->groups) < 0) child_fail(errfd, "setgroups", NULL);
  if (setgid(s->gid) < 0) child_fail(errfd, "setgid", NULL);
  if (setuid(s->uid) < 0) child_fail(errfd, "setuid", NULL);
  if (s->cwd && chdir(s->cwd) < 0) child_fail(errfd, "chdir", s->cwd);
  s->envp[s->envc] = NULL;
  s->argv[s->argc] = NULL;
  if (s->paused) {
    /* Tell the agent we are ready, then wait for the go (the host sets up
       the network of the new namespace meanwhile). */
    char p = 'P';
    if (write(errfd, &p, 1) != 1) _exit(127);
    char go;
    if (read(gatefd, &go, 1) != 1) _exit(127);
    close(gatefd);
  }
  environ = s->envp;
  execvp(s->argv[0], s->argv);
  child_fail(errfd, "exec", s->argv[0]);
}

static void do_spawn(uint32_t id, uint8_t *payload, size_t len) {
  if (proc_by_id(id)) { send_error(id, EEXIST, "process id %u is in use", id); return; }
  struct proc *pr = NULL;
  for (int i = 0; i < MAX_PROCS; i++) if (!procs[i].used) { pr = &procs[i]; break; }
  if (!pr) { send_error(id, EAGAIN, "too many processes"); return; }

  struct spec s;
  const char *bad = parse_spec(payload, len, &s);
  if (bad) { send_error(id, EINVAL, "bad spawn request: %s", bad); return; }

  int status_pipe[2];
  if (pipe2(status_pipe, O_CLOEXEC) < 0) { send_error(id, errno, "pipe: %s", strerror(errno)); return; }
  int gate_pipe[2] = {-1, -1};
  if (s.paused && pipe2(gate_pipe, O_CLOEXEC) < 0) { send_error(id, errno, "pipe: %s", strerror(errno)); close(status_pipe[0]); close(status_pipe[1]); return; }
  int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  int master = -1, slave = -1;
  if (s.tty) {
    master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) { send_error(id, errno, "open pty: %s", strerror(errno)); return; }
    struct winsize ws = {.ws_row = s.rows ? s.rows : 24, .ws_col = s.cols ? s.cols : 80};
    ioctl(master, TIOCSWINSZ, &ws);
    slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    if (slave < 0) { send_error(id, errno, "open pty slave: %s", strerror(errno)); close(master); return; }
  } else {
    if (s.keep_stdin) { if (pipe2(in_pipe, O_CLOEXEC) < 0) goto pipe_fail; }
    else { in_pipe[0] = open("/dev/null", O_RDONLY | O_CLOEXEC); }
    if (pipe2(out_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0) goto pipe_fail;
  }

  /* clone with a NULL stack behaves like fork, and puts the child straight
     into the new namespaces (it is pid 1 of a new pid namespace). */
  pid_t pid = (pid_t)syscall(SYS_clone, (unsigned long)(s.ns | SIGCHLD), NULL, NULL, NULL, NULL);
  if (pid < 0) {
    send_error(id, errno, "clone: %s", strerror(errno));
    goto cleanup;
  }
  if (pid == 0) {
    close(status_pipe[0]);
    if (gate_pipe[1] >= 0) close(gate_pipe[1]);
    child_setup(&s, status_pipe[1], gate_pipe[0], in_pipe[0], out_pipe[1], err_pipe[1], slave);
  }
  close(status_pipe[1]);
  status_pipe[1] = -1;
  if (gate_pipe[0] >= 0) { close(gate_pipe[0]); gate_pipe[0] = -1; }
  /* The child writes why it failed, or nothing: exec closes the pipe. A
     paused child writes 'P' once it waits for MSG_RESUME. */
  uint8_t msg[1024];
  ssize_t n;
  size_t got = 0;
  while ((n = read(status_pipe[0], msg + got, sizeof msg - 1 - got)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) got += (size_t)n;
    if (s.paused && got == 1 && msg[0] == 'P') break;
  }
  int paused_ok = s.paused && got == 1 && msg[0] == 'P';
  if (!paused_ok) {
    close(status_pipe[0]);
    status_pipe[0] = -1;
  }
  if (!paused_ok && got >= 4) {
    msg[got] = 0;
    int status;
    waitpid(pid, &status, 0);
    send_error(id, (int)get_u32(msg), "%s", (char *)msg + 4);
    goto cleanup;
  }

  memset(pr, 0, sizeof *pr);
  pr->used = 1;
  pr->id = id;
  pr->pid = pid;
  pr->tty = s.tty;
  pr->gate_fd = -1;
  pr->status_fd = -1;
  if (paused_ok) {
    pr->gate_fd = gate_pipe[1];
    gate_pipe[1] = -1;
    pr->status_fd = status_pipe[0];
    status_pipe[0] = -1;
    set_nonblock(pr->status_fd);
  }
  if (s.tty) {
    close(slave);
    pr->out_fd = master;
    pr->in_fd = dup(master);
    pr->err_fd = -1;
  } else {
    close(in_pipe[0]);
    close(out_pipe[1]);
    close(err_pipe[1]);
    pr->in_fd = in_pipe[1];
    pr->out_fd = out_pipe[0];
    pr->err_fd = err_pipe[0];
  }
  if (pr->in_fd >= 0) set_nonblock(pr->in_fd);
  set_nonblock(pr->out_fd);
  if (pr->err_fd >= 0) set_nonblock(pr->err_fd);
  uint8_t p[4];
  put_u32(p, (uint32_t)pid);
  send_frame(MSG_SPAWNED, id, p, 4);
  for (int i = 0; i < s.argc; i++) free(s.argv[i]);
  for (int i = 0; i < s.envc; i++) free(s.envp[i]);
  return;

pipe_fail:
  send_error(id, errno, "pipe: %s", strerror(errno));
cleanup:
  for (int i = 0; i < 2; i++) {
    if (in_pipe[i] >= 0) close(in_pipe[i]);
    if (out_pipe[i] >= 0) close(out_pipe[i]);
    if (err_pipe[i] >= 0) close(err_pipe[i]);
    if (status_pipe[i] >= 0) close(status_pipe[i]);
    if (gate_pipe[i] >= 0) close(gate_pipe[i]);
  }
  if (master >= 0) close(master);
  if (slave >= 0) close(slave);
}

/* Reads what a process has written and forwards it. Returns 0 at EOF. */
static int pump(struct proc *pr, int fd, uint8_t type) {
  static uint8_t buf[READ_CHUNK];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) { send_frame(type, pr->id, buf, (size_t)n); continue; }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return 1;
    return 0; /* EOF, or EIO from a pty whose other side closed */
  }
}

static void close_stdin(struct proc *pr) {
  if (pr->in_fd >= 0) {
    if (pr->tty) {
      /* A tty has no "end of input" but the EOF character. */
      char eot = 4;
      if (write(pr->in_fd, &eot, 1) < 0) { /* the process is gone */ }
    }
    close(pr->in_fd);
    pr->in_fd = -1;
  }
  free(pr->pending);
  pr->pending = NULL;
  pr->pending_len = 0;
}

static void flush_stdin(struct proc *pr) {
  while (pr->pending_len > 0 && pr->in_fd >= 0) {
    ssize_t n = write(pr->in_fd, pr->pending, pr->pending_len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return;
      close_stdin(pr); /* EPIPE: the reader is gone */
      return;
    }
    memmove(pr->pending, pr->pending + n, pr->pending_len - (size_t)n);
    pr->pending_len -= (size_t)n;
  }
  if (pr->pending_len == 0 && pr->close_in_after_pending) close_stdin(pr);
}

/* A paused child that failed to exec after MSG_RESUME: say why on stderr. */
static void drain_status(struct proc *pr) {
  uint8_t msg[1024];
  ssize_t n = read(pr->status_fd, msg, sizeof msg - 1);
  if (n >= 4) {
    char line[1100];
    int len = snprintf(line, sizeof line, "berth: %.*s\n", (int)(n - 4), (char *)msg + 4);
    send_frame(MSG_STDERR, pr->id, line, (size_t)len);
  }
}

static void finish(struct proc *pr) {
  /* Everything the process wrote before it exited is already in its pipes. */
  if (pr->out_fd >= 0) { pump(pr, pr->out_fd, MSG_STDOUT); close(pr->out_fd); }
  if (pr->err_fd >= 0) { pump(pr, pr->err_fd, MSG_STDERR); close(pr->err_fd); }
  close_stdin(pr);
  if (pr->status_fd >= 0) { drain_status(pr); close(pr->status_fd); }
  if (pr->gate_fd >= 0) close(pr->gate_fd);
  uint8_t p[8];
  int code = 0, sig = 0;
  if (WIFEXITED(pr->status)) code = WEXITSTATUS(pr->status);
  else if (WIFSIGNALED(pr->status)) { sig = WTERMSIG(pr->status); code = 128 + sig; }
  put_u32(p, (uint32_t)code);
  put_u32(p + 4, (uint32_t)sig);
  send_frame(MSG_EXIT, pr->id, p, 8);
  memset(pr, 0, sizeof *pr);
}

static void reap(void) {
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    for (int i = 0; i < MAX_PROCS; i++) {
      if (procs[i].used && procs[i].pid == pid) {
        procs[i].exited = 1;
        procs[i].status = status;
        finish(&procs[i]);
        break;
      }
    }
  }
}

/* ---------- file operations ---------- */

static int mkdir_p(const char *path, mode_t mode) {
  char tmp[4096];
  if (strlen(path) >= sizeof tmp) { errno = ENAMETOOLONG; return -1; }
  strcpy(tmp, path);
  for (char *p = tmp + 1; *p; p++) {
    if (*p == '/') {
      *p = 0;
      if (mkdir(tmp, mode) < 0 && errno != EEXIST) return -1;
      *p = '/';
    }
  }
  if (mkdir(tmp, mode) < 0 && errno != EEXIST) return -1;
  return 0;
}

static int remove_tree(const char *path) {
  struct stat st;
  if (lstat(path, &st) < 0) return errno == ENOENT ? 0 : -1;
  if (S_ISDIR(st.st_mode)) {
    DIR *d = opendir(path);
    if (!d) return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      char child[4096];
      snprintf(child, sizeof child, "%s/%s", path, e->d_name);
      if (remove_tree(child) < 0) { closedir(d); return -1; }
    }
    closedir(d);
    return rmdir(path);
  }
  return unlink(path);
}

struct strbuf {
  char *data;
  size_t len, cap;
};

static void sb_add(struct strbuf *b, const char *s, size_t n) {
  if (b->len + n > b->cap) {
    b->cap = (b->len + n) * 2 + 256;
    b->data = realloc(b->data, b->cap);
  }
  memcpy(b->data + b->len, s, n);
  b->len += n;
}

/* Appends rel\0 for every directory under root/rel marked opaque by overlayfs. */
static void list_opaque(const char *root, const char *rel, struct strbuf *out) {
  char path[4096];
  snprintf(path, sizeof path, "%s%s%s", root, rel[0] ? "/" : "", rel);
  char v[4];
  ssize_t n = lgetxattr(path, "trusted.overlay.opaque", v, sizeof v);
  if (rel[0] && n == 1 && v[0] == 'y') sb_add(out, rel, strlen(rel) + 1);
  DIR *d = opendir(path);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char child[4096];
    snprintf(child, sizeof child, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
    list_opaque(root, child, out);
  }
  closedir(d);
}

static int copy_file(const char *src, const char *dst) {
  int in = open(src, O_RDONLY | O_CLOEXEC);
  if (in < 0) return -1;
  struct stat st;
  fstat(in, &st);
  int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 07777);
  if (out < 0) { int e = errno; close(in); errno = e; return -1; }
  static uint8_t buf[512 * 1024];
  ssize_t n;
  int rc = 0;
  while ((n = read(in, buf, sizeof buf)) != 0) {
    if (n < 0) { if (errno == EINTR) continue; rc = -1; break; }
    uint8_t *p = buf;
    while (n > 0) {
      ssize_t w = write(out, p, (size_t)n);
      if (w < 0) { if (errno == EINTR) continue; rc = -1; break; }
      p += w;
      n -= w;
    }
    if (rc < 0) break;
  }
  int e = errno;
  close(in);
  if (close(out) < 0 && rc == 0) { rc = -1; e = errno; }
  errno = e;
  return rc;
}

static void do_fileop(uint32_t id, uint8_t *p, size_t len) {
  if (len < 1) { send_error(id, EINVAL, "empty file operation"); return; }
  uint8_t op = p[0];
  p++;
  len--;
  /* Every argument string gets a terminating NUL. */
  char *arg = malloc(len + 1);
  memcpy(arg, p, len);
  arg[len] = 0;
  switch (op) {
    case FOP_MKDIR: {
      if (len < 5) break;
      mode_t mode = get_u32(p);
      int parents = p[4];
      const char *path = arg + 5;
      int rc = parents ? mkdir_p(path, mode) : mkdir(path, mode);
      if (rc < 0) send_error(id, errno, "mkdir %s: %s", path, strerror(errno));
      else send_frame(MSG_RESULT, id, NULL, 0);
      free(arg);
      return;
    }
    case FOP_STAT: {
      struct stat st;
      if (lstat(arg, &st) < 0) { send_error(id, errno, "stat %s: %s", arg, strerror(errno)); free(arg); return; }
      uint8_t r[29];
      r[0] = S_ISDIR(st.st_mode) ? 'd' : S_ISREG(st.st_mode) ? 'f' : S_ISLNK(st.st_mode) ? 'l' : S_ISCHR(st.st_mode) ? 'c' : S_ISBLK(st.st_mode) ? 'b' : S_ISFIFO(st.st_mode) ? 'p' : 's';
      put_u32(r + 1, st.st_mode);
      put_u32(r + 5, st.st_uid);
      put_u32(r + 9, st.st_gid);
      put_u64(r + 13, (uint64_t)st.st_size);
      put_u64(r + 21, (uint64_t)(int64_t)st.st_mtime);
      char target[4096];
      ssize_t tl = 0;
      if (S_ISLNK(st.st_mode)) { tl = readlink(arg, target, sizeof target); if (tl < 0) tl = 0; }
      send_frame2(MSG_RESULT, id, r, sizeof r, target, (size_t)tl);
      free(arg);
      return;
    }
    case FOP_REMOVE: {
      if (len < 1) break;
      const char *path = arg + 1;
      int rc;
      if (p[0]) rc = remove_tree(path);
      else {
        rc = unlink(path);
        if (rc < 0 && (errno == EISDIR || errno == EPERM)) rc = rmdir(path);
      }
      if (rc < 0) send_error(id, errno, "remove %s: %s", path, strerror(errno));
      else send_frame(MSG_RESULT, id, NULL, 0);
      free(arg);
      return;
    }
    case FOP_COPY: {
      const char *src = arg;
      const char *dst = arg + strlen(src) + 1;
      if (dst > arg + len) break;
      if (copy_file(src, dst) < 0) send_error(id, errno, "copy %s to %s: %s", src, dst, strerror(errno));
      else send_frame(MSG_RESULT, id, NULL, 0);
      free(arg);
      return;
    }
    case FOP_WRITE: {
      if (len < 5) break;
      mode_t mode = get_u32(p);
      const char *path = arg + 4;
      size_t plen = strlen(path);
      if (4 + plen + 1 > len) break;
      const uint8_t *data = p + 4 + plen + 1;
      size_t dlen = len - 4 - plen - 1;
      int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
      if (fd < 0) { send_error(id, errno, "open %s: %s", path, strerror(errno)); free(arg); return; }
      int rc = 0;
      while (dlen > 0) {
        ssize_t w = write(fd, data, dlen);
        if (w < 0) { if (errno == EINTR) continue; rc = -1; break; }
        data += w;
        dlen -= (size_t)w;
      }
      int e = errno;
      close(fd);
      if (rc < 0) send_error(id, e, "write %s: %s", path, strerror(e));
      else send_frame(MSG_RESULT, id, NULL, 0);
      free(arg);
      return;
    }
    case FOP_READ: {
      int fd = open(arg, O_RDONLY | O_CLOEXEC);
      if (fd < 0) { send_error(id, errno, "open %s: %s", arg, strerror(errno)); free(arg); return; }
      size_t cap = 65536, used = 0;
      uint8_t *buf = malloc(cap);
      for (;;) {
        if (used == cap) {
          if (cap >= MAX_FRAME - 64) { errno = EFBIG; used = (size_t)-1; break; }
          cap *= 2;
          buf = realloc(buf, cap);
        }
        ssize_t n = read(fd, buf + used, cap - used);
        if (n < 0) { if (errno == EINTR) continue; used = (size_t)-1; break; }
        if (n == 0) break;
        used += (size_t)n;
      }
      int e = errno;
      close(fd);
      if (used == (size_t)-1) send_error(id, e, "read %s: %s", arg, strerror(e));
      else send_frame(MSG_RESULT, id, buf, used);
      free(buf);
      free(arg);
      return;
    }
    case FOP_MOUNT: {
      if (len < 5) break;
      uint32_t flags = get_u32(p);
      char *parts[4];
      char *q = arg + 4;
      char *end = arg + len;
      int ok = 1;
      for (int i = 0; i < 4; i++) {
        if (q >= end) { ok = 0; break; }
        parts[i] = q;
        q += strlen(q) + 1;
      }
      if (!ok) break;
      if (mount(parts[0][0] ? parts[0] : NULL, parts[1], parts[2][0] ? parts[2] : NULL, flags, parts[3][0] ? parts[3] : NULL) < 0)
        send_error(id, errno, "mount %s on %s: %s", parts[2], parts[1], strerror(errno));
      else send_frame(MSG_RESULT, id, NULL, 0);
      free(arg);
      return;
    }
    case FOP_UMOUNT: {
      if (len < 5) break;
      const char *path = arg + 4;
      if (umount2(path, (int)get_u32(p)) < 0) send_error(id, errno, "umount %s: %s", path, strerror(errno));
      else send_frame(MSG_RESULT, id, NULL, 0);
      free(arg);
      return;
    }
    case FOP_WHITEOUT: {
      if (mknod(arg, S_IFCHR | 0000, makedev(0, 0)) < 0 && !(errno == EEXIST && unlink(arg) == 0 && mknod(arg, S_IFCHR, makedev(0, 0)) == 0))
        send_error(id, errno, "whiteout %s: %s", arg, strerror(errno));
      else send_frame(MSG_RESULT, id, NULL, 0);
      free(arg);
      return;
    }
    case FOP_OPAQUE: {
      if (setxattr(arg, "trusted.overlay.opaque", "y", 1, 0) < 0) send_error(id, errno, "mark %s opaque: %s", arg, strerror(errno));
      else send_frame(MSG_RESULT, id, NULL, 0);
      free(arg);
      return;
    }
    case FOP_SETTIME: {
      /* A restored guest's clock is the time its state was saved: the host sets it. */
      if (len < 12) break;
      struct timespec ts;
      ts.tv_sec = (time_t)((uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32);
      ts.tv_nsec = (long)get_u32(p + 8);
      if (ts.tv_nsec >= 1000000000L) break;
      if (clock_settime(CLOCK_REALTIME, &ts) < 0) send_error(id, errno, "set the clock: %s", strerror(errno));
      else send_frame(MSG_RESULT, id, NULL, 0);
      free(arg);
      return;
    }
    case FOP_BRIDGE: {
      /* u32 address (network order), u8 prefix, name */
      if (len < 6 || !arg[5]) break;
      uint32_t ip;
      memcpy(&ip, p, 4);
      net_bridge(id, arg + 5, ip, p[4] > 32 ? 32 : p[4]);
      free(arg);
      return;
    }
    case FOP_VETH: {
      /* u32 pid, u32 address, u32 gateway (0: no default route; both network
         order), u8 prefix, u8 mac[6], then host\0bridge\0ifname\0 */
      if (len < 19) break;
      char *names[3];
      char *q = arg + 19, *end = arg + len;
      int ok = 1;
      for (int i = 0; i < 3; i++) {
        if (q >= end || !*q) { ok = 0; break; }
        names[i] = q;
        q += strlen(q) + 1;
      }
      if (!ok) break;
      uint32_t ip, gw;
      memcpy(&ip, p + 4, 4);
      memcpy(&gw, p + 8, 4);
      net_veth(id, (pid_t)get_u32(p), names[0], names[1], names[2], p + 13, ip, p[12] > 32 ? 32 : p[12], gw);
      free(arg);
      return;
    }
    case FOP_LINKDEL: {
      int r = arg[0] ? net_link_del(arg) : -EINVAL;
      if (r < 0) send_error(id, -r, "delete link %s: %s", arg, strerror(-r));
      else send_frame(MSG_RESULT, id, NULL, 0);
      free(arg);
      return;
    }
    case FOP_LIST_OPAQUE: {
      struct strbuf out = {0};
      list_opaque(arg, "", &out);
      send_frame(MSG_RESULT, id, out.data, out.len);
      free(out.data);
      free(arg);
      return;
    }
  }
  free(arg);
  send_error(id, EINVAL, "bad file operation %u", op);
}

/* ---------- frames from the host ---------- */

static void handle(uint8_t type, uint32_t id, uint8_t *p, size_t len) {
  switch (type) {
    case MSG_PING: send_frame(MSG_PONG, id, p, len); return;
    case MSG_SPAWN: do_spawn(id, p, len); return;
    case MSG_FILEOP: do_fileop(id, p, len); return;
  }
  struct proc *pr = proc_by_id(id);
  if (!pr) return; /* the process is gone: late input or signals are dropped */
  switch (type) {
    case MSG_STDIN:
      if (pr->in_fd < 0) return;
      if (len == 0) {
        if (pr->pending_len) pr->close_in_after_pending = 1;
        else close_stdin(pr);
        return;
      }
      pr->pending = realloc(pr->pending, pr->pending_len + len);
      memcpy(pr->pending + pr->pending_len, p, len);
      pr->pending_len += len;
      flush_stdin(pr);
      return;
    case MSG_SIGNAL:
      if (len >= 4) kill(pr->pid, (int)get_u32(p));
      return;
    case MSG_RESUME:
      if (pr->gate_fd >= 0) {
        char go = 'G';
        if (write(pr->gate_fd, &go, 1) < 0) { /* the child is gone; EXIT follows */ }
        close(pr->gate_fd);
        pr->gate_fd = -1;
      }
      return;
    case MSG_RESIZE:
      if (len >= 4 && pr->tty) {
        struct winsize ws = {.ws_row = get_u16(p), .ws_col = get_u16(p + 2)};
        ioctl(pr->out_fd, TIOCSWINSZ, &ws);
      }
      return;
  }
}

int main(int argc, char **argv) {
  const char *dev = argc > 1 ? argv[1] : "/dev/hvc0";
  chan = open(dev, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (chan < 0) die(dev);
  struct termios t;
  if (tcgetattr(chan, &t) == 0) {
    cfmakeraw(&t);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    tcsetattr(chan, TCSANOW, &t);
  }
  signal(SIGPIPE, SIG_IGN);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sfd < 0) die("signalfd");

  uint8_t ready[4];
  put_u32(ready, PROTOCOL_VERSION);
  send_frame(MSG_READY, 0, ready, 4);

  static uint8_t inbuf[MAX_FRAME + FRAME_HEADER];
  size_t inlen = 0;
  struct pollfd pfds[2 + MAX_PROCS * 3];
  struct proc *owner[2 + MAX_PROCS * 3];
  uint8_t kind[2 + MAX_PROCS * 3];

  for (;;) {
    int n = 0;
    pfds[n] = (struct pollfd){.fd = chan, .events = POLLIN};
    owner[n] = NULL; kind[n] = 0; n++;
    pfds[n] = (struct pollfd){.fd = sfd, .events = POLLIN};
    owner[n] = NULL; kind[n] = 1; n++;
    for (int i = 0; i < MAX_PROCS; i++) {
      struct proc *pr = &procs[i];
      if (!pr->used) continue;
      if (pr->out_fd >= 0) { pfds[n] = (struct pollfd){.fd = pr->out_fd, .events = POLLIN}; owner[n] = pr; kind[n] = 2; n++; }
      if (pr->err_fd >= 0) { pfds[n] = (struct pollfd){.fd = pr->err_fd, .events = POLLIN}; owner[n] = pr; kind[n] = 3; n++; }
      if (pr->pending_len && pr->in_fd >= 0) { pfds[n] = (struct pollfd){.fd = pr->in_fd, .events = POLLOUT}; owner[n] = pr; kind[n] = 4; n++; }
    }
    if (poll(pfds, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    for (int i = 0; i < n; i++) {
      if (!pfds[i].revents) continue;
      struct proc *pr = owner[i];
      switch (kind[i]) {
        case 0: {
          ssize_t r = read(chan, inbuf + inlen, sizeof inbuf - inlen);
          if (r < 0) { if (errno == EINTR || errno == EAGAIN) break; die("read channel"); }
          if (r == 0) break;
          inlen += (size_t)r;
          /* Tell the host how much it may send again (it keeps a window). */
          uint8_t ack[4];
          put_u32(ack, (uint32_t)r);
          send_frame(MSG_ACK, 0, ack, 4);
          size_t off = 0;
          while (inlen - off >= 4) {
            uint32_t flen = get_u32(inbuf + off);
            if (flen < FRAME_HEADER - 4 || flen > MAX_FRAME) {
              /* Lost sync: drop everything we have and start over. */
              fprintf(stderr, "berth-agent: bad frame length %u, resyncing\n", flen);
              off = inlen;
              break;
            }
            if (inlen - off < 4 + flen) break;
            uint8_t *f = inbuf + off;
            handle(f[4], get_u32(f + 8), f + FRAME_HEADER, flen + 4 - FRAME_HEADER);
            off += 4 + flen;
          }
          memmove(inbuf, inbuf + off, inlen - off);
          inlen -= off;
          break;
        }
        case 1: {
          struct signalfd_siginfo si;
          while (read(sfd, &si, sizeof si) == sizeof si) { }
          reap();
          break;
        }
        case 2:
          if (pr->used && pr->out_fd == pfds[i].fd && !pump(pr, pr->out_fd, MSG_STDOUT)) {
            /* EOF before exit: keep waiting for the exit status, stop polling. */
            close(pr->out_fd);
            if (pr->tty && pr->in_fd >= 0) { close(pr->in_fd); pr->in_fd = -1; }
            pr->out_fd = -1;
          }
          break;
        case 3:
          if (pr->used && pr->err_fd == pfds[i].fd && !pump(pr, pr->err_fd, MSG_STDERR)) {
            close(pr->err_fd);
            pr->err_fd = -1;
          }
          break;
        case 4:
          if (pr->used) flush_stdin(pr);
          break;
      }
    }
  }
}
