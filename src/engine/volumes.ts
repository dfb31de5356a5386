// Volumes, as dockerd keeps them: named or anonymous directories that outlive
// containers. While containers use a volume, its files live in one directory
// in the guest (so two running containers see each other's writes at once);
// its data is kept outside the guest, as a tar blob in the content store
// (IndexedDB in the page, the Berth home in Node), written when the last
// container using it stops, when asked to sync, and before removal. After a
// VM restart or page reload, the first mount brings the data back in.
import type { ContentStore, JsonValue, RefStore } from "../core/content.ts";
import type { Digest } from "../core/digest.ts";
import type { PruneResult, VolumeInfo } from "../core/engine-api.ts";
import { BerthError } from "../core/errors.ts";
import { putBlob } from "../core/content.ts";
import { sha256 } from "../core/sha256.ts";
import type { GuestVM } from "../vm/guest.ts";

const META = "volume/";
export const VOLUMES_DIR = "/var/lib/berth/volumes";
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

interface VolumeRecord {
  name: string;
  createdAt: string;
  labels: Record<string, string>;
  anonymous: boolean;
  /** The last synced contents (a tar blob), if any. */
  data?: { digest: Digest; size: number };
}

export class VolumeService {
  /** Volumes brought into the guest this VM session, with their guest path. */
  private inGuest = new Map<string, Promise<string>>();
  /** Which containers use a volume (mounted while they run or exist). */
  private users = new Map<string, Set<string>>();
  private vm: GuestVM | null = null;

  constructor(
    private readonly refs: RefStore,
    private readonly content: ContentStore,
    private readonly onEvent: (action: string, name: string, attrs?: Record<string, string>) => void = () => {},
  ) {}

  /** A new VM session: nothing is in the guest any more. */
  resetGuest(vm: GuestVM): void {
    this.vm = vm;
    this.inGuest.clear();
  }

  private async record(name: string): Promise<VolumeRecord | undefined> {
    return (await this.refs.getMeta(META + name)) as VolumeRecord | undefined;
  }

  private async save(rec: VolumeRecord): Promise<void> {
    await this.refs.setMeta(META + rec.name, JSON.parse(JSON.stringify(rec)) as JsonValue);
  }

  async create(opts: { name?: string; labels?: Record<string, string> } = {}, anonymous = false): Promise<VolumeInfo> {
    const name = opts.name || randomHex(32);
    if (!NAME.test(name)) {
      throw new BerthError(
        "invalid-argument",
        `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
      );
    }
    const existing = await this.record(name);
    if (existing) return this.info(existing);
    const rec: VolumeRecord = { name, createdAt: new Date().toISOString(), labels: opts.labels ?? {}, anonymous: anonymous || !opts.name };
    await this.save(rec);
    this.onEvent("create", name);
    return this.info(rec);
  }

  private async info(rec: VolumeRecord): Promise<VolumeInfo> {
    return {
      name: rec.name,
      driver: "local",
      mountpoint: `${VOLUMES_DIR}/${rec.name}/_data`,
      createdAt: rec.createdAt,
      labels: rec.labels,
      anonymous: rec.anonymous,
      usedBy: [...(this.users.get(rec.name) ?? [])],
      size: rec.data?.size ?? 0,
    };
  }

  async list(): Promise<VolumeInfo[]> {
    const out: VolumeInfo[] = [];
    for (const m of await this.refs.listMeta(META)) out.push(await this.info(m.value as unknown as VolumeRecord));
    return out;
  }

  async inspect(name: string): Promise<VolumeInfo> {
    const rec = await this.record(name);
    if (!rec) throw new BerthError("not-found", `get ${name}: no such volume`);
    await this.sync(name).catch(() => {});
    return this.info((await this.record(name))!);
  }

  async exists(name: string): Promise<boolean> {
    return (await this.record(name)) !== undefined;
  }

  /** Containers (ids) that use the volume; set by the container service. */
  setUsers(name: string, containerIds: Iterable<string>): void {
    const s = new Set(containerIds);
    if (s.size) this.users.set(name, s);
    else this.users.delete(name);
  }

  addUser(name: string, containerId: string): void {
    const s = this.users.get(name) ?? new Set<string>();
    s.add(containerId);
    this.users.set(name, s);
  }

  removeUser(name: string, containerId: string): void {
    const s = this.users.get(name);
    s?.delete(containerId);
    if (s && s.size === 0) this.users.delete(name);
  }

  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    const rec = await this.record(name);
    if (!rec) {
      if (opts.force) return;
      throw new BerthError("not-found", `get ${name}: no such volume`);
    }
    const users = this.users.get(name);
    if (users && users.size > 0) {
      throw new BerthError("conflict", `remove ${name}: volume is in use - [${[...users].join(", ")}]`);
    }
    await this.refs.deleteMeta(META + name);
    if (rec.data) await this.deleteBlobIfUnused(rec.data.digest);
    const p = this.inGuest.get(name);
    this.inGuest.delete(name);
    if (p && this.vm) await this.vm.remove(`${VOLUMES_DIR}/${name}`, { recursive: true }).catch(() => {});
    this.onEvent("destroy", name);
  }

  async prune(opts: { all?: boolean } = {}): Promise<PruneResult> {
    const deleted: string[] = [];
    let space = 0;
    for (const v of await this.list()) {
      if (v.usedBy.length > 0) continue;
      // Like docker volume prune: only anonymous volumes unless --all.
      if (!opts.all && !v.anonymous) continue;
      await this.remove(v.name);
      deleted.push(v.name);
      space += v.size;
    }
    return { deleted, spaceReclaimed: space };
  }

  /**
   * The guest directory of a volume for a container's mount, creating the
   * volume if it is new. A new (empty) volume mounted over a directory the
   * image has is first filled with the image's files, as Docker does.
   */
  async mountSource(vm: GuestVM, name: string, containerId: string, imageDir?: string): Promise<string> {
    if (this.vm !== vm) this.resetGuest(vm);
    let rec = await this.record(name);
    const isNew = !rec;
    if (!rec) {
      await this.create({ name }, false);
      rec = (await this.record(name))!;
    }
    const dir = await this.bringIn(vm, rec);
    if ((isNew || (!rec.data && !(await this.hasFiles(vm, dir)))) && imageDir) {
      // Copy-up from the image (a missing image directory is simply skipped).
      await vm.exec(["sh", "-c", `[ -d "$1" ] && cp -a "$1"/. "$2"/ || true`, "sh", imageDir, dir]);
    }
    this.addUser(name, containerId);
    return dir;
  }

  private async hasFiles(vm: GuestVM, dir: string): Promise<boolean> {
    const r = await vm.exec(["sh", "-c", `ls -A "$1" | head -1`, "sh", dir]);
    return r.stdout.trim() !== "";
  }

  private bringIn(vm: GuestVM, rec: VolumeRecord): Promise<string> {
    let p = this.inGuest.get(rec.name);
    if (!p) {
      p = (async () => {
        const dir = `${VOLUMES_DIR}/${rec.name}/_data`;
        await vm.mkdir(dir, { parents: true });
        if (rec.data) {
          const tar = await this.content.get(rec.data.digest);
          await vm.extractTar(tar, dir);
        }
        return dir;
      })().catch((err) => {
        this.inGuest.delete(rec.name);
        throw err;
      });
      this.inGuest.set(rec.name, p);
    }
    return p;
  }

  /** Writes a volume's current files (from the guest) to the store. */
  async sync(name: string): Promise<void> {
    const vm = this.vm;
    const p = this.inGuest.get(name);
    if (!vm || !p || !vm.running) return;
    const dir = await p;
    const tar = await vm.createTar(dir);
    const rec = await this.record(name);
    if (!rec) return;
    const digest = await sha256(tar);
    if (rec.data?.digest === digest) return;
    await putBlob(this.content, tar, { digest, size: tar.length });
    const old = rec.data?.digest;
    await this.save({ ...rec, data: { digest, size: tar.length } });
    if (old && old !== digest) await this.deleteBlobIfUnused(old);
  }

  /** Syncs every volume the guest holds (before a page unload, for example). */
  async syncAll(): Promise<void> {
    for (const name of this.inGuest.keys()) await this.sync(name).catch(() => {});
  }

  private async deleteBlobIfUnused(digest: Digest): Promise<void> {
    for (const m of await this.refs.listMeta(META)) {
      if ((m.value as unknown as VolumeRecord).data?.digest === digest) return;
    }
    await this.content.delete(digest).catch(() => {});
  }
}

export function randomHex(chars: number): string {
  const bytes = new Uint8Array(Math.ceil(chars / 2));
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("").slice(0, chars);
}
