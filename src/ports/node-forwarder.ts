// Published ports in Node (the `berth` command, tests): each tcp binding is a
// real net.Server on the host, and each connection it accepts is piped to a
// guest connection (an nc process in the guest, src/engine/ports.ts) to the
// container's address, the way dockerd's userland proxy does it.
//
// Host addresses: 0.0.0.0, :: and none mean "all" to Docker; here they listen
// on 127.0.0.1 only, so that a container is never reachable from the network
// by accident. Any other address (127.0.0.1, ::1, a local address) is listened
// on as given. The bookkeeping keeps what was asked (docker port shows
// 0.0.0.0:8080).
//
// udp bindings are booked (docker ps shows them) but not forwarded: the guest's
// busybox nc has no udp mode.

import net from "node:net";
import type { PortBinding } from "../core/engine-api.ts";
import { BerthError } from "../core/errors.ts";
import {
  type GuestConnection,
  type GuestSpawner,
  type PortEntry,
  type PortPublisher,
  PortMap,
  entryToBinding,
  formatHostAddress,
  openGuestConnection,
} from "../engine/ports.ts";

export interface NodePortPublisherOptions {
  map?: PortMap;
  /** Where a forwarded connection failed (refused, unreachable); default: nothing. */
  onError?: (entry: PortEntry, err: BerthError) => void;
  /** Seconds nc waits for the container to accept (default 10). */
  connectTimeoutSec?: number;
}

interface Listener {
  entry: PortEntry;
  server: net.Server;
  sockets: Set<net.Socket>;
}

/** The address a host IP is listened on here. */
export function listenAddress(hostIp: string): string {
  return hostIp === "" || hostIp === "0.0.0.0" || hostIp === "::" ? "127.0.0.1" : hostIp;
}

const BIND_ERRORS: Record<string, string> = {
  EADDRINUSE: "address already in use",
  EACCES: "permission denied",
  EADDRNOTAVAIL: "cannot assign requested address",
};

export class NodePortPublisher implements PortPublisher {
  readonly map: PortMap;
  private listeners = new Map<string, Listener[]>();

  constructor(
    /** The guest, started on first use (Engine.guest()). */
    private readonly guest: () => Promise<GuestSpawner> | GuestSpawner,
    private readonly opts: NodePortPublisherOptions = {},
  ) {
    this.map = opts.map ?? new PortMap();
  }

  async publish(containerId: string, bindings: PortBinding[], containerIp: string): Promise<PortBinding[]> {
    const made: Listener[] = [];
    const booked: PortEntry[] = [];
    try {
      for (const binding of bindings) {
        if (binding.protocol === "udp") {
          booked.push(await this.map.reserve(containerId, containerIp, binding));
          continue;
        }
        // Each candidate port is tried for real; the one reserve settles on keeps its server.
        const tried = new Map<number, net.Server>();
        let entry: PortEntry;
        try {
          entry = await this.map.reserve(containerId, containerIp, binding, async (hostIp, hostPort) => {
            try {
              tried.set(hostPort, await this.listen(hostIp, hostPort));
              return "ok";
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") return "in-use";
              const why = BIND_ERRORS[(err as NodeJS.ErrnoException).code ?? ""] ?? (err as Error).message;
              throw new BerthError(
                "unavailable",
                `Error starting userland proxy: listen tcp4 ${formatHostAddress(hostIp, hostPort)}: bind: ${why}`,
              );
            }
          });
        } catch (err) {
          for (const server of tried.values()) server.close();
          throw err;
        }
        const server = tried.get(entry.hostPort)!;
        tried.delete(entry.hostPort);
        for (const other of tried.values()) other.close();
        booked.push(entry);
        const listener: Listener = { entry, server, sockets: new Set() };
        server.on("connection", (sock) => this.forward(listener, sock));
        made.push(listener);
      }
    } catch (err) {
      for (const l of made) l.server.close();
      for (const e of booked) this.map.drop(e);
      throw err;
    }
    this.listeners.set(containerId, [...(this.listeners.get(containerId) ?? []), ...made]);
    return booked.map(entryToBinding);
  }

  async unpublish(containerId: string): Promise<void> {
    const ls = this.listeners.get(containerId) ?? [];
    this.listeners.delete(containerId);
    this.map.release(containerId);
    await Promise.all(
      ls.map(
        (l) =>
          new Promise<void>((resolve) => {
            for (const s of l.sockets) s.destroy();
            l.server.close(() => resolve());
          }),
      ),
    );
  }

  async close(): Promise<void> {
    const ids = new Set([...this.listeners.keys(), ...this.map.all().map((e) => e.containerId)]);
    await Promise.all([...ids].map((id) => this.unpublish(id)));
  }

  /** Where a published port listens (for messages and tests). */
  addressOf(containerId: string): { entry: PortEntry; address: net.AddressInfo }[] {
    return (this.listeners.get(containerId) ?? []).map((l) => ({ entry: l.entry, address: l.server.address() as net.AddressInfo }));
  }

  private listen(hostIp: string, hostPort: number): Promise<net.Server> {
    return new Promise((resolve, reject) => {
      const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
      server.once("error", reject);
      server.listen({ host: listenAddress(hostIp), port: hostPort, exclusive: true }, () => {
        server.off("error", reject);
        server.on("error", () => {}); // after listening: nothing to report to
        resolve(server);
      });
    });
  }

  private forward(listener: Listener, sock: net.Socket): void {
    listener.sockets.add(sock);
    sock.setNoDelay(true);
    let conn: GuestConnection | null = null;
    sock.on("error", () => {});
    sock.on("close", () => {
      listener.sockets.delete(sock);
      conn?.destroy();
    });
    const { containerIp, containerPort } = listener.entry;
    void (async () => {
      try {
        const vm = await this.guest();
        conn = await openGuestConnection(vm, containerIp, containerPort, { connectTimeoutSec: this.opts.connectTimeoutSec });
      } catch (err) {
        this.opts.onError?.(listener.entry, err instanceof BerthError ? err : new BerthError("unavailable", String(err)));
        abort(sock);
        return;
      }
      if (sock.destroyed) {
        conn.destroy();
        return;
      }
      const c = conn;
      c.onData((d) => {
        if (!sock.destroyed) sock.write(d);
      });
      c.onClose((info) => {
        if (info.error) {
          this.opts.onError?.(listener.entry, info.error);
          // As dockerd's proxy: the client's connection was accepted, so it is reset.
          if (info.received === 0) return abort(sock);
        }
        if (!sock.destroyed) sock.end();
      });
      sock.on("data", (d: Buffer) => c.write(new Uint8Array(d.buffer, d.byteOffset, d.length)));
      sock.on("end", () => c.end());
      sock.resume();
    })();
  }
}

function abort(sock: net.Socket): void {
  if (sock.destroyed) return;
  if (typeof sock.resetAndDestroy === "function") sock.resetAndDestroy();
  else sock.destroy();
}
