// Container networking in the guest: one Linux bridge per bridge network (the
// default network's is "berth0", a user network's "br-<id12>") holding the
// gateway address, and a veth pair per container endpoint: one end on the
// bridge, the other moved into the container's network namespace and named
// eth0, eth1, ... there.
//
// The guest agent makes bridges and endpoints itself (netlink and ioctls, see
// wasm/README.md): every process in the guest costs tens of milliseconds in
// the emulator, and a busybox script per container cost 150-400 ms. Only the
// rare change of a running container's default route is still a command.
//
// Isolation between networks: the guest keeps net.ipv4.ip_forward at the
// kernel's default 0, so nothing is routed from one bridge to another. A
// container reaches the containers on its own bridges (layer 2) and the
// guest's own addresses (the gateways), nothing else.
import { BerthError } from "../core/errors.ts";
import type { GuestVM } from "../vm/guest.ts";

/** The default bridge network's Linux bridge (Docker's docker0). */
export const DEFAULT_BRIDGE = "berth0";

export interface BridgeNetwork {
  id: string;
  name: string;
  /** "172.18.0.0/16" */
  subnet: string;
  /** "172.18.0.1" */
  gateway: string;
}

/** The Linux bridge of a bridge network. */
export function bridgeName(network: { id: string; name: string }): string {
  return network.name === "bridge" ? DEFAULT_BRIDGE : `br-${network.id.slice(0, 12)}`;
}

export function prefixLength(subnet: string): number {
  const n = Number(subnet.split("/")[1]);
  if (!Number.isInteger(n) || n < 0 || n > 32) throw new BerthError("invalid-argument", `invalid CIDR address: ${subnet}`);
  return n;
}

/** Bridges known to exist in a VM (a new VM, e.g. after a restart, starts with none). */
const bridges = new WeakMap<GuestVM, Set<string>>();

function known(vm: GuestVM): Set<string> {
  let set = bridges.get(vm);
  if (!set) bridges.set(vm, (set = new Set()));
  return set;
}

const NAME = /^[A-Za-z0-9_.-]{1,15}$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

function check(what: string, value: string, re: RegExp): string {
  if (!re.test(value)) throw new BerthError("internal", `bad ${what} for the guest: ${JSON.stringify(value)}`);
  return value;
}

/** Creates the bridge of a bridge network in the guest if this VM does not have it yet. */
export async function ensureBridge(vm: GuestVM, network: BridgeNetwork): Promise<string> {
  const br = bridgeName(network);
  if (known(vm).has(br)) return br;
  await makeBridge(vm, network);
  known(vm).add(br);
  return br;
}

/** The agent makes the bridge (netlink) with the gateway's address, unless it exists. */
async function makeBridge(vm: GuestVM, network: BridgeNetwork): Promise<void> {
  const br = check("bridge name", bridgeName(network), NAME);
  const gw = check("gateway", network.gateway, IPV4);
  try {
    await vm.createBridge(br, gw, prefixLength(network.subnet));
  } catch (err) {
    throw new BerthError("guest", `creating bridge ${br}: ${(err as Error).message}`);
  }
}

/** Whether this VM has the network's bridge (made by ensureBridge or attachAll). */
export function hasBridge(vm: GuestVM, network: { id: string; name: string }): boolean {
  return known(vm).has(bridgeName(network));
}

/** Deletes a network's bridge from the guest (when the network is removed). */
export async function removeBridge(vm: GuestVM, network: { id: string; name: string }): Promise<void> {
  const br = check("bridge name", bridgeName(network), NAME);
  known(vm).delete(br);
  await vm.deleteLink(br).catch((err: Error) => {
    throw new BerthError("guest", `removing bridge ${br}: ${err.message}`);
  });
}

export interface AttachRequest {
  /** Guest pid of a process in the container's network namespace. */
  pid: number;
  network: BridgeNetwork;
  ip: string;
  prefix: number;
  /** Make the network's gateway the default route (the container's first network). */
  defaultRoute: boolean;
  /** Name inside the container: eth0, eth1, ... */
  ifname: string;
  macAddress: string;
  /** Name of the bridge-side end in the guest (unique; see hostInterfaceName). */
  hostIf?: string;
}

export interface Attached {
  /** The bridge-side end, in the guest's namespace. */
  hostIf: string;
  ifname: string;
}

/** A fresh name for the bridge-side end of a veth pair: "veth" + 7 hex digits. */
export function hostInterfaceName(): string {
  const b = crypto.getRandomValues(new Uint8Array(4));
  return `veth${[...b].map((x) => x.toString(16).padStart(2, "0")).join("").slice(0, 7)}`;
}

/** Checks an endpoint's values before they go to the guest. */
export function checkAttach(a: AttachRequest & { hostIf: string }): void {
  check("bridge name", bridgeName(a.network), NAME);
  check("interface name", a.hostIf, NAME);
  check("interface name", a.ifname, NAME);
  check("address", a.ip, IPV4);
  check("gateway", a.network.gateway, IPV4);
  check("MAC address", a.macAddress, MAC);
  if (!Number.isInteger(a.pid) || a.pid <= 0) throw new BerthError("internal", `bad pid ${a.pid}`);
  if (!Number.isInteger(a.prefix) || a.prefix < 1 || a.prefix > 30) throw new BerthError("internal", `bad prefix ${a.prefix}`);
}

export function netmask(prefix: number): string {
  const m = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (m >>> s) & 255).join(".");
}

/**
 * Connects a running (or paused) process's network namespace to bridge
 * networks: creates the bridges this VM lacks, then the endpoints. The agent
 * does each with netlink and ioctls (no process in the guest); the requests
 * go out together and it answers them in order. On failure the endpoints
 * made are deleted.
 */
export async function attachAll(vm: GuestVM, requests: AttachRequest[]): Promise<Attached[]> {
  if (requests.length === 0) return [];
  const have = known(vm);
  const newBridges = new Map<string, BridgeNetwork>();
  for (const r of requests) {
    const br = bridgeName(r.network);
    if (!have.has(br)) newBridges.set(br, r.network);
  }
  const withNames = requests.map((r) => ({ ...r, hostIf: r.hostIf ?? hostInterfaceName() }));
  for (const r of withNames) checkAttach(r);
  const bridgesMade = [...newBridges.entries()].map(async ([br, n]) => {
    await makeBridge(vm, n);
    have.add(br);
  });
  const endpoints = withNames.map((r) =>
    vm.createVeth({
      pid: r.pid,
      hostIf: r.hostIf,
      bridge: bridgeName(r.network),
      ifname: r.ifname,
      mac: r.macAddress,
      address: r.ip,
      prefix: r.prefix,
      gateway: r.defaultRoute ? r.network.gateway : undefined,
    }),
  );
  const [bridgeResults, results] = await Promise.all([Promise.allSettled(bridgesMade), Promise.allSettled(endpoints)]);
  const failed = [...bridgeResults, ...results].find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    await Promise.all(withNames.filter((_, k) => results[k]!.status === "fulfilled").map((r) => vm.deleteLink(r.hostIf).catch(() => {})));
    const err = failed.reason as Error;
    if (err instanceof BerthError && err.kind === "guest" && /^creating bridge/.test(err.message)) throw err;
    throw new BerthError("guest", `connecting pid ${requests[0]!.pid} to ${requests.map((r) => r.network.name).join(", ")}: ${err.message}`);
  }
  return withNames.map((r) => ({ hostIf: r.hostIf, ifname: r.ifname }));
}

/** One endpoint (see attachAll). */
export async function attach(vm: GuestVM, request: AttachRequest): Promise<Attached> {
  return (await attachAll(vm, [request]))[0]!;
}

/**
 * Removes endpoints by their bridge-side names (the container's ends go with
 * them). Endpoints of a process that has exited are already gone with its
 * namespace; that is not an error.
 */
export async function detach(vm: GuestVM, hostIfs: string[]): Promise<void> {
  if (hostIfs.length === 0) return;
  const names = hostIfs.map((h) => check("interface name", h, NAME));
  await Promise.all(names.map((h) => vm.deleteLink(h))).catch((err: Error) => {
    throw new BerthError("guest", `disconnecting: ${err.message}`);
  });
}

/** Points a namespace's default route at a gateway (when the network that had it is disconnected). */
export async function setDefaultRoute(vm: GuestVM, pid: number, gateway: string): Promise<void> {
  if (!Number.isInteger(pid) || pid <= 0) throw new BerthError("internal", `bad pid ${pid}`);
  const gw = check("gateway", gateway, IPV4);
  await run(vm, `nsenter -t ${pid} -n route add default gw ${gw}\n`, "setting the default route");
}

async function run(vm: GuestVM, script: string, what: string): Promise<void> {
  const r = await vm.exec(["sh", "-c", script]);
  if (r.exitCode !== 0) {
    const msg = (r.stderr || r.stdout).trim().split("\n").slice(-3).join("; ");
    throw new BerthError("guest", `${what}: ${msg || `exit code ${r.exitCode}`}`);
  }
}
