// PortMap: host port bookkeeping with dockerd's allocation and conflict rules,
// and the browser's publisher (numbers only).
import { describe, expect, it } from "vitest";
import { BerthError } from "../../../src/core/errors.ts";
import { PortMap, VirtualPortPublisher, bindingsToPublish, openGuestConnection, type GuestSpawner } from "../../../src/engine/ports.ts";

const tcp = (containerPort: number, hostPort = 0, hostIp?: string) => ({ containerPort, hostPort, protocol: "tcp" as const, ...(hostIp ? { hostIp } : {}) });

describe("PortMap", () => {
  it("books a fixed port and finds it by host port", async () => {
    const map = new PortMap();
    const e = await map.reserve("c1", "172.17.0.2", tcp(80, 8080));
    expect(e).toEqual({ containerId: "c1", containerIp: "172.17.0.2", containerPort: 80, protocol: "tcp", hostIp: "0.0.0.0", hostPort: 8080 });
    expect(map.lookup(8080)).toBe(e);
    expect(map.lookup(8080, "udp")).toBeUndefined();
    expect(map.lookup(8081)).toBeUndefined();
  });

  it("refuses a port that is already allocated, in dockerd's words", async () => {
    const map = new PortMap();
    await map.reserve("c1", "172.17.0.2", tcp(80, 8080));
    const err = await map.reserve("c2", "172.17.0.3", tcp(81, 8080)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BerthError);
    expect((err as BerthError).kind).toBe("conflict");
    expect((err as BerthError).message).toBe("Bind for 0.0.0.0:8080 failed: port is already allocated");
  });

  it("treats 0.0.0.0 as overlapping every address, but two distinct addresses as separate", async () => {
    const map = new PortMap();
    await map.reserve("c1", "172.17.0.2", tcp(80, 8080, "127.0.0.1"));
    await expect(map.reserve("c2", "172.17.0.3", tcp(80, 8080))).rejects.toThrow("Bind for 0.0.0.0:8080 failed: port is already allocated");
    await expect(map.reserve("c2", "172.17.0.3", tcp(80, 8080, "127.0.0.1"))).rejects.toThrow(
      "Bind for 127.0.0.1:8080 failed: port is already allocated",
    );
    await map.reserve("c3", "172.17.0.4", tcp(80, 8080, "10.0.0.1"));
    // udp is its own space
    await map.reserve("c4", "172.17.0.5", { containerPort: 53, hostPort: 8080, protocol: "udp" });
    expect(map.all()).toHaveLength(3);
  });

  it("picks ephemeral ports sequentially from 32768, skipping booked ones", async () => {
    const map = new PortMap();
    await map.reserve("c0", "172.17.0.9", tcp(80, 32769));
    const a = await map.reserve("c1", "172.17.0.2", tcp(80));
    const b = await map.reserve("c1", "172.17.0.2", tcp(443));
    expect([a.hostPort, b.hostPort]).toEqual([32768, 32770]);
    map.release("c1");
    // dockerd moves on rather than reusing the port just freed
    expect((await map.reserve("c2", "172.17.0.3", tcp(80))).hostPort).toBe(32771);
  });

  it("asks the probe, skips ports in use for ephemeral and fails a fixed one", async () => {
    const map = new PortMap({ start: 40000, end: 40005 });
    const busy = new Set([40000, 40001]);
    const probe = async (_ip: string, port: number) => (busy.has(port) ? ("in-use" as const) : ("ok" as const));
    expect((await map.reserve("c1", "172.17.0.2", tcp(80), probe)).hostPort).toBe(40002);
    await expect(map.reserve("c1", "172.17.0.2", tcp(80, 40000, "127.0.0.1"), probe)).rejects.toThrow(
      "Error starting userland proxy: listen tcp4 127.0.0.1:40000: bind: address already in use",
    );
  });

  it("says when the range is exhausted", async () => {
    const map = new PortMap({ start: 50000, end: 50001 });
    await map.reserve("c1", "172.17.0.2", tcp(1));
    await map.reserve("c1", "172.17.0.2", tcp(2));
    await expect(map.reserve("c1", "172.17.0.2", tcp(3))).rejects.toThrow(/no free host port for 3\/tcp in 50000-50001/);
  });

  it("rejects bad port numbers", async () => {
    const map = new PortMap();
    await expect(map.reserve("c1", "172.17.0.2", tcp(0, 8080))).rejects.toThrow("Invalid containerPort: 0");
    await expect(map.reserve("c1", "172.17.0.2", tcp(80, 70000))).rejects.toThrow("Invalid hostPort: 70000");
  });
});

describe("VirtualPortPublisher", () => {
  it("publishes all bindings or none", async () => {
    const pub = new VirtualPortPublisher();
    expect(await pub.publish("c1", [tcp(80, 8080), tcp(443)], "172.17.0.2")).toEqual([
      { containerPort: 80, protocol: "tcp", hostIp: "0.0.0.0", hostPort: 8080 },
      { containerPort: 443, protocol: "tcp", hostIp: "0.0.0.0", hostPort: 32768 },
    ]);
    // the second binding conflicts: the first must not stay booked
    await expect(pub.publish("c2", [tcp(80, 9090), tcp(80, 8080)], "172.17.0.3")).rejects.toThrow("Bind for 0.0.0.0:8080");
    expect(pub.map.lookup(9090)).toBeUndefined();
    await pub.unpublish("c1");
    expect(pub.map.all()).toEqual([]);
    await pub.publish("c2", [tcp(80, 8080)], "172.17.0.3");
    expect(pub.map.lookup(8080)?.containerId).toBe("c2");
    await pub.close();
    expect(pub.map.all()).toEqual([]);
  });

  it("conflicts within one container's own -p list too", async () => {
    const pub = new VirtualPortPublisher();
    await expect(pub.publish("c1", [tcp(80, 8080), tcp(81, 8080)], "172.17.0.2")).rejects.toThrow(
      "Bind for 0.0.0.0:8080 failed: port is already allocated",
    );
    expect(pub.map.all()).toEqual([]);
  });
});

describe("bindingsToPublish (-P)", () => {
  it("adds exposed ports that -p does not cover, on free host ports", () => {
    expect(bindingsToPublish([tcp(80, 8080)], true, { "80/tcp": {}, "443/tcp": {}, "53/udp": {}, "8000": {} })).toEqual([
      tcp(80, 8080),
      { containerPort: 53, protocol: "udp", hostPort: 0 },
      { containerPort: 443, protocol: "tcp", hostPort: 0 },
      { containerPort: 8000, protocol: "tcp", hostPort: 0 },
    ]);
    expect(bindingsToPublish([tcp(80, 8080)], false, { "443/tcp": {} })).toEqual([tcp(80, 8080)]);
    expect(bindingsToPublish(undefined, true, undefined)).toEqual([]);
  });
});

describe("openGuestConnection", () => {
  it("spawns nc with a connect timeout and a stdin pipe", async () => {
    const specs: unknown[] = [];
    const vm = { spawn: async (spec: unknown) => (specs.push(spec), Promise.reject(new Error("stop here"))) } as unknown as GuestSpawner;
    await expect(openGuestConnection(vm, "172.17.0.2", 80, { connectTimeoutSec: 3 })).rejects.toThrow("stop here");
    expect(specs).toEqual([{ argv: ["nc", "-w", "3", "172.17.0.2", "80"], stdin: true }]);
    await expect(openGuestConnection(vm, "web", 80)).rejects.toThrow("not an IPv4 address: web");
    await expect(openGuestConnection(vm, "172.17.0.2", 0)).rejects.toThrow("invalid port: 0");
  });
});
