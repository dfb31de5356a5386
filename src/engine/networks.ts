// Networks, as dockerd keeps them: the predefined `bridge`, `host` and `none`
// plus user-defined bridge networks, each with a subnet and a gateway, and the
// containers' endpoints on them (an address per container and network).
//
// Persistent (RefStore metadata):
// - "network/<64 hex id>": a network record;
// - "network/endpoints/<container id>": a container's network settings: the
//   networks it is connected to, in order (the first gets the default route),
//   with its aliases and, once it has started, its address and MAC address on
//   each. An address stays reserved for the container until it is removed
//   (`release`) or disconnected from that network, so a restart keeps it.
//
// In memory (this engine session): the endpoints that exist in the guest
// (running containers), which is what `network rm` and `network prune` check
// and what inspect's Containers shows, as with dockerd.
//
// Name resolution: busybox's resolver reads /etc/hosts only, so instead of
// dockerd's embedded DNS each container gets a hosts file (`hostsFile`) that
// lists the running containers it shares a user-defined network with, by
// name, aliases and short ID. `onMembershipChange` says whose file changed.
//
// Error messages follow dockerd's wording; the CLI adds "Error response from
// daemon: ".
import type { JsonValue, RefStore } from "../core/content.ts";
import type { NetworkInfo, PruneResult } from "../core/engine-api.ts";
import { BerthError } from "../core/errors.ts";
import { attachAll, detach, hasBridge, removeBridge, setDefaultRoute, type AttachRequest } from "../runtime/network.ts";
import type { GuestVM } from "../vm/guest.ts";

export const NETWORK_META = "network/";
const ENDPOINTS_META = "network/endpoints/";
const RECORD_KEY = /^network\/[0-9a-f]{64}$/;

export type NetworkDriver = "bridge" | "host" | "null";

export interface NetworkRecord {
  id: string;
  name: string;
  driver: NetworkDriver;
  /** "172.18.0.0/16"; "" for host and none. */
  subnet: string;
  /** "172.18.0.1"; "" for host and none. */
  gateway: string;
  internal: boolean;
  labels: Record<string, string>;
  /** ISO time. */
  created: string;
}

/** A container's settings on one network (dockerd's EndpointSettings). */
export interface EndpointSettings {
  /** Network name, as given when connecting. */
  network: string;
  networkId: string;
  aliases: string[];
  /** Reserved once the container has run on this network. */
  ipAddress?: string;
  macAddress?: string;
}

export interface ContainerNetworks {
  containerId: string;
  name: string;
  hostname: string;
  /** The --network given at create: "bridge", "host", "none" or a network name. */
  mode: string;
  /** Whether the --network network has been added (at the first prepare). */
  prepared: boolean;
  endpoints: EndpointSettings[];
}

export const PREDEFINED: readonly { name: string; driver: NetworkDriver; subnet: string; gateway: string }[] = [
  { name: "bridge", driver: "bridge", subnet: "172.17.0.0/16", gateway: "172.17.0.1" },
  { name: "host", driver: "host", subnet: "", gateway: "" },
  { name: "none", driver: "null", subnet: "", gateway: "" },
];

const isPredefined = (name: string) => PREDEFINED.some((p) => p.name === name);

/** A user-defined network: the only kind with aliases and name resolution. */
export const isUserNetwork = (n: { name: string; driver: NetworkDriver }) => n.driver === "bridge" && !isPredefined(n.name);

// ---------- IPv4 helpers ----------

export function parseIPv4(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function formatIPv4(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
}

export interface Cidr {
  base: number;
  prefix: number;
}

export function parseCidr(text: string): Cidr | null {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text.trim());
  if (!m) return null;
  const addr = parseIPv4(m[1]!);
  const prefix = Number(m[2]);
  if (addr === null || prefix > 32) return null;
  return { base: addr, prefix };
}

const maskOf = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
const sizeOf = (prefix: number) => 2 ** (32 - prefix);
const formatCidr = (c: Cidr) => `${formatIPv4(c.base)}/${c.prefix}`;

function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & maskOf(p)) >>> 0) === ((b.base & maskOf(p)) >>> 0);
}

/** Docker's classic MAC for an address: 02:42 and the four address bytes. */
export function macForIp(ip: string): string {
  const n = parseIPv4(ip) ?? 0;
  return ["02", "42", ...[24, 16, 8, 0].map((s) => ((n >>> s) & 255).toString(16).padStart(2, "0"))].join(":");
}

/** The pools user networks get their subnets from, in order (as dockerd's defaults). */
function* defaultPools(): Generator<Cidr> {
  for (let b = 18; b <= 31; b++) yield { base: parseIPv4(`172.${b}.0.0`)!, prefix: 16 };
  for (let c = 0; c < 256; c += 16) yield { base: parseIPv4(`192.168.${c}.0`)!, prefix: 20 };
}

function randomHex(chars: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(chars / 2)));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, chars);
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

// ---------- the store ----------

export interface NetworkStoreOptions {
  /** How many endpoints a network has in the guest now (running containers); 0 if not given. */
  activeEndpoints?: (networkId: string) => number;
}

/**
 * Network records and containers' endpoint settings over a RefStore, cached
 * in memory after `load()` (hostsFile needs them synchronously), with the
 * address management (IPAM) for bridge networks.
 */
export class NetworkStore {
  private networks = new Map<string, NetworkRecord>();
  private containers = new Map<string, ContainerNetworks>();
  private loading: Promise<void> | null = null;

  constructor(
    private readonly refs: RefStore,
    private readonly options: NetworkStoreOptions = {},
  ) {}

  /** Reads the records once and creates the predefined networks if missing. */
  load(): Promise<void> {
    this.loading ??= (async () => {
      for (const { key, value } of await this.refs.listMeta(NETWORK_META)) {
        if (RECORD_KEY.test(key)) {
          const n = value as unknown as NetworkRecord;
          this.networks.set(n.id, n);
        } else if (key.startsWith(ENDPOINTS_META)) {
          const c = value as unknown as ContainerNetworks;
          this.containers.set(c.containerId, c);
        }
      }
      for (const p of PREDEFINED) {
        if (this.byName(p.name)) continue;
        const rec: NetworkRecord = { id: randomHex(64), ...p, internal: false, labels: {}, created: new Date().toISOString() };
        await this.putNetwork(rec);
      }
    })().catch((err) => {
      this.loading = null;
      throw err;
    });
    return this.loading;
  }

  private async putNetwork(rec: NetworkRecord): Promise<void> {
    await this.refs.setMeta(NETWORK_META + rec.id, rec as unknown as JsonValue);
    this.networks.set(rec.id, rec);
  }

  private byName(name: string): NetworkRecord | undefined {
    for (const n of this.networks.values()) if (n.name === name) return n;
    return undefined;
  }

  /** Networks sorted by name. Call load() first. */
  list(): NetworkRecord[] {
    return [...this.networks.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** By full ID, name, or unique ID prefix (dockerd's order); undefined if none. Call load() first. */
  lookup(nameOrId: string): NetworkRecord | undefined {
    const byId = this.networks.get(nameOrId);
    if (byId) return byId;
    const byName = this.byName(nameOrId);
    if (byName) return byName;
    if (!/^[0-9a-f]+$/.test(nameOrId)) return undefined;
    const matches = [...this.networks.values()].filter((n) => n.id.startsWith(nameOrId));
    if (matches.length > 1) {
      throw new BerthError("invalid-argument", `network ${nameOrId} is ambiguous (${matches.length} matches found based on ID prefix)`);
    }
    return matches[0];
  }

  /** lookup, or not-found "network X not found". */
  find(nameOrId: string): NetworkRecord {
    const n = this.lookup(nameOrId);
    if (!n) throw new BerthError("not-found", `network ${nameOrId} not found`);
    return n;
  }

  async create(opts: { name: string; subnet?: string; internal?: boolean; labels?: Record<string, string> }): Promise<NetworkRecord> {
    await this.load();
    const name = opts.name;
    if (!NAME.test(name)) {
      throw new BerthError("invalid-argument", `invalid network name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    }
    if (this.byName(name)) throw new BerthError("already-exists", `network with name ${name} already exists`);
    const taken = [...this.networks.values()].filter((n) => n.subnet).map((n) => parseCidr(n.subnet)!);
    let subnet: Cidr;
    if (opts.subnet !== undefined) {
      const c = parseCidr(opts.subnet);
      if (!c) throw new BerthError("invalid-argument", `invalid CIDR address: ${opts.subnet}`);
      const base = (c.base & maskOf(c.prefix)) >>> 0;
      if (base !== c.base) {
        throw new BerthError("invalid-argument", `invalid subnet ${opts.subnet}: it should be ${formatCidr({ base, prefix: c.prefix })}`);
      }
      if (c.prefix > 30) throw new BerthError("invalid-argument", `invalid subnet ${opts.subnet}: too small to hold a gateway and containers`);
      if (taken.some((t) => overlaps(t, c))) throw new BerthError("conflict", "Pool overlaps with other one on this address space");
      subnet = c;
    } else {
      let found: Cidr | undefined;
      for (const pool of defaultPools()) {
        if (!taken.some((t) => overlaps(t, pool))) {
          found = pool;
          break;
        }
      }
      if (!found) {
        throw new BerthError(
          "conflict",
          "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network",
        );
      }
      subnet = found;
    }
    let id = randomHex(64);
    while (this.networks.has(id)) id = randomHex(64);
    const rec: NetworkRecord = {
      id,
      name,
      driver: "bridge",
      subnet: formatCidr(subnet),
      gateway: formatIPv4(subnet.base + 1),
      internal: opts.internal ?? false,
      labels: { ...(opts.labels ?? {}) },
      created: new Date().toISOString(),
    };
    await this.putNetwork(rec);
    return rec;
  }

  /** Removes a user network; refused for predefined ones and while it has endpoints in the guest. */
  async remove(nameOrId: string): Promise<NetworkRecord> {
    await this.load();
    const n = this.find(nameOrId);
    if (isPredefined(n.name)) throw new BerthError("conflict", `${n.name} is a pre-defined network and cannot be removed`);
    if ((this.options.activeEndpoints?.(n.id) ?? 0) > 0) {
      throw new BerthError("conflict", `error while removing network: network ${n.name} id ${n.id} has active endpoints`);
    }
    await this.refs.deleteMeta(NETWORK_META + n.id).catch(() => {});
    this.networks.delete(n.id);
    return n;
  }

  /** Removes the user networks without endpoints in the guest; returns them. */
  async prune(): Promise<NetworkRecord[]> {
    await this.load();
    const removed: NetworkRecord[] = [];
    for (const n of this.list()) {
      if (isPredefined(n.name) || (this.options.activeEndpoints?.(n.id) ?? 0) > 0) continue;
      removed.push(await this.remove(n.id));
    }
    return removed;
  }

  // ---------- containers' endpoint settings ----------

  /** Call load() first. */
  container(containerId: string): ContainerNetworks | undefined {
    return this.containers.get(containerId);
  }

  allContainers(): ContainerNetworks[] {
    return [...this.containers.values()];
  }

  async saveContainer(rec: ContainerNetworks): Promise<void> {
    await this.refs.setMeta(ENDPOINTS_META + rec.containerId, rec as unknown as JsonValue);
    this.containers.set(rec.containerId, rec);
  }

  async deleteContainer(containerId: string): Promise<void> {
    if (!this.containers.has(containerId)) return;
    this.containers.delete(containerId);
    await this.refs.deleteMeta(ENDPOINTS_META + containerId).catch(() => {});
  }

  /**
   * An address on a bridge network for a container: `preferred` (its earlier
   * one) when that is still in the subnet and nobody else holds it, else the
   * lowest free one from .2 up. Holders are the containers whose endpoint
   * settings on this network carry an address. Does not record anything.
   */
  allocateIp(network: NetworkRecord, containerId: string, preferred?: string): string {
    const c = parseCidr(network.subnet);
    if (network.driver !== "bridge" || !c) throw new BerthError("internal", `network ${network.name} has no addresses`);
    const used = new Set<number>([parseIPv4(network.gateway) ?? -1]);
    for (const rec of this.containers.values()) {
      if (rec.containerId === containerId) continue;
      for (const e of rec.endpoints) {
        if (e.networkId === network.id && e.ipAddress) used.add(parseIPv4(e.ipAddress)!);
      }
    }
    const first = c.base + 1;
    const last = c.base + sizeOf(c.prefix) - 2; // the last is broadcast
    const want = preferred ? parseIPv4(preferred) : null;
    if (want !== null && want >= first && want <= last && !used.has(want)) return formatIPv4(want);
    for (let a = first; a <= last; a++) if (!used.has(a)) return formatIPv4(a);
    throw new BerthError("conflict", `no available IPv4 addresses on network ${network.name}`);
  }
}

// ---------- the service the engine and the container service use ----------

/** What a container gets on one network (docker inspect's NetworkSettings.Networks). */
export interface EndpointInfo {
  ipAddress: string;
  gateway: string;
  macAddress: string;
  aliases: string[];
  /** Prefix length of the network's subnet (0 without an address). */
  prefix: number;
}

interface ActiveEndpoint extends EndpointInfo {
  network: string;
  networkId: string;
  /** eth0, eth1, ... ("" on host and none). */
  ifname: string;
  /** The bridge-side veth in the guest ("" on host and none). */
  hostIf: string;
  defaultRoute: boolean;
}

/** A container's endpoint on bridge network `n`, before the guest makes it (no host-side veth yet). */
function bridgeEndpoint(n: NetworkRecord, ip: string, aliases: readonly string[], ifname: string, defaultRoute: boolean): ActiveEndpoint {
  return {
    network: n.name,
    networkId: n.id,
    ipAddress: ip,
    gateway: n.internal ? "" : n.gateway,
    macAddress: macForIp(ip),
    aliases: [...aliases],
    prefix: parseCidr(n.subnet)!.prefix,
    ifname,
    hostIf: "",
    defaultRoute,
  };
}

interface ActiveContainer {
  vm: GuestVM;
  pid: number;
  endpoints: ActiveEndpoint[];
}

export interface NetworkServiceOptions {
  /** dockerd's network events: create, destroy, connect, disconnect. */
  onEvent?: (action: string, network: { id: string; name: string; driver: NetworkDriver }, attributes: Record<string, string>) => void;
  /** The running guest, if any: lets `remove` delete the network's bridge from it. */
  vm?: () => GuestVM | null | undefined;
}

export type NetworkMembershipListener = (containerIds: string[]) => void;

const LOCALHOST = "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n";

export class NetworkService {
  readonly store: NetworkStore;
  private active = new Map<string, ActiveContainer>();
  private listeners = new Set<NetworkMembershipListener>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    refs: RefStore,
    private readonly options: NetworkServiceOptions = {},
  ) {
    this.store = new NetworkStore(refs, { activeEndpoints: (id) => this.activeCount(id) });
  }

  /** Runs mutations one at a time (address allocation must not race). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue
      .then(() => this.store.load())
      .then(() => {
        this.sweep();
        return fn();
      });
    this.queue = run.catch(() => {});
    return run;
  }

  /** Forgets the endpoints of a VM that has stopped (they went with it). */
  private sweep(): void {
    for (const [id, c] of this.active) if (!c.vm.running) this.active.delete(id);
  }

  private activeCount(networkId: string): number {
    this.sweep();
    let n = 0;
    for (const c of this.active.values()) n += c.endpoints.filter((e) => e.networkId === networkId).length;
    return n;
  }

  private event(action: string, n: NetworkRecord, attributes: Record<string, string> = {}): void {
    this.options.onEvent?.(action, { id: n.id, name: n.name, driver: n.driver }, { name: n.name, type: n.driver, ...attributes });
  }

  // ---------- networks ----------

  async create(opts: { name: string; subnet?: string; internal?: boolean; labels?: Record<string, string> }): Promise<NetworkInfo & { labels: Record<string, string> }> {
    const rec = await this.serial(() => this.store.create(opts));
    this.event("create", rec);
    return this.info(rec);
  }

  async list(): Promise<(NetworkInfo & { labels: Record<string, string> })[]> {
    await this.store.load();
    return this.store.list().map((n) => this.info(n));
  }

  async inspect(nameOrId: string): Promise<NetworkInfo & { labels: Record<string, string> }> {
    await this.store.load();
    return this.info(this.store.find(nameOrId));
  }

  async remove(nameOrId: string): Promise<void> {
    const rec = await this.serial(async () => {
      const n = await this.store.remove(nameOrId);
      await this.dropBridge(n);
      return n;
    });
    this.event("destroy", rec);
  }

  async prune(): Promise<PruneResult> {
    const removed = await this.serial(async () => {
      const list = await this.store.prune();
      for (const n of list) await this.dropBridge(n);
      return list;
    });
    for (const n of removed) this.event("destroy", n);
    return { deleted: removed.map((n) => n.name), spaceReclaimed: 0 };
  }

  private async dropBridge(n: NetworkRecord): Promise<void> {
    const vm = this.options.vm?.();
    if (vm && vm.running && hasBridge(vm, n)) await removeBridge(vm, n).catch(() => {});
  }

  /** The running containers on a network (inspect's Containers), by container ID. */
  async endpoints(nameOrId: string): Promise<Record<string, { name: string; ipAddress: string; prefix: number; macAddress: string; aliases: string[] }>> {
    await this.store.load();
    return this.endpointsOf(this.store.find(nameOrId));
  }

  private endpointsOf(n: NetworkRecord): Record<string, { name: string; ipAddress: string; prefix: number; macAddress: string; aliases: string[] }> {
    const out: Record<string, { name: string; ipAddress: string; prefix: number; macAddress: string; aliases: string[] }> = {};
    this.sweep();
    for (const [id, c] of this.active) {
      const e = c.endpoints.find((x) => x.networkId === n.id);
      if (!e) continue;
      out[id] = { name: this.store.container(id)?.name ?? "", ipAddress: e.ipAddress, prefix: e.prefix, macAddress: e.macAddress, aliases: [...e.aliases] };
    }
    return out;
  }

  private info(n: NetworkRecord): NetworkInfo & { labels: Record<string, string> } {
    const containers: NetworkInfo["containers"] = {};
    for (const [id, e] of Object.entries(this.endpointsOf(n))) {
      containers[id] = { name: e.name, ipAddress: e.ipAddress ? `${e.ipAddress}/${e.prefix}` : "", aliases: e.aliases };
    }
    return {
      id: n.id,
      name: n.name,
      driver: n.driver,
      scope: "local",
      internal: n.internal,
      subnet: n.subnet,
      gateway: n.gateway,
      created: n.created,
      containers,
      labels: { ...n.labels },
    };
  }

  // ---------- containers ----------

  /**
   * Before a container's process is made: records its network settings (the
   * first time: its --network network first, before any it was connected to
   * while created) and says which namespace it needs. host shares the guest's
   * network namespace; none and the bridge networks get their own.
   */
  prepare(
    containerId: string,
    req: { mode: string; aliases?: string[]; name: string; hostname: string },
  ): Promise<{ hostNetwork: boolean; networkNamespace: boolean }> {
    return this.serial(async () => {
      const mode = !req.mode || req.mode === "default" ? "bridge" : req.mode;
      if (mode.startsWith("container:")) throw new BerthError("invalid-argument", `network mode ${mode} is not supported`);
      const n = this.store.find(mode);
      const aliases = req.aliases ?? [];
      if (aliases.length && !isUserNetwork(n)) {
        throw new BerthError("invalid-argument", "network-scoped alias is supported only for containers in user defined networks");
      }
      const old = this.store.container(containerId);
      const rec: ContainerNetworks = old
        ? { ...old, name: req.name, hostname: req.hostname }
        : { containerId, name: req.name, hostname: req.hostname, mode, prepared: false, endpoints: [] };
      if (!rec.prepared) {
        rec.mode = mode;
        rec.prepared = true;
        if (!rec.endpoints.some((e) => e.networkId === n.id)) {
          if (n.driver === "host" && rec.endpoints.length > 0) throw hostModeError();
          if (n.driver === "null" && rec.endpoints.length > 0) throw privateModeError();
          rec.endpoints = [{ network: n.name, networkId: n.id, aliases: [...aliases] }, ...rec.endpoints];
        }
      }
      await this.store.saveContainer(rec);
      return { hostNetwork: n.driver === "host", networkNamespace: n.driver !== "host" };
    });
  }

  /**
   * After the container's process exists (spawned paused, not yet resumed):
   * gives it its addresses and connects its network namespace to the bridges.
   * Returns its settings per network name.
   */
  connectTask(vm: GuestVM, containerId: string, pid: number): Promise<Record<string, EndpointInfo>> {
    return this.withMembership([containerId], async () => {
      const rec = this.store.container(containerId);
      if (!rec) throw new BerthError("internal", `container ${containerId} has no network settings (prepare was not called)`);
      if (this.active.has(containerId)) this.active.delete(containerId);
      const endpoints: ActiveEndpoint[] = [];
      const requests: AttachRequest[] = [];
      let routed = false;
      for (const e of rec.endpoints) {
        const n = this.resolve(e);
        if (n.driver !== "bridge") {
          endpoints.push({ network: n.name, networkId: n.id, ipAddress: "", gateway: "", macAddress: "", aliases: [...e.aliases], prefix: 0, ifname: "", hostIf: "", defaultRoute: false });
          continue;
        }
        const ip = this.store.allocateIp(n, containerId, e.ipAddress);
        const defaultRoute: boolean = !routed && !n.internal;
        routed ||= defaultRoute;
        const ep = bridgeEndpoint(n, ip, e.aliases, `eth${requests.length}`, defaultRoute);
        requests.push({ pid, network: n, ip, prefix: ep.prefix, defaultRoute, ifname: ep.ifname, macAddress: ep.macAddress });
        endpoints.push(ep);
        // Reserve it before the guest work, so the record says what the guest will have.
        e.ipAddress = ip;
        e.macAddress = ep.macAddress;
        e.network = n.name;
        e.networkId = n.id;
      }
      await this.store.saveContainer(rec);
      const attached = await attachAll(vm, requests);
      let k = 0;
      for (const ep of endpoints) if (ep.ifname) ep.hostIf = attached[k++]!.hostIf;
      this.active.set(containerId, { vm, pid, endpoints });
      for (const ep of endpoints) this.event("connect", this.store.find(ep.networkId), { container: containerId });
      return Object.fromEntries(endpoints.map((ep) => [ep.network, publicInfo(ep)]));
    });
  }

  /**
   * When the container's process has ended: forgets its endpoints (they went
   * with its network namespace). Its addresses stay reserved for it.
   */
  disconnectTask(_vm: GuestVM, containerId: string): Promise<void> {
    return this.withMembership([], async () => {
      const c = this.active.get(containerId);
      if (!c) return;
      this.active.delete(containerId);
      for (const ep of c.endpoints) {
        const n = this.store.lookup(ep.networkId);
        if (n) this.event("disconnect", n, { container: containerId });
      }
    });
  }

  /** When the container is removed: frees its addresses and settings. */
  release(containerId: string): Promise<void> {
    return this.withMembership([], async () => {
      this.active.delete(containerId);
      await this.store.deleteContainer(containerId);
    });
  }

  /** The container was renamed: its name in other containers' hosts files follows. */
  rename(containerId: string, name: string): Promise<void> {
    return this.withMembership([], async () => {
      const rec = this.store.container(containerId);
      if (rec) await this.store.saveContainer({ ...rec, name });
    });
  }

  /**
   * docker network connect: records the network for a created or stopped
   * container; with `pid` (it is running) also connects it in the guest now.
   * `name`, `hostname` and `mode` are for a container prepare has not seen yet.
   */
  connect(
    vm: GuestVM | null | undefined,
    network: string,
    containerId: string,
    opts: { aliases?: string[]; name?: string; hostname?: string; mode?: string } = {},
    pid?: number,
  ): Promise<EndpointInfo | null> {
    return this.withMembership([], async (): Promise<EndpointInfo | null> => {
      const n = this.store.find(network);
      const rec: ContainerNetworks = this.store.container(containerId) ?? {
        containerId,
        name: opts.name ?? "",
        hostname: opts.hostname ?? "",
        mode: opts.mode ?? "bridge",
        prepared: false,
        endpoints: [],
      };
      const aliases = opts.aliases ?? [];
      const modeNet = this.store.lookup(rec.mode);
      if (n.driver === "host" || modeNet?.driver === "host" || rec.endpoints.some((e) => this.store.lookup(e.networkId)?.driver === "host")) {
        throw hostModeError();
      }
      if (rec.endpoints.some((e) => e.networkId === n.id)) {
        throw new BerthError("conflict", `endpoint with name ${rec.name || containerId.slice(0, 12)} already exists in network ${n.name}`);
      }
      const hasNone = rec.endpoints.some((e) => this.store.lookup(e.networkId)?.driver === "null") || (!rec.prepared && modeNet?.driver === "null");
      const others = rec.endpoints.length > 0 || (!rec.prepared && modeNet !== undefined);
      if ((n.driver === "null" && others) || hasNone) throw privateModeError();
      if (aliases.length && !isUserNetwork(n)) {
        throw new BerthError("invalid-argument", "network-scoped alias is supported only for containers in user defined networks");
      }
      const settings: EndpointSettings = { network: n.name, networkId: n.id, aliases: [...aliases] };
      const running = this.active.get(containerId);
      if (pid !== undefined && vm && running) {
        const taken = new Set(running.endpoints.map((e) => e.ifname));
        let k = 0;
        while (taken.has(`eth${k}`)) k++;
        const ip = this.store.allocateIp(n, containerId);
        const defaultRoute = !n.internal && !running.endpoints.some((e) => e.defaultRoute);
        const ep = bridgeEndpoint(n, ip, aliases, `eth${k}`, defaultRoute);
        settings.ipAddress = ip;
        settings.macAddress = ep.macAddress;
        rec.endpoints.push(settings);
        await this.store.saveContainer(rec);
        try {
          const [a] = await attachAll(vm, [{ pid, network: n, ip, prefix: ep.prefix, defaultRoute, ifname: ep.ifname, macAddress: ep.macAddress }]);
          ep.hostIf = a!.hostIf;
        } catch (err) {
          rec.endpoints = rec.endpoints.filter((e) => e !== settings);
          await this.store.saveContainer(rec);
          throw err;
        }
        running.endpoints.push(ep);
        this.event("connect", n, { container: containerId });
        return publicInfo(ep);
      }
      rec.endpoints.push(settings);
      await this.store.saveContainer(rec);
      return null;
    });
  }

  /**
   * docker network disconnect: removes the network from the container's
   * settings (freeing its address there) and, if it is running, its endpoint
   * from the guest. `force` tolerates a network or container that is gone.
   */
  disconnect(vm: GuestVM | null | undefined, network: string, containerId: string, opts: { force?: boolean } = {}): Promise<void> {
    return this.withMembership([], async () => {
      const n = this.store.lookup(network);
      const rec = this.store.container(containerId);
      if (!n) {
        if (!opts.force) throw new BerthError("not-found", `network ${network} not found`);
        if (rec) await this.store.saveContainer({ ...rec, endpoints: rec.endpoints.filter((e) => e.network !== network) });
        return;
      }
      if (n.driver === "host") throw hostModeError();
      const settings = rec?.endpoints.find((e) => e.networkId === n.id);
      const running = this.active.get(containerId);
      const ep = running?.endpoints.find((e) => e.networkId === n.id);
      if (!settings && !ep) {
        if (opts.force) return;
        throw new BerthError("invalid-argument", `container ${containerId} is not connected to network ${n.name}`);
      }
      if (ep && running) {
        const live = vm && vm === running.vm && vm.running ? vm : null;
        if (ep.hostIf && live) await detach(live, [ep.hostIf]);
        running.endpoints = running.endpoints.filter((e) => e !== ep);
        // The default route went with the endpoint: the next network with a gateway gets it.
        const next = ep.defaultRoute ? running.endpoints.find((e) => e.hostIf && e.gateway) : undefined;
        if (next && live) {
          await setDefaultRoute(live, running.pid, next.gateway).catch(() => {});
          next.defaultRoute = true;
        }
        this.event("disconnect", n, { container: containerId });
      }
      if (rec) await this.store.saveContainer({ ...rec, endpoints: rec.endpoints.filter((e) => e !== settings) });
    });
  }

  /**
   * A container's settings per network name, for docker inspect: what it has
   * in the guest while running, else what is recorded (addresses it will get
   * back, "" before its first start).
   */
  async containerNetworks(containerId: string): Promise<Record<string, EndpointInfo>> {
    await this.store.load();
    const c = this.active.get(containerId);
    if (c && c.vm.running) return Object.fromEntries(c.endpoints.map((ep) => [ep.network, publicInfo(ep)]));
    const out: Record<string, EndpointInfo> = {};
    for (const e of this.store.container(containerId)?.endpoints ?? []) {
      const n = this.store.lookup(e.networkId) ?? this.store.lookup(e.network);
      const prefix = e.ipAddress && n?.subnet ? parseCidr(n.subnet)!.prefix : 0;
      out[e.network] = {
        ipAddress: e.ipAddress ?? "",
        gateway: e.ipAddress && n && !n.internal ? n.gateway : "",
        macAddress: e.macAddress ?? "",
        aliases: [...e.aliases],
        prefix,
      };
    }
    return out;
  }

  // ---------- name resolution ----------

  /**
   * The text of a container's /etc/hosts: localhost, its own address and
   * hostname (with its name and aliases on user networks), and one line per
   * running container it shares a user-defined network with: "<ip> <name>
   * <aliases...> <short id>". Only localhost while it is not running or has
   * no address (host, none).
   */
  hostsFile(containerId: string): string {
    const me = this.active.get(containerId);
    const rec = this.store.container(containerId);
    let text = LOCALHOST;
    if (!me || !rec || !me.vm.running) return text;
    const own = me.endpoints.find((e) => e.ipAddress);
    if (!own) return text;
    const ownNames = [rec.hostname || containerId.slice(0, 12)];
    const ownNet = this.store.lookup(own.networkId);
    if (ownNet && isUserNetwork(ownNet)) ownNames.push(rec.name, ...own.aliases);
    text += `${own.ipAddress} ${unique(ownNames).join(" ")}\n`;
    const lines: [number, string][] = [];
    for (const e of me.endpoints) {
      const n = this.store.lookup(e.networkId);
      if (!n || !isUserNetwork(n)) continue;
      for (const [otherId, other] of this.active) {
        if (otherId === containerId || other.vm !== me.vm) continue;
        const oe = other.endpoints.find((x) => x.networkId === n.id);
        const orec = this.store.container(otherId);
        if (!oe?.ipAddress || !orec) continue;
        const line = `${oe.ipAddress} ${unique([orec.name, ...oe.aliases, otherId.slice(0, 12)]).join(" ")}`;
        if (!lines.some(([, l]) => l === line)) lines.push([parseIPv4(oe.ipAddress)!, line]);
      }
    }
    lines.sort((a, b) => a[0] - b[0]);
    for (const [, l] of lines) text += `${l}\n`;
    return text;
  }

  /**
   * Calls `listener` with the running containers whose hostsFile text changed
   * (a container on a shared user network started, stopped, was connected,
   * disconnected or renamed). The container a connectTask is for is left out:
   * its caller writes that file next. Returns an unsubscribe function.
   */
  onMembershipChange(listener: NetworkMembershipListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs a mutation and tells the listeners whose hosts files it changed. */
  private withMembership<T>(exclude: string[], fn: () => Promise<T>): Promise<T> {
    return this.serial(async () => {
      const before = new Map([...this.active.keys()].map((id) => [id, this.hostsFile(id)]));
      try {
        return await fn();
      } finally {
        const changed = [...this.active.keys()].filter((id) => !exclude.includes(id) && before.get(id) !== this.hostsFile(id));
        if (changed.length) for (const l of this.listeners) l(changed);
      }
    });
  }

  /** The network an endpoint setting refers to: by ID, else (recreated) by name, else not found. */
  private resolve(e: EndpointSettings): NetworkRecord {
    const n = this.store.lookup(e.networkId) ?? this.store.lookup(e.network);
    if (!n) throw new BerthError("not-found", `network ${e.network} not found`);
    if (n.id !== e.networkId) {
      // A network of that name made since: the old address means nothing there.
      delete e.ipAddress;
      delete e.macAddress;
    }
    return n;
  }
}

function hostModeError(): BerthError {
  return new BerthError("conflict", "container cannot be disconnected from host network or connected to host network");
}

function privateModeError(): BerthError {
  return new BerthError("conflict", "container cannot be connected to multiple networks with one of the networks in private (none) mode");
}

function publicInfo(ep: ActiveEndpoint): EndpointInfo {
  return { ipAddress: ep.ipAddress, gateway: ep.gateway, macAddress: ep.macAddress, aliases: [...ep.aliases], prefix: ep.prefix };
}

function unique(items: string[]): string[] {
  return [...new Set(items.filter(Boolean))];
}
