// Starting a process inside a rootfs, isolated as a container: new pid, mount,
// uts, ipc and net namespaces, pivot_root into the rootfs, /proc, /sys and a
// minimal /dev. The rootfs is a directory the agent can see (usually the
// merged directory of a snapshot).
import type { GuestProcess, GuestVM } from "../vm/guest.ts";
import type { DeviceSpec, MountSpec, Namespace, SpawnSpec } from "../vm/protocol.ts";

/** The PATH a container or RUN step gets when its image sets none (as Docker). */
export const DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Device nodes a container gets in its /dev tmpfs (name, major, minor), as runc makes them. */
const DEVICES: [string, number, number][] = [
  ["null", 1, 3],
  ["zero", 1, 5],
  ["full", 1, 7],
  ["random", 1, 8],
  ["urandom", 1, 9],
  ["tty", 5, 0],
];

/** The device nodes every container gets, as host-side paths under the rootfs (made with mknod, mode 0666). */
export function systemDevices(rootfs: string): DeviceSpec[] {
  const r = rootfs.replace(/\/$/, "");
  return DEVICES.map(([name, major, minor]) => ({ path: `${r}/dev/${name}`, major, minor, mode: 0o666 }));
}

export interface ContainerProcessOptions {
  rootfs: string;
  argv: string[];
  env: string[];
  cwd?: string;
  uid?: number;
  gid?: number;
  groups?: number[];
  hostname?: string;
  tty?: { rows: number; cols: number };
  stdin?: boolean;
  /** A cgroup directory (created by the caller) to run in. */
  cgroup?: string;
  /** Extra mounts (volumes, binds, tmpfs); `target` is a path inside the container. */
  mounts?: { source: string; target: string; type?: string; data?: string; readOnly?: boolean; bind?: boolean }[];
  /** Share the guest's network namespace instead of a new one (--network host). */
  hostNetwork?: boolean;
  readOnlyRootfs?: boolean;
}

/** The mounts every container gets, as host-side paths under the rootfs. */
export function systemMounts(rootfs: string): MountSpec[] {
  const r = rootfs.replace(/\/$/, "");
  return [
    { source: "proc", target: `${r}/proc`, type: "proc", flags: ["nosuid", "nodev", "noexec"] },
    { source: "sysfs", target: `${r}/sys`, type: "sysfs", flags: ["nosuid", "nodev", "noexec", "rdonly"] },
    { source: "tmpfs", target: `${r}/dev`, type: "tmpfs", data: "mode=755,size=65536k", flags: ["nosuid"] },
    // The guest's own devpts: the agent allocates a container's terminal
    // (run -t, exec -t) before the container exists, from the guest's ptmx,
    // so the container must see that instance to find its tty by name.
    // (Docker gives each container a devpts instance of its own.)
    { source: "/dev/pts", target: `${r}/dev/pts`, flags: ["bind"] },
    { source: "/dev/pts/ptmx", target: `${r}/dev/ptmx`, flags: ["bind"] },
    { source: "shm", target: `${r}/dev/shm`, type: "tmpfs", data: "mode=1777,size=65536k", flags: ["nosuid", "nodev", "noexec"] },
  ];
}

export function containerSpawnSpec(opts: ContainerProcessOptions): SpawnSpec {
  const r = opts.rootfs.replace(/\/$/, "");
  const namespaces: Namespace[] = ["pid", "mount", "uts", "ipc"];
  if (!opts.hostNetwork) namespaces.push("net");
  const mounts: MountSpec[] = [...systemMounts(r)];
  for (const m of opts.mounts ?? []) {
    const target = `${r}/${m.target.replace(/^\/+/, "")}`;
    const flags: MountSpec["flags"] = m.bind ? ["bind", "rec"] : [];
    if (m.readOnly) flags.push("rdonly");
    mounts.push({ source: m.source, target, type: m.type, data: m.data, flags });
  }
  return {
    argv: opts.argv,
    env: opts.env,
    cwd: opts.cwd || "/",
    uid: opts.uid ?? 0,
    gid: opts.gid ?? 0,
    groups: opts.groups ?? [opts.gid ?? 0],
    hostname: opts.hostname,
    tty: opts.tty,
    stdin: opts.stdin,
    namespaces,
    rootfs: r,
    rootfsReadOnly: opts.readOnlyRootfs,
    cgroup: opts.cgroup,
    mounts,
    devices: systemDevices(r),
  };
}

export function startContainerProcess(vm: GuestVM, opts: ContainerProcessOptions): Promise<GuestProcess> {
  return vm.spawn(containerSpawnSpec(opts));
}
