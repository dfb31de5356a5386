/*
 * Berth guest agent protocol (see wasm/README.md for the full description).
 *
 * Every message, in both directions, is a frame:
 *
 *   u32 length   bytes that follow this field (8 + payload length)
 *   u8  type     one of the MSG_* values below
 *   u8  flags    0 (reserved)
 *   u16 reserved 0
 *   u32 id       request or process id chosen by the host (0 = none)
 *   ...          payload
 *
 * All integers are little-endian. The TypeScript side is src/vm/protocol.ts;
 * both must change together (PROTOCOL_VERSION).
 */
#ifndef BERTH_PROTOCOL_H
#define BERTH_PROTOCOL_H

#define PROTOCOL_VERSION 1
#define FRAME_HEADER 12
#define MAX_FRAME (1024 * 1024)

/* host -> guest */
#define MSG_PING 0x01      /* payload: anything, echoed back in PONG */
#define MSG_SPAWN 0x02     /* payload: spawn spec (TLV, below) */
#define MSG_STDIN 0x03     /* payload: bytes; empty payload = close stdin */
#define MSG_SIGNAL 0x04    /* payload: u32 signal number */
#define MSG_RESIZE 0x05    /* payload: u16 rows, u16 cols */
#define MSG_FILEOP 0x06    /* payload: u8 op, then op arguments (below) */
#define MSG_RESUME 0x07    /* a process spawned with SP_PAUSED may exec now */

/* guest -> host */
#define MSG_READY 0x81     /* payload: u32 protocol version; sent at agent start */
#define MSG_PONG 0x82      /* payload: PING's payload */
#define MSG_SPAWNED 0x83   /* payload: u32 pid (as the guest sees it) */
#define MSG_STDOUT 0x84    /* payload: bytes */
#define MSG_STDERR 0x85    /* payload: bytes */
#define MSG_EXIT 0x86      /* payload: i32 exit code, u32 signal (0 if it exited) */
#define MSG_ERROR 0x87     /* payload: i32 errno, then a UTF-8 message */
#define MSG_RESULT 0x88    /* payload: op-specific result */
#define MSG_ACK 0x89       /* payload: u32 bytes consumed from the channel since the last ACK */

/* spawn spec: a sequence of u8 tag, u32 length, bytes */
#define SP_ARG 1       /* one argv entry (repeat) */
#define SP_ENV 2       /* one "KEY=value" (repeat) */
#define SP_CWD 3       /* working directory (inside the rootfs) */
#define SP_UID 4       /* u32 */
#define SP_GID 5       /* u32 */
#define SP_TTY 6       /* u16 rows, u16 cols: run on a new pty */
#define SP_NS 7        /* u32 CLONE_NEW* flags */
#define SP_ROOTFS 8    /* directory to pivot_root (or chroot) into */
#define SP_MOUNT 9     /* u8 phase (0 before rootfs, 1 inside it), u32 flags, then source\0target\0fstype\0data\0 */
#define SP_HOSTNAME 10 /* hostname in a new uts namespace */
#define SP_CGROUP 11   /* cgroup directory (absolute, under /sys/fs/cgroup) to join */
#define SP_GROUPS 12   /* u32 array of supplementary groups */
#define SP_STDIN 13    /* u8 1: keep stdin open as a pipe (otherwise /dev/null) */
#define SP_ROOTFS_RO 14 /* u8 1: the rootfs is mounted read-only (after the phase-0 mounts) */
#define SP_PAUSED 15   /* u8 1: stop right before exec until MSG_RESUME (SPAWNED comes first);
                          a later exec failure arrives on stderr, then EXIT 127 */
#define SP_JOIN 16     /* u32 pid: join that process's ipc, uts, net, pid and mount namespaces (docker exec) */
#define SP_DEVICE 17   /* u32 mode (S_IFCHR or S_IFBLK | permissions), u32 major, u32 minor, path: a device
                          node made after the phase-0 mounts (e.g. in the rootfs's /dev tmpfs) */

/* file operations: u8 op, then arguments */
#define FOP_MKDIR 1   /* u32 mode, u8 parents, path */
#define FOP_STAT 2    /* path -> RESULT: u8 type, u32 mode, u32 uid, u32 gid, u64 size, i64 mtime, [symlink target] */
#define FOP_REMOVE 3  /* u8 recursive, path */
#define FOP_COPY 4    /* src\0dst\0: copy one regular file (bulk transfer through the 9p share) */
#define FOP_WRITE 5   /* u32 mode, path\0, bytes: write a small file */
#define FOP_READ 6    /* path -> RESULT: the file's bytes (small files only) */
#define FOP_MOUNT 7   /* u32 flags, source\0target\0fstype\0data\0: mount in the agent's namespace */
#define FOP_UMOUNT 8  /* u32 flags (umount2), path */
#define FOP_WHITEOUT 9 /* path: make an overlay whiteout (char device 0/0) */
#define FOP_OPAQUE 10  /* path: mark a directory opaque for overlayfs */
#define FOP_LIST_OPAQUE 11 /* dir -> RESULT: NUL-separated paths (relative to dir) of opaque directories */
#define FOP_SETTIME 12 /* u32 seconds low, u32 seconds high, u32 nanoseconds: set the guest's wall clock */
/* network (netlink and ioctls in the agent; addresses are 4 bytes in network order) */
#define FOP_BRIDGE 13  /* address, u8 prefix, name: a bridge holding that address, up (nothing if it exists) */
#define FOP_VETH 14    /* u32 pid, address, gateway (0 = no default route), u8 prefix, u8 mac[6],
                          host\0bridge\0ifname\0: a veth pair, host end on the bridge and up, the
                          other made in pid's network namespace as ifname with mac and address, up */
#define FOP_LINKDEL 15 /* name: delete a link (a veth's peer goes with it); none by that name is fine */

#endif
