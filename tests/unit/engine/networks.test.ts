import { beforeEach, describe, expect, it } from "vitest";
import type { RefStore } from "../../../src/core/content.ts";
import { BerthError } from "../../../src/core/errors.ts";
import { NetworkService, NetworkStore, macForIp, parseCidr } from "../../../src/engine/networks.ts";
import { attachAll, netmask } from "../../../src/runtime/network.ts";
import { createMemoryStorage } from "../../../src/storage/memory.ts";
import type { GuestVM } from "../../../src/vm/guest.ts";

const ID_A = "a".repeat(64);
const ID_B = "b".repeat(64);
const ID_C = "c".repeat(64);

async function rejects(p: Promise<unknown>, kind: BerthError["kind"], message: string | RegExp): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BerthError);
  expect((err as BerthError).kind).toBe(kind);
  if (typeof message === "string") expect((err as BerthError).message).toBe(message);
  else expect((err as BerthError).message).toMatch(message);
}

/**
 * A stand-in for the guest that records what it is asked to do: the agent's
 * network operations as one line each ("bridge ...", "veth ...", "del ..."),
 * and the scripts of commands.
 */
function fakeVm(fail = false): GuestVM & { scripts: string[] } {
  const scripts: string[] = [];
  return {
    scripts,
    running: true,
    async exec(argv: string[]) {
      scripts.push(argv[2] ?? "");
      return fail ? { exitCode: 1, signal: 0, stdout: "", stderr: "route: SIOCADDRT: File exists\n" } : { exitCode: 0, signal: 0, stdout: "", stderr: "" };
    },
    async createBridge(name: string, address: string, prefix: number) {
      scripts.push(`bridge ${name} ${address}/${prefix}`);
    },
    async createVeth(v: { pid: number; hostIf: string; bridge: string; ifname: string; mac: string; address: string; prefix: number; gateway?: string }) {
      scripts.push(`veth ${v.hostIf} on ${v.bridge}, ${v.ifname} in ${v.pid} ${v.mac} ${v.address}/${v.prefix}${v.gateway ? ` gw ${v.gateway}` : ""}`);
      if (fail) throw new BerthError("guest", "create veth: File exists");
    },
    async deleteLink(name: string) {
      scripts.push(`del ${name}`);
    },
  } as unknown as GuestVM & { scripts: string[] };
}

describe("NetworkStore", () => {
  let refs: RefStore;
  let store: NetworkStore;
  beforeEach(async () => {
    refs = createMemoryStorage().refs;
    store = new NetworkStore(refs);
    await store.load();
  });

  it("has the predefined networks, kept across loads", async () => {
    expect(store.list().map((n) => [n.name, n.driver, n.subnet, n.gateway])).toEqual([
      ["bridge", "bridge", "172.17.0.0/16", "172.17.0.1"],
      ["host", "host", "", ""],
      ["none", "null", "", ""],
    ]);
    for (const n of store.list()) expect(n.id).toMatch(/^[0-9a-f]{64}$/);
    const again = new NetworkStore(refs);
    await again.load();
    expect(again.list().map((n) => n.id)).toEqual(store.list().map((n) => n.id));
  });

  it("gives user networks the next free /16 from 172.18 up", async () => {
    const a = await store.create({ name: "a" });
    const b = await store.create({ name: "b", internal: true, labels: { x: "1" } });
    expect([a.subnet, a.gateway, b.subnet, b.gateway]).toEqual(["172.18.0.0/16", "172.18.0.1", "172.19.0.0/16", "172.19.0.1"]);
    expect(b.internal).toBe(true);
    expect(b.labels).toEqual({ x: "1" });
    await store.remove("a");
    expect((await store.create({ name: "c" })).subnet).toBe("172.18.0.0/16");
    // A chosen subnet is skipped by later ones.
    await store.create({ name: "d", subnet: "172.20.0.0/16" });
    expect((await store.create({ name: "e" })).subnet).toBe("172.21.0.0/16");
    // After 172.31 come 192.168.x.0/20 pools.
    for (let i = 22; i <= 31; i++) await store.create({ name: `n${i}` });
    expect((await store.create({ name: "f" })).subnet).toBe("192.168.0.0/20");
  });

  it("refuses what dockerd refuses, in its words", async () => {
    await store.create({ name: "web" });
    await rejects(store.create({ name: "web" }), "already-exists", "network with name web already exists");
    await rejects(store.create({ name: "bridge" }), "already-exists", "network with name bridge already exists");
    await rejects(store.create({ name: "x", subnet: "nope" }), "invalid-argument", "invalid CIDR address: nope");
    await rejects(store.create({ name: "x", subnet: "10.1.2.3/16" }), "invalid-argument", "invalid subnet 10.1.2.3/16: it should be 10.1.0.0/16");
    await rejects(store.create({ name: "x", subnet: "172.17.5.0/24" }), "conflict", "Pool overlaps with other one on this address space");
    await rejects(store.create({ name: "x", subnet: "10.0.0.0/31" }), "invalid-argument", /too small/);
    await rejects(store.create({ name: "bad name" }), "invalid-argument", /invalid network name/);
    await rejects(store.remove("bridge"), "conflict", "bridge is a pre-defined network and cannot be removed");
    await rejects(store.remove("none"), "conflict", "none is a pre-defined network and cannot be removed");
    await rejects(store.remove("nosuch"), "not-found", "network nosuch not found");
    expect(() => store.find("zzz")).toThrow("network zzz not found");
  });

  it("finds by ID, name and unique ID prefix", async () => {
    const n = await store.create({ name: "web" });
    expect(store.find(n.id).name).toBe("web");
    expect(store.find("web").id).toBe(n.id);
    expect(store.find(n.id.slice(0, 12)).name).toBe("web");
  });

  it("refuses to remove a network with active endpoints; prune skips it", async () => {
    const active = new Set<string>();
    const s = new NetworkStore(refs, { activeEndpoints: (id) => (active.has(id) ? 1 : 0) });
    await s.load();
    const a = await s.create({ name: "a" });
    const b = await s.create({ name: "b" });
    active.add(a.id);
    await rejects(s.remove("a"), "conflict", `error while removing network: network a id ${a.id} has active endpoints`);
    expect((await s.prune()).map((n) => n.name)).toEqual(["b"]);
    expect(s.list().map((n) => n.name)).toEqual(["a", "bridge", "host", "none"]);
    expect(b.id).not.toBe(a.id);
  });

  it("allocates from .2 up, skips held addresses, keeps a free preferred one", async () => {
    const n = await store.create({ name: "a", subnet: "10.9.0.0/29" }); // .1 gateway, .2-.6 usable, .7 broadcast
    expect(store.allocateIp(n, ID_A)).toBe("10.9.0.2");
    await store.saveContainer({ containerId: ID_A, name: "a", hostname: "a", mode: "a", prepared: true, endpoints: [{ network: "a", networkId: n.id, aliases: [], ipAddress: "10.9.0.2" }] });
    expect(store.allocateIp(n, ID_B)).toBe("10.9.0.3");
    expect(store.allocateIp(n, ID_B, "10.9.0.5")).toBe("10.9.0.5");
    expect(store.allocateIp(n, ID_B, "10.9.0.2")).toBe("10.9.0.3"); // held by A
    expect(store.allocateIp(n, ID_A, "10.9.0.2")).toBe("10.9.0.2"); // its own
    expect(store.allocateIp(n, ID_B, "10.8.0.9")).toBe("10.9.0.3"); // outside the subnet
    for (const [i, id] of ["1", "2", "3", "4"].entries()) {
      await store.saveContainer({ containerId: id.repeat(64), name: id, hostname: id, mode: "a", prepared: true, endpoints: [{ network: "a", networkId: n.id, aliases: [], ipAddress: `10.9.0.${3 + i}` }] });
    }
    expect(() => store.allocateIp(n, ID_B)).toThrow("no available IPv4 addresses on network a");
  });

  it("parses CIDRs and makes Docker's MACs", () => {
    expect(parseCidr("172.18.0.0/16")).toEqual({ base: 0xac120000, prefix: 16 });
    expect(parseCidr("300.1.1.1/8")).toBeNull();
    expect(parseCidr("1.2.3.4")).toBeNull();
    expect(macForIp("172.17.0.2")).toBe("02:42:ac:11:00:02");
    expect(netmask(16)).toBe("255.255.0.0");
    expect(netmask(20)).toBe("255.255.240.0");
  });
});

describe("NetworkService", () => {
  let refs: RefStore;
  let svc: NetworkService;
  let events: string[];
  let changes: string[][];
  let vm: GuestVM & { scripts: string[] };
  beforeEach(() => {
    refs = createMemoryStorage().refs;
    events = [];
    changes = [];
    vm = fakeVm();
    svc = new NetworkService(refs, { onEvent: (action, n, attrs) => events.push(`${action} ${n.name}${attrs.container ? ` ${attrs.container.slice(0, 1)}` : ""}`), vm: () => vm });
    svc.onMembershipChange((ids) => changes.push(ids.map((id) => id.slice(0, 1))));
  });

  async function start(id: string, name: string, mode: string, aliases: string[] = [], pid = 100) {
    const p = await svc.prepare(id, { mode, aliases, name, hostname: id.slice(0, 12) });
    const nets = p.hostNetwork ? {} : await svc.connectTask(vm, id, pid);
    return { ...p, nets };
  }

  it("says which namespace a mode needs", async () => {
    expect(await svc.prepare(ID_A, { mode: "host", name: "a", hostname: "a" })).toEqual({ hostNetwork: true, networkNamespace: false });
    expect(await svc.prepare(ID_B, { mode: "none", name: "b", hostname: "b" })).toEqual({ hostNetwork: false, networkNamespace: true });
    expect(await svc.prepare(ID_C, { mode: "bridge", name: "c", hostname: "c" })).toEqual({ hostNetwork: false, networkNamespace: true });
    await rejects(svc.prepare("d".repeat(64), { mode: "nosuch", name: "d", hostname: "d" }), "not-found", "network nosuch not found");
    await rejects(
      svc.prepare("d".repeat(64), { mode: "bridge", aliases: ["x"], name: "d", hostname: "d" }),
      "invalid-argument",
      "network-scoped alias is supported only for containers in user defined networks",
    );
  });

  it("connects containers on a user network, with hosts files naming each other", async () => {
    await svc.create({ name: "app" });
    const a = await start(ID_A, "web", "app", ["www"], 101);
    expect(a.nets).toEqual({ app: { ipAddress: "172.18.0.2", gateway: "172.18.0.1", macAddress: "02:42:ac:12:00:02", aliases: ["www"], prefix: 16 } });
    expect(vm.scripts[0]).toMatch(/^bridge br-[0-9a-f]{12} 172\.18\.0\.1\/16$/);
    expect(vm.scripts[1]).toMatch(/^veth veth[0-9a-f]{7} on br-[0-9a-f]{12}, eth0 in 101 02:42:ac:12:00:02 172\.18\.0\.2\/16 gw 172\.18\.0\.1$/);
    const b = await start(ID_B, "db", "app", [], 102);
    expect(b.nets.app!.ipAddress).toBe("172.18.0.3");
    expect(vm.scripts.slice(2)).toEqual([expect.stringMatching(/^veth .* in 102 /)]); // the bridge is known in this VM
    expect(changes).toEqual([["a"]]); // a's file changed when b came; b's own caller writes b's
    expect(svc.hostsFile(ID_A)).toBe(
      "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n" +
        `172.18.0.2 ${ID_A.slice(0, 12)} web www\n` +
        `172.18.0.3 db ${ID_B.slice(0, 12)}\n`,
    );
    expect(svc.hostsFile(ID_B)).toContain(`172.18.0.2 web www ${ID_A.slice(0, 12)}\n`);
    const info = await svc.inspect("app");
    expect(info.containers).toEqual({ [ID_A]: { name: "web", ipAddress: "172.18.0.2/16", aliases: ["www"] }, [ID_B]: { name: "db", ipAddress: "172.18.0.3/16", aliases: [] } });
    await rejects(svc.remove("app"), "conflict", /has active endpoints/);
    expect(events).toEqual(["create app", "connect app a", "connect app b"]);

    // b stops: a's file loses it; addresses stay reserved; b comes back with the same one.
    changes.length = 0;
    await svc.disconnectTask(vm, ID_B);
    expect(changes).toEqual([["a"]]);
    expect(svc.hostsFile(ID_A)).not.toContain("db");
    expect(svc.hostsFile(ID_B)).toBe("127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n");
    await start("c".repeat(64), "other", "app", [], 103);
    expect((await svc.connectTask(vm, ID_B, 104)).app!.ipAddress).toBe("172.18.0.3");
    expect((await svc.endpoints("app"))[ID_C]!.ipAddress).toBe("172.18.0.4");

    // Removal frees the address.
    await svc.disconnectTask(vm, ID_B);
    await svc.release(ID_B);
    expect((await start("d".repeat(64), "new", "app", [], 105)).nets.app!.ipAddress).toBe("172.18.0.3");
  });

  it("keeps addresses after a restart of the engine", async () => {
    await svc.create({ name: "app" });
    await start(ID_A, "a", "app");
    await start(ID_B, "b", "app");
    const again = new NetworkService(refs);
    await again.prepare(ID_B, { mode: "app", name: "b", hostname: "b" });
    expect((await again.connectTask(vm, ID_B, 200)).app!.ipAddress).toBe("172.18.0.3");
  });

  it("gives the default bridge no names of others", async () => {
    await start(ID_A, "a", "bridge");
    const b = await start(ID_B, "b", "bridge");
    expect(b.nets.bridge).toMatchObject({ ipAddress: "172.17.0.3", gateway: "172.17.0.1" });
    expect(vm.scripts[0]).toBe("bridge berth0 172.17.0.1/16");
    expect(svc.hostsFile(ID_B)).toBe(`127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n172.17.0.3 ${ID_B.slice(0, 12)}\n`);
    expect(changes).toEqual([]);
    expect(Object.keys((await svc.inspect("bridge")).containers)).toEqual([ID_A, ID_B]);
  });

  it("none: no endpoint in the guest, listed on the none network", async () => {
    const r = await start(ID_A, "a", "none");
    expect(r.nets).toEqual({ none: { ipAddress: "", gateway: "", macAddress: "", aliases: [], prefix: 0 } });
    expect(vm.scripts).toEqual([]);
    expect(Object.keys((await svc.inspect("none")).containers)).toEqual([ID_A]);
    await rejects(svc.connect(vm, "bridge", ID_A), "conflict", "container cannot be connected to multiple networks with one of the networks in private (none) mode");
  });

  it("connects and disconnects created and running containers", async () => {
    await svc.create({ name: "front" });
    await svc.create({ name: "back" });
    // Created (not started): connect records it; the --network network comes first at start.
    expect(await svc.connect(vm, "back", ID_A, { aliases: ["api"], name: "a", mode: "front" })).toBeNull();
    expect(await svc.containerNetworks(ID_A)).toEqual({ back: { ipAddress: "", gateway: "", macAddress: "", aliases: ["api"], prefix: 0 } });
    await rejects(svc.connect(vm, "back", ID_A), "conflict", "endpoint with name a already exists in network back");
    const a = await start(ID_A, "a", "front", [], 300);
    expect(Object.keys(a.nets)).toEqual(["front", "back"]);
    expect(a.nets.back).toMatchObject({ ipAddress: "172.19.0.2", aliases: ["api"] });
    expect(vm.scripts.at(-2)).toMatch(/, eth0 in 300 .* gw 172\.18\.0\.1$/);
    expect(vm.scripts.at(-1)).toMatch(/, eth1 in 300 02:42:ac:13:00:02 172\.19\.0\.2\/16$/);

    // Running: connect attaches now (eth2), disconnect detaches.
    await start(ID_B, "b", "bridge", [], 301);
    const before = vm.scripts.length;
    expect(await svc.connect(vm, "back", ID_B, { aliases: ["b2"] }, 301)).toMatchObject({ ipAddress: "172.19.0.3", gateway: "172.19.0.1" });
    expect(vm.scripts.length).toBe(before + 1);
    expect(vm.scripts.at(-1)).toContain(", eth1 in 301 ");
    expect(svc.hostsFile(ID_A)).toContain(`172.19.0.3 b b2 ${ID_B.slice(0, 12)}\n`);
    expect(changes.at(-1)!.sort()).toEqual(["a", "b"]);
    expect(await svc.containerNetworks(ID_B)).toMatchObject({ bridge: { ipAddress: "172.17.0.2" }, back: { ipAddress: "172.19.0.3", aliases: ["b2"] } });
    await svc.disconnect(vm, "back", ID_B);
    expect(vm.scripts.at(-1)).toMatch(/^del veth[0-9a-f]{7}$/);
    expect(svc.hostsFile(ID_A)).not.toContain(" b ");
    await rejects(svc.disconnect(vm, "back", ID_B), "invalid-argument", `container ${ID_B} is not connected to network back`);
    await svc.disconnect(vm, "back", ID_B, { force: true });
    await rejects(svc.disconnect(vm, "host", ID_B), "conflict", "container cannot be disconnected from host network or connected to host network");
    await rejects(svc.connect(vm, "host", ID_B), "conflict", "container cannot be disconnected from host network or connected to host network");
    await rejects(svc.connect(vm, "nosuch", ID_B), "not-found", "network nosuch not found");
    expect(events.filter((e) => e.startsWith("disconnect"))).toEqual(["disconnect back b"]);
  });

  it("moves the default route when its network is disconnected", async () => {
    await svc.create({ name: "front" });
    await start(ID_A, "a", "bridge", [], 500);
    await svc.connect(vm, "front", ID_A, {}, 500);
    expect(vm.scripts.at(-1)).not.toContain(" gw ");
    await svc.disconnect(vm, "bridge", ID_A);
    expect(vm.scripts.at(-1)).toBe("nsenter -t 500 -n route add default gw 172.18.0.1\n");
  });

  it("fails a start when its network is gone, and cleans up on guest errors", async () => {
    await svc.create({ name: "tmp" });
    await svc.prepare(ID_A, { mode: "tmp", name: "a", hostname: "a" });
    await svc.remove("tmp");
    await rejects(svc.connectTask(vm, ID_A, 400), "not-found", "network tmp not found");
    const bad = fakeVm(true);
    await svc.prepare(ID_B, { mode: "bridge", name: "b", hostname: "b" });
    await rejects(svc.connectTask(bad, ID_B, 401), "guest", /File exists/);
    expect(bad.scripts).toEqual(["bridge berth0 172.17.0.1/16", expect.stringMatching(/^veth /)]);
    expect((await svc.inspect("bridge")).containers).toEqual({});
  });

  it("forgets the endpoints of a VM that stopped", async () => {
    await svc.create({ name: "x" });
    await start(ID_A, "a", "x");
    await rejects(svc.remove("x"), "conflict", /has active endpoints/);
    (vm as { running: boolean }).running = false;
    expect((await svc.inspect("x")).containers).toEqual({});
    vm = fakeVm(); // the guest after a restart: the bridge is made again
    await start(ID_B, "b", "x");
    expect(vm.scripts[0]).toMatch(/^bridge br-/);
    expect(svc.hostsFile(ID_B)).not.toContain(" a ");
    await svc.disconnectTask(vm, ID_B);
    await svc.remove("x");
  });

  it("removes a network's bridge from the guest and prunes unused networks", async () => {
    await svc.create({ name: "x" });
    await svc.create({ name: "y" });
    await start(ID_A, "a", "x");
    await svc.disconnectTask(vm, ID_A);
    await svc.remove("x");
    expect(vm.scripts.at(-1)).toMatch(/^del br-[0-9a-f]{12}$/);
    await start(ID_B, "b", "y");
    expect((await svc.prune()).deleted).toEqual([]);
    await svc.disconnectTask(vm, ID_B);
    expect((await svc.prune()).deleted).toEqual(["y"]);
    expect((await svc.list()).map((n) => n.name)).toEqual(["bridge", "host", "none"]);
  });
});

describe("guest network requests", () => {
  it("are made of checked values only, and undo the endpoints made when one fails", async () => {
    const network = { id: ID_A, name: "n", subnet: "172.18.0.0/16", gateway: "172.18.0.1" };
    const vm = fakeVm();
    const ok = { pid: 5, network, ip: "172.18.0.2", prefix: 16, defaultRoute: true, ifname: "eth0", macAddress: "02:42:ac:12:00:02", hostIf: "vethabc" };
    await expect(attachAll(vm, [{ ...ok, ip: "1.2.3.4; reboot" }])).rejects.toThrow(/bad address/);
    await expect(attachAll(vm, [{ ...ok, ifname: "eth0;x" }])).rejects.toThrow(/bad interface name/);
    expect(vm.scripts).toEqual([]);
    // The second endpoint fails: the first is deleted again.
    let n = 0;
    const flaky = Object.assign(fakeVm(), {
      async createVeth(v: { hostIf: string }) {
        if (n++ === 1) throw new BerthError("guest", `create veth ${v.hostIf}: File exists`);
      },
    });
    const other = { id: ID_B, name: "m", subnet: "172.19.0.0/16", gateway: "172.19.0.1" };
    await expect(attachAll(flaky, [ok, { ...ok, network: other, ifname: "eth1", ip: "172.19.0.2", hostIf: "vethdef", defaultRoute: false }])).rejects.toThrow(
      /connecting pid 5 to n, m: create veth vethdef: File exists/,
    );
    expect(flaky.scripts).toEqual(["bridge br-aaaaaaaaaaaa 172.18.0.1/16", "bridge br-bbbbbbbbbbbb 172.19.0.1/16", "del vethabc"]);
  });
});
