/*
 * berth-init: pid 1 of the guest, in C because every busybox command a
 * shell script runs costs tens of milliseconds of boot in the emulator.
 *
 * Stage 1 (run as /init from the initramfs): makes the root a bind mount of
 * itself (pivot_root, which containers need, fails while the root is the
 * initial rootfs itself), then execs itself as stage 2.
 * Stage 2 (/sbin/init): mounts what the agent and containers need, starts the
 * agent on the virtio console and a root shell on ttyS0 (the VM console), and
 * reaps orphans, restarting either when it ends.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void warn(const char *what) {
  dprintf(2, "berth-init: %s: %s\n", what, strerror(errno));
}

/*
 * pivot_root refuses a root that is the initial rootfs itself (it has no
 * parent mount). Bind-mounting the root onto itself and moving that over /
 * gives the root a parent: no copy of the initramfs is needed.
 */
static void stage1(char **argv) {
  if (mount("/", "/newroot", NULL, MS_BIND | MS_REC, NULL) < 0) warn("bind / on /newroot");
  if (chdir("/newroot") < 0) warn("chdir /newroot");
  if (mount(".", "/", NULL, MS_MOVE, NULL) < 0) warn("move root");
  if (chroot(".") < 0) warn("chroot");
  if (chdir("/") < 0) warn("chdir /");
  argv[0] = "/sbin/init";
  execv("/sbin/init", argv);
  warn("exec /sbin/init");
  _exit(1);
}

static void mnt(const char *src, const char *dst, const char *type, unsigned long flags, const char *data) {
  mkdir(dst, 0755);
  if (mount(src, dst, type, flags, data) < 0) {
    char what[256];
    snprintf(what, sizeof what, "mount %s on %s", type, dst);
    warn(what);
  }
}

static void write_text(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, text, strlen(text)) < 0) warn(path);
  if (fd >= 0) close(fd);
}

static void loopback_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  close(s);
}

static char *const ENV[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "TERM=linux", NULL};

static pid_t start_agent(void) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open("/dev/ttyS0", O_WRONLY | O_NOCTTY);
    if (fd >= 0) dup2(fd, 2);
    char *argv[] = {"berth-agent", "/dev/hvc0", NULL};
    execve("/sbin/berth-agent", argv, ENV);
    _exit(127);
  }
  return pid;
}

static pid_t start_shell(void) {
  pid_t pid = fork();
  if (pid == 0) {
    setsid();
    int fd = open("/dev/ttyS0", O_RDWR);
    if (fd < 0) _exit(1);
    ioctl(fd, TIOCSCTTY, 0);
    dup2(fd, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    if (fd > 2) close(fd);
    chdir("/root");
    char *argv[] = {"-sh", NULL};
    execve("/bin/sh", argv, ENV);
    _exit(127);
  }
  return pid;
}

static void stage2(void) {
  mnt("devtmpfs", "/dev", "devtmpfs", 0, NULL);
  mnt("proc", "/proc", "proc", 0, NULL);
  mnt("sysfs", "/sys", "sysfs", 0, NULL);
  mnt("devpts", "/dev/pts", "devpts", 0, "gid=5,mode=620,ptmxmode=666");
  mnt("shm", "/dev/shm", "tmpfs", 0, "mode=1777");
  mnt("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL);
  write_text("/sys/fs/cgroup/cgroup.subtree_control", "+pids +memory +cpu");
  /* The host share: bulk transfers and bind mounts. A large msize makes 9p fast. */
  mnt("host9p", "/mnt/host", "9p", 0, "trans=virtio,version=9p2000.L,msize=524288,cache=none");
  /* The work area: image layers, container roots, volumes. */
  mkdir("/var/lib", 0755);
  mnt("berth", "/var/lib/berth", "tmpfs", 0, "mode=755");
  sethostname("berth", 5);
  loopback_up();

  pid_t agent = start_agent();
  pid_t shell = start_shell();
  for (;;) {
    int status;
    pid_t pid = wait(&status);
    if (pid < 0) {
      if (errno == EINTR) continue;
      sleep(1);
      continue;
    }
    if (pid == agent) {
      dprintf(2, "berth-init: the agent ended (status %d); restarting it\n", status);
      agent = start_agent();
    } else if (pid == shell) {
      shell = start_shell();
    }
  }
}

int main(int argc, char **argv) {
  (void)argc;
  if (getpid() != 1) {
    dprintf(2, "berth-init: must run as pid 1\n");
    return 1;
  }
  /* Stage 1 runs while / is the initramfs (it has /newroot to move into). */
  struct stat st;
  if (strcmp(argv[0], "/sbin/init") != 0 && stat("/newroot", &st) == 0) stage1(argv);
  stage2();
  return 0;
}
