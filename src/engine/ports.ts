// Published ports (docker run -p / -P): the TCP transport into the guest, the
// bookkeeping of host ports, and the publisher the container service drives.
//
// Transport: a TCP connection to a container is a busybox `nc IP PORT`
// process spawned in the guest's root namespace; its stdin is what we send,
// its stdout what the container sends back. busybox nc (1.35, the small one)
// behaves well for this:
//   - stdin EOF: it does shutdown(SHUT_WR) and keeps reading, so the server
//     sees a half-close and can still answer;
//   - the server closes (or resets): nc exits 0 right away, after everything
//     it read has been written to stdout (the agent sends EXIT last);
//   - refused, unreachable, timed out: "nc: can't connect to remote host
//     (IP): Connection refused" (or "nc: timed out" for -w) on stderr, exit 1,
//     nothing on stdout.
// nc never tells us it connected, so a failed connect shows up as the
// connection closing with an `error` and no data.
//
// Host ports: PortMap keeps per container its bindings and picks free host
// ports the way dockerd does (sequentially in 32768-60999); conflicts are
// dockerd's "Bind for 0.0.0.0:8080 failed: port is already allocated".

import type { PortBinding } from "../core/engine-api.ts";
import { BerthError } from "../core/errors.ts";
import type { GuestProcess, GuestVM } from "../vm/guest.ts";

// ---------- transport ----------

/** Why a guest connection ended. */
export interface CloseInfo {
  /** Set when the connection never came up or broke (refused, unreachable, timed out). */
  error?: BerthError;
  /** Bytes received over the connection's life. */
  received: number;
}

/** A TCP connection from the guest's root namespace to ip:port. */
export interface GuestConnection {
  /** Sends bytes to the remote end. Ignored once the connection is closed. */
  write(data: Uint8Array | string): void;
  /** Half-closes: the remote end reads EOF, and can still answer. */
  end(): void;
  /** Tears the connection down now (kills the nc process). */
  destroy(): void;
  /** Bytes from the remote end; earlier ones are replayed to a late listener. */
  onData(fn: (data: Uint8Array) => void): void;
  /** Called once, after the last onData. */
  onClose(fn: (info: CloseInfo) => void): void;
  readonly closed: Promise<CloseInfo>;
}

/** What openGuestConnection needs of the guest (GuestVM, or a fake in tests). */
export type GuestSpawner = Pick<GuestVM, "spawn">;

export interface ConnectOptions {
  /** Give up connecting after this many seconds (nc -w). Default 10. */
  connectTimeoutSec?: number;
}

const SIGTERM = 15;

/**
 * Opens a TCP connection to ip:port inside the guest. Resolves once the nc
 * process runs; a refused or unreachable port comes back through onClose /
 * closed as an `unavailable` BerthError (with no data), which an HTTP proxy
 * turns into a 502.
 */
export async function openGuestConnection(
  vm: GuestSpawner,
  ip: string,
  port: number,
  opts: ConnectOptions = {},
): Promise<GuestConnection> {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) throw new BerthError("invalid-argument", `not an IPv4 address: ${ip}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new BerthError("invalid-argument", `invalid port: ${port}`);
  const wait = Math.max(1, Math.round(opts.connectTimeoutSec ?? 10));
  const proc = await vm.spawn({ argv: ["nc", "-w", String(wait), ip, String(port)], stdin: true });
  return new NcConnection(proc, ip, port);
}

class NcConnection implements GuestConnection {
  readonly closed: Promise<CloseInfo>;
  private stdinOpen = true;
  private done = false;
  private killed = false;
  private received = 0;
  private stderr = "";
  private listeners: ((data: Uint8Array) => void)[] = [];
  private early: Uint8Array[] = [];

  constructor(
    private readonly proc: GuestProcess,
    private readonly ip: string,
    private readonly port: number,
  ) {
    proc.onStdout((d) => {
      this.received += d.length;
      if (this.listeners.length === 0) this.early.push(d);
      else for (const fn of this.listeners) fn(d);
    });
    proc.onStderr((d) => (this.stderr += new TextDecoder().decode(d)));
    this.closed = proc.exited.then((status) => {
      this.done = true;
      const info: CloseInfo = { received: this.received };
      if (!this.killed && status.exitCode !== 0 && status.signal !== 13 /* SIGPIPE: the remote went away mid-write */) {
        info.error = connectError(this.ip, this.port, this.stderr, status.exitCode);
      }
      return info;
    });
  }

  write(data: Uint8Array | string): void {
    if (this.done || !this.stdinOpen) return;
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    if (bytes.length > 0) this.proc.write(bytes);
  }

  end(): void {
    if (this.done || !this.stdinOpen) return;
    this.stdinOpen = false;
    this.proc.closeStdin();
  }

  destroy(): void {
    if (this.done || this.killed) return;
    this.killed = true;
    try {
      this.proc.signal(SIGTERM);
    } catch {
      // the guest is gone: nothing to kill
    }
  }

  onData(fn: (data: Uint8Array) => void): void {
    this.listeners.push(fn);
    for (const d of this.early.splice(0)) fn(d);
  }

  onClose(fn: (info: CloseInfo) => void): void {
    void this.closed.then(fn);
  }
}

/** nc's complaint → an `unavailable` error that says which address and why. */
function connectError(ip: string, port: number, stderr: string, exitCode: number): BerthError {
  const line = stderr.trim().split("\n").pop() ?? "";
  // "nc: can't connect to remote host (172.17.0.2): Connection refused", "nc: timed out"
  const reason = /: ([^:]+)$/.exec(line)?.[1] ?? (line || `nc exited with ${exitCode}`);
  const lower = reason.toLowerCase();
  const what = lower.includes("refused")
    ? `nothing is listening on ${ip}:${port} (connection refused)`
    : lower.includes("timed out")
      ? `connecting to ${ip}:${port} timed out`
      : `cannot connect to ${ip}:${port}: ${reason}`;
  return new BerthError("unavailable", what, { address: `${ip}:${port}`, reason });
}

// ---------- bookkeeping ----------

/** One published port of a running container. */
export interface PortEntry {
  containerId: string;
  /** The container's address the port forwards to. */
  containerIp: string;
  containerPort: number;
  protocol: "tcp" | "udp";
  /** As asked ("0.0.0.0" when none was given). */
  hostIp: string;
  hostPort: number;
}

/** Docker's ephemeral range (/proc/sys/net/ipv4/ip_local_port_range). */
export const EPHEMERAL_RANGE = { start: 32768, end: 60999 } as const;

/**
 * Tries a host port for real (Node: listen on it). Resolves "in-use" when
 * something else holds it; throws for any other failure.
 */
export type PortProbe = (hostIp: string, hostPort: number, protocol: "tcp" | "udp") => Promise<"ok" | "in-use">;

const ANY = new Set(["", "0.0.0.0", "::"]);

function normalIp(ip: string | undefined): string {
  return ip === undefined || ip === "" ? "0.0.0.0" : ip;
}

function ipsOverlap(a: string, b: string): boolean {
  return a === b || ANY.has(a) || ANY.has(b);
}

export function formatHostAddress(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Host ports in use, per container, with dockerd's allocation and conflict rules. */
export class PortMap {
  private entries: PortEntry[] = [];
  private last: number;

  constructor(private readonly range: { start: number; end: number } = EPHEMERAL_RANGE) {
    this.last = range.start - 1;
  }

  /**
   * Reserves one binding for a container. hostPort 0 picks the next free port
   * of the range (each candidate also passes `probe`, when given); a fixed
   * port must be free here and pass `probe`.
   */
  async reserve(containerId: string, containerIp: string, binding: PortBinding, probe?: PortProbe): Promise<PortEntry> {
    const hostIp = normalIp(binding.hostIp);
    const protocol = binding.protocol ?? "tcp";
    if (!Number.isInteger(binding.containerPort) || binding.containerPort < 1 || binding.containerPort > 65535) {
      throw new BerthError("invalid-argument", `Invalid containerPort: ${binding.containerPort}`);
    }
    const make = (hostPort: number): PortEntry => ({
      containerId,
      containerIp,
      containerPort: binding.containerPort,
      protocol,
      hostIp,
      hostPort,
    });
    if (binding.hostPort) {
      if (!Number.isInteger(binding.hostPort) || binding.hostPort < 1 || binding.hostPort > 65535) {
        throw new BerthError("invalid-argument", `Invalid hostPort: ${binding.hostPort}`);
      }
      if (this.taken(hostIp, binding.hostPort, protocol)) throw allocatedError(hostIp, binding.hostPort);
      if (probe && (await probe(hostIp, binding.hostPort, protocol)) === "in-use") {
        throw new BerthError(
          "conflict",
          `Error starting userland proxy: listen ${protocol}4 ${formatHostAddress(hostIp, binding.hostPort)}: bind: address already in use`,
        );
      }
      // The probe may have taken a while: another reservation could have raced us.
      if (this.taken(hostIp, binding.hostPort, protocol)) throw allocatedError(hostIp, binding.hostPort);
      const e = make(binding.hostPort);
      this.entries.push(e);
      return e;
    }
    const size = this.range.end - this.range.start + 1;
    for (let i = 0; i < size; i++) {
      const port = this.range.start + ((this.last + 1 - this.range.start + i) % size);
      if (this.taken(hostIp, port, protocol)) continue;
      if (probe && (await probe(hostIp, port, protocol)) === "in-use") continue;
      if (this.taken(hostIp, port, protocol)) continue;
      this.last = port;
      const e = make(port);
      this.entries.push(e);
      return e;
    }
    throw new BerthError(
      "conflict",
      `no free host port for ${binding.containerPort}/${protocol} in ${this.range.start}-${this.range.end}: all are allocated`,
    );
  }

  /** Forgets one entry (a reservation rolled back). */
  drop(entry: PortEntry): void {
    this.entries = this.entries.filter((e) => e !== entry);
  }

  /** Forgets a container's bindings; returns them. */
  release(containerId: string): PortEntry[] {
    const gone = this.entries.filter((e) => e.containerId === containerId);
    this.entries = this.entries.filter((e) => e.containerId !== containerId);
    return gone;
  }

  /** The binding a host port leads to (tcp unless told; any host address unless told). */
  lookup(hostPort: number, protocol: "tcp" | "udp" = "tcp", hostIp?: string): PortEntry | undefined {
    return this.entries.find(
      (e) => e.hostPort === hostPort && e.protocol === protocol && (hostIp === undefined || ipsOverlap(e.hostIp, hostIp)),
    );
  }

  forContainer(containerId: string): PortEntry[] {
    return this.entries.filter((e) => e.containerId === containerId);
  }

  all(): PortEntry[] {
    return [...this.entries];
  }

  private taken(hostIp: string, hostPort: number, protocol: string): boolean {
    return this.entries.some((e) => e.hostPort === hostPort && e.protocol === protocol && ipsOverlap(e.hostIp, hostIp));
  }
}

function allocatedError(hostIp: string, hostPort: number): BerthError {
  return new BerthError("conflict", `Bind for ${formatHostAddress(hostIp, hostPort)} failed: port is already allocated`, {
    hostPort,
  });
}

/** An entry as the engine API's PortBinding (what docker ps / port / inspect show). */
export function entryToBinding(e: PortEntry): PortBinding {
  return { containerPort: e.containerPort, protocol: e.protocol, hostIp: e.hostIp, hostPort: e.hostPort };
}

/**
 * The bindings a container starts with: its -p bindings, plus with -P
 * (publishAll) each port the image EXPOSEs ("80/tcp" keys, as in the image
 * config's ExposedPorts) that -p does not already cover, on a free host port.
 */
export function bindingsToPublish(
  ports: PortBinding[] | undefined,
  publishAll: boolean | undefined,
  exposedPorts: Record<string, unknown> | undefined,
): PortBinding[] {
  const out = [...(ports ?? [])];
  if (!publishAll) return out;
  const exposed: { containerPort: number; protocol: "tcp" | "udp" }[] = [];
  for (const key of Object.keys(exposedPorts ?? {})) {
    const m = /^(\d+)(?:\/(tcp|udp))?$/i.exec(key);
    if (m) exposed.push({ containerPort: Number(m[1]), protocol: (m[2]?.toLowerCase() ?? "tcp") as "tcp" | "udp" });
  }
  exposed.sort((a, b) => a.containerPort - b.containerPort || a.protocol.localeCompare(b.protocol));
  for (const { containerPort, protocol } of exposed) {
    if (out.some((b) => b.containerPort === containerPort && (b.protocol ?? "tcp") === protocol)) continue;
    out.push({ containerPort, protocol, hostPort: 0 });
  }
  return out;
}

// ---------- publishers ----------

/**
 * What the container service calls when a container starts and stops. The
 * Node implementation (src/ports/node-forwarder.ts) listens on real host
 * ports; the browser one (VirtualPortPublisher) only books them, and the
 * page reaches them through the service worker (src/ports/page.ts) and
 * httpRequest (http-proxy.ts).
 */
export interface PortPublisher {
  /** The bookkeeping http-proxy looks host ports up in. */
  readonly map: PortMap;
  /**
   * Publishes a starting container's bindings towards containerIp. hostPort 0
   * picks one. All or nothing: on a conflict nothing stays published.
   * Resolves with the bindings as published (hostIp "0.0.0.0" when none was given).
   */
  publish(containerId: string, bindings: PortBinding[], containerIp: string): Promise<PortBinding[]>;
  /** Stops forwarding a container's ports and frees them (safe to call twice). */
  unpublish(containerId: string): Promise<void>;
  /** Unpublishes everything (engine shutdown). */
  close(): Promise<void>;
}

/** The browser's publisher: ports are only numbers here; any unused one will do. */
export class VirtualPortPublisher implements PortPublisher {
  readonly map: PortMap;

  constructor(map = new PortMap()) {
    this.map = map;
  }

  async publish(containerId: string, bindings: PortBinding[], containerIp: string): Promise<PortBinding[]> {
    const done: PortEntry[] = [];
    try {
      for (const b of bindings) done.push(await this.map.reserve(containerId, containerIp, b));
    } catch (err) {
      for (const e of done) this.map.drop(e);
      throw err;
    }
    return done.map(entryToBinding);
  }

  async unpublish(containerId: string): Promise<void> {
    this.map.release(containerId);
  }

  async close(): Promise<void> {
    for (const e of this.map.all()) this.map.release(e.containerId);
  }
}
