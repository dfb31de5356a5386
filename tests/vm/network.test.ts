// Container networking on the real guest: bridges, veth pairs into
// containers' namespaces, addresses, hosts files for names, isolation between
// networks. The "containers" here are processes in their own namespaces over
// the guest's own root filesystem (no image needed), with a tmpfs at /etc so
// that each gets its own /etc/hosts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BerthError } from "../../src/core/errors.ts";
import { NetworkService, type EndpointInfo } from "../../src/engine/networks.ts";
import { createMemoryStorage } from "../../src/storage/memory.ts";
import type { GuestProcess, GuestVM } from "../../src/vm/guest.ts";
import { startNodeGuest } from "../../src/vm/node.ts";

let vm: GuestVM;
let svc: NetworkService;
const running = new Map<string, Container>();
const attachMs: number[] = [];

interface Container {
  id: string;
  name: string;
  proc: GuestProcess;
  nets: Record<string, EndpointInfo>;
}

const WWW = "/tmp/nettest-www";

beforeAll(async () => {
  vm = await startNodeGuest();
  svc = new NetworkService(createMemoryStorage().refs, { vm: () => vm });
  // What the container service does: rewrite the hosts files whose text changed.
  svc.onMembershipChange((ids) => {
    for (const id of ids) {
      const c = running.get(id);
      if (c) void vm.writeFile(`/proc/${c.proc.pid}/root/etc/hosts`, svc.hostsFile(id));
    }
  });
  await vm.mkdir(WWW, { parents: true });
  await vm.writeFile(`${WWW}/index.html`, "hello from web\n");
});

afterAll(async () => {
  if (attachMs.length) console.log(`connectTask (one network) took ${attachMs.map((t) => Math.round(t)).join(", ")} ms`);
  await vm?.shutdown();
});

let seq = 0;
async function run(name: string, network: string, opts: { aliases?: string[]; argv?: string[] } = {}): Promise<Container> {
  const id = (++seq).toString(16).padStart(2, "0").repeat(32);
  const prep = await svc.prepare(id, { mode: network, aliases: opts.aliases, name, hostname: id.slice(0, 12) });
  const proc = await vm.spawn({
    argv: opts.argv ?? ["sleep", "600"],
    namespaces: prep.networkNamespace ? ["pid", "mount", "uts", "ipc", "net"] : ["pid", "mount", "uts", "ipc"],
    hostname: id.slice(0, 12),
    mounts: [{ source: "tmpfs", target: "/etc", type: "tmpfs", data: "mode=755", phase: "host" }],
    paused: true,
  });
  let nets: Record<string, EndpointInfo> = {};
  if (prep.networkNamespace) {
    const t0 = performance.now();
    nets = await svc.connectTask(vm, id, proc.pid);
    if (Object.values(nets).some((n) => n.ipAddress)) attachMs.push(performance.now() - t0);
  }
  await vm.writeFile(`/proc/${proc.pid}/root/etc/hosts`, svc.hostsFile(id));
  proc.resume();
  const c = { id, name, proc, nets };
  running.set(id, c);
  return c;
}

async function stop(c: Container): Promise<void> {
  running.delete(c.id);
  c.proc.signal(9);
  await c.proc.exited;
  await svc.disconnectTask(vm, c.id);
}

/** Runs a command inside a container (all its namespaces). */
function inside(c: Container, argv: string[]) {
  return vm.exec(argv, { join: c.proc.pid });
}

async function reaches(from: Container, ip: string): Promise<boolean> {
  const r = await inside(from, ["ping", "-c1", "-W1", ip]);
  return r.exitCode === 0;
}

describe("networks in the guest", () => {
  let web: Container;
  let db: Container;
  let other: Container;

  it("keeps IP forwarding off (no routing between bridges)", async () => {
    const r = await vm.exec(["cat", "/proc/sys/net/ipv4/ip_forward"]);
    expect(r.stdout.trim()).toBe("0");
  });

  it("connects two containers on a user network: ping, wget and nc by IP and by name", async () => {
    await svc.create({ name: "app" });
    web = await run("web", "app", { aliases: ["www"], argv: ["httpd", "-f", "-p", "80", "-h", WWW] });
    db = await run("db", "app");
    expect(web.nets.app).toMatchObject({ ipAddress: "172.18.0.2", gateway: "172.18.0.1", macAddress: "02:42:ac:12:00:02", prefix: 16 });
    expect(db.nets.app!.ipAddress).toBe("172.18.0.3");

    const addr = await inside(db, ["ip", "addr", "show", "eth0"]);
    expect(addr.stdout).toContain("inet 172.18.0.3/16");
    expect(addr.stdout).toContain("02:42:ac:12:00:03");
    expect((await inside(db, ["ip", "route"])).stdout).toContain("default via 172.18.0.1 dev eth0");

    expect(await reaches(db, "172.18.0.2")).toBe(true);
    expect(await reaches(web, "172.18.0.3")).toBe(true);
    expect(await reaches(db, "172.18.0.1")).toBe(true); // the gateway

    // Names come from the hosts files (web's was rewritten when db came).
    expect((await inside(db, ["cat", "/etc/hosts"])).stdout).toBe(svc.hostsFile(db.id));
    await expect.poll(async () => (await inside(web, ["cat", "/etc/hosts"])).stdout, { timeout: 10_000 }).toContain("172.18.0.3 db");
    const byName = await inside(db, ["ping", "-c1", "-W2", "web"]);
    expect(byName.stdout).toContain("PING web (172.18.0.2)");
    expect(byName.exitCode).toBe(0);
    expect((await inside(db, ["ping", "-c1", "-W2", "www"])).exitCode).toBe(0);
    expect((await inside(web, ["ping", "-c1", "-W2", "db"])).exitCode).toBe(0);

    const wget = await inside(db, ["wget", "-qO-", "http://web/"]);
    expect(wget).toMatchObject({ exitCode: 0, stdout: "hello from web\n" });
    const wgetIp = await inside(db, ["wget", "-qO-", "http://172.18.0.2/"]);
    expect(wgetIp.stdout).toBe("hello from web\n");
    const nc = await vm.exec(["nc", "-w", "3", "www", "80"], { join: db.proc.pid, input: "GET / HTTP/1.0\r\n\r\n" });
    expect(nc.stdout).toMatch(/^HTTP\/1\.[01] 200 OK/);
    expect(nc.stdout).toContain("hello from web");

    const info = await svc.inspect("app");
    expect(Object.values(info.containers).map((c) => [c.name, c.ipAddress])).toEqual([
      ["web", "172.18.0.2/16"],
      ["db", "172.18.0.3/16"],
    ]);
  });

  it("keeps containers on different user networks apart", async () => {
    await svc.create({ name: "other" });
    other = await run("other", "other");
    expect(other.nets.other!.ipAddress).toBe("172.19.0.2");
    expect(await reaches(other, "172.19.0.1")).toBe(true);
    expect(await reaches(other, "172.18.0.2")).toBe(false);
    expect(await reaches(web, "172.19.0.2")).toBe(false);
    const nc = await vm.exec(["nc", "-w", "2", "172.18.0.2", "80"], { join: other.proc.pid, input: "GET / HTTP/1.0\r\n\r\n" });
    expect(nc.stdout).not.toContain("hello from web");
    // No names across networks either.
    expect(svc.hostsFile(other.id)).not.toContain("web");
    expect((await inside(other, ["ping", "-c1", "-W1", "web"])).exitCode).not.toBe(0);
  });

  it("connects a running container to a second network and disconnects it", async () => {
    await svc.connect(vm, "app", other.id, { aliases: ["o2"] }, other.proc.pid);
    const addr = await inside(other, ["ip", "-4", "addr"]);
    expect(addr.stdout).toContain("inet 172.18.0.4/16");
    expect(addr.stdout).toMatch(/eth1/);
    expect(await reaches(other, "172.18.0.2")).toBe(true);
    await expect.poll(async () => (await inside(db, ["cat", "/etc/hosts"])).stdout, { timeout: 10_000 }).toContain("172.18.0.4 other o2");
    expect((await inside(db, ["ping", "-c1", "-W2", "o2"])).exitCode).toBe(0);

    await svc.disconnect(vm, "app", other.id);
    expect((await inside(other, ["ip", "-4", "addr"])).stdout).not.toContain("172.18.0.4");
    expect(await reaches(other, "172.18.0.2")).toBe(false);
    await expect.poll(async () => (await inside(db, ["cat", "/etc/hosts"])).stdout, { timeout: 10_000 }).not.toContain("other");
  });

  it("gives --network none only lo", async () => {
    const lonely = await run("lonely", "none");
    expect(lonely.nets).toEqual({ none: { ipAddress: "", gateway: "", macAddress: "", aliases: [], prefix: 0 } });
    const links = await inside(lonely, ["ip", "-o", "link"]);
    expect(links.stdout.trim().split("\n").map((l) => l.split(":")[1]!.trim())).toEqual(["lo"]);
    expect((await inside(lonely, ["ping", "-c1", "-W1", "172.18.0.2"])).exitCode).not.toBe(0);
    await stop(lonely);
  });

  it("connects containers on the default bridge (by IP, not by name)", async () => {
    const a = await run("a", "bridge");
    const b = await run("b", "bridge");
    expect([a.nets.bridge!.ipAddress, b.nets.bridge!.ipAddress]).toEqual(["172.17.0.2", "172.17.0.3"]);
    expect((await vm.exec(["ip", "link", "show", "berth0"])).exitCode).toBe(0);
    expect(await reaches(a, "172.17.0.3")).toBe(true);
    expect(await reaches(b, "172.17.0.2")).toBe(true);
    expect(await reaches(a, "172.18.0.2")).toBe(false);
    expect(svc.hostsFile(b.id)).toBe(`127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n172.17.0.3 ${b.id.slice(0, 12)}\n`);
    expect((await inside(b, ["ping", "-c1", "-W1", "a"])).exitCode).not.toBe(0);
    await stop(a);
    await stop(b);
  });

  it("shares the guest's namespace with --network host", async () => {
    const h = await run("h", "host");
    expect(h.nets).toEqual({});
    expect((await inside(h, ["ip", "link", "show", "berth0"])).exitCode).toBe(0);
    await stop(h);
  });

  it("refuses to remove a network with active endpoints, then removes it and its bridge", async () => {
    const app = await svc.inspect("app");
    const err = await svc.remove("app").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BerthError);
    expect((err as BerthError).message).toBe(`error while removing network: network app id ${app.id} has active endpoints`);
    await stop(web);
    await stop(db);
    await stop(other);
    expect(await svc.inspect("app")).toMatchObject({ containers: {} });
    await svc.remove("app");
    expect((await vm.exec(["ip", "link", "show", `br-${app.id.slice(0, 12)}`])).exitCode).not.toBe(0);
    expect((await svc.prune()).deleted).toEqual(["other"]);
  });

  it("names the container's end eth0 even when the guest has a veth0", async () => {
    expect((await vm.exec(["ip", "link", "add", "vleft", "type", "veth"])).exitCode).toBe(0);
    const a = await run("a", "bridge");
    expect((await inside(a, ["ip", "addr", "show", "eth0"])).stdout).toContain(`inet ${a.nets.bridge!.ipAddress}/16`);
    const left = await vm.exec(["ip", "-o", "link"]);
    expect(left.stdout).toMatch(/ veth0@vleft:/);
    await stop(a);
    await vm.exec(["ip", "link", "del", "vleft"]);
  });

  it("restarts a container with the same address", async () => {
    await svc.create({ name: "again" });
    const a = await run("a", "again");
    const b = await run("b", "again");
    expect(b.nets.again!.ipAddress).toBe("172.18.0.3");
    await stop(b);
    const c = await run("c", "again");
    expect(c.nets.again!.ipAddress).toBe("172.18.0.4"); // b's stays reserved for it
    // b again: same id, same address.
    const proc = await vm.spawn({ argv: ["sleep", "600"], namespaces: ["pid", "mount", "uts", "ipc", "net"], paused: true });
    const nets = await svc.connectTask(vm, b.id, proc.pid);
    proc.resume();
    expect(nets.again!.ipAddress).toBe("172.18.0.3");
    const b2 = { ...b, proc, nets };
    running.set(b.id, b2);
    expect(await reaches(a, "172.18.0.3")).toBe(true);
    for (const x of [a, b2, c]) await stop(x);
  });
});
