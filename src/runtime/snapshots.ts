// Snapshots in the guest, after containerd's snapshotter: image layers are
// unpacked once each (keyed by diff id) into directories that serve as
// overlayfs lower layers; an active snapshot is an overlay of such lowers
// and an upper directory of its own, mounted in the agent's namespace so the
// host can read and write its files; committing turns the upper directory
// into an OCI layer.
import type { Digest } from "../core/digest.ts";
import { gunzip, gzip, isGzip } from "../core/compress.ts";
import type { ContentStore } from "../core/content.ts";
import { BerthError } from "../core/errors.ts";
import { overlayUpperToLayer, splitForGuest } from "../core/layers.ts";
import { MediaType } from "../core/media-types.ts";
import { sha256 } from "../core/sha256.ts";
import type { GuestVM } from "../vm/guest.ts";

export const WORK_ROOT = "/var/lib/berth";
const LAYERS = `${WORK_ROOT}/layers`;
const SNAPSHOTS = `${WORK_ROOT}/snapshots`;
/** Mount points every container needs, kept out of its own upper layer. */
const INIT_LAYER = `${WORK_ROOT}/init`;
const EMPTY_LAYER = `${WORK_ROOT}/empty`;

export interface LayerRef {
  /** Digest of the blob in the content store. */
  digest: Digest;
  /** Digest of the uncompressed tar. */
  diffId: Digest;
  mediaType?: string;
}

export interface Snapshot {
  key: string;
  dir: string;
  upper: string;
  work: string;
  /** Where the merged filesystem is mounted (the container's rootfs). */
  merged: string;
  lowers: string[];
}

export interface CommittedLayer {
  digest: Digest;
  diffId: Digest;
  size: number;
  /** The gzip blob, already stored in the content store. */
  mediaType: string;
}

const hex = (d: string) => d.replace(/^sha256:/, "");

export class GuestSnapshots {
  private unpacked = new Map<string, Promise<string>>();
  private ready: Promise<void> | null = null;
  private seq = 0;

  constructor(
    private readonly vm: GuestVM,
    private readonly content: ContentStore,
  ) {}

  private setup(): Promise<void> {
    this.ready ??= (async () => {
      const r = await this.vm.exec([
        "sh",
        "-c",
        `mkdir -p ${LAYERS} ${SNAPSHOTS} ${EMPTY_LAYER} ${INIT_LAYER}/dev ${INIT_LAYER}/proc ${INIT_LAYER}/sys ${INIT_LAYER}/etc &&
         touch ${INIT_LAYER}/etc/hosts ${INIT_LAYER}/etc/hostname ${INIT_LAYER}/etc/resolv.conf`,
      ]);
      if (r.exitCode !== 0) throw new BerthError("guest", `preparing the guest's work area: ${r.stderr.trim()}`);
    })();
    return this.ready;
  }

  /** The guest directory holding a layer's files, unpacking it the first time. */
  ensureLayer(layer: LayerRef): Promise<string> {
    const key = hex(layer.diffId);
    let p = this.unpacked.get(key);
    if (!p) {
      p = this.unpack(layer).catch((err) => {
        this.unpacked.delete(key);
        throw err;
      });
      this.unpacked.set(key, p);
    }
    return p;
  }

  private async unpack(layer: LayerRef): Promise<string> {
    await this.setup();
    const dir = `${LAYERS}/${hex(layer.diffId)}`;
    const blob = await this.content.get(layer.digest);
    const tar = isGzip(blob) ? await gunzip(blob) : blob;
    const { tar: plain, whiteouts, opaqueDirs } = splitForGuest(tar);
    // Unpack into a temporary directory; it gets its final name only when complete.
    const tmp = `${dir}.partial`;
    await this.vm.remove(tmp, { recursive: true });
    await this.vm.extractTar(plain, tmp);
    for (const d of opaqueDirs) await this.vm.markOpaque(`${tmp}/${d}`);
    for (const w of whiteouts) await this.vm.whiteout(`${tmp}/${w}`);
    await this.vm.remove(dir, { recursive: true });
    const mv = await this.vm.exec(["mv", tmp, dir]);
    if (mv.exitCode !== 0) throw new BerthError("guest", `unpacking layer ${layer.diffId}: ${mv.stderr.trim()}`);
    return dir;
  }

  /**
   * An active snapshot over the given layers (bottom first), mounted at its
   * `merged` directory. `init` adds the mount points containers need
   * (dev, proc, sys, etc/hosts...) as a lower layer that is never committed.
   */
  async prepare(layers: LayerRef[], opts: { init?: boolean; key?: string } = {}): Promise<Snapshot> {
    await this.setup();
    const lowerDirs = await Promise.all(layers.map((l) => this.ensureLayer(l)));
    const key = opts.key ?? `s${Date.now().toString(36)}${(++this.seq).toString(36)}`;
    const dir = `${SNAPSHOTS}/${key}`;
    const snap: Snapshot = { key, dir, upper: `${dir}/upper`, work: `${dir}/work`, merged: `${dir}/merged`, lowers: [] };
    // overlayfs lists the topmost lower first.
    snap.lowers = [...(opts.init ? [INIT_LAYER] : []), ...lowerDirs.reverse()];
    if (snap.lowers.length === 0) snap.lowers.push(EMPTY_LAYER);
    // Sent together, the mount last: the agent does them in order and answers
    // them in one go (each round trip costs).
    await Promise.all([
      ...[snap.upper, snap.work, snap.merged].map((d) => this.vm.mkdir(d, { parents: true })),
      this.vm.mount({
        source: "overlay",
        target: snap.merged,
        type: "overlay",
        data: `lowerdir=${snap.lowers.join(":")},upperdir=${snap.upper},workdir=${snap.work}`,
      }),
    ]);
    return snap;
  }

  /**
   * The changes in a snapshot's upper directory, as an OCI layer stored in the content store.
   * The tar is made once (whiteouts, opaque markers, sorting and the mtime
   * clamp in one pass); the gzip and the diffId hash run side by side, and
   * the blob's digest is the content store's own hash of what it stored.
   */
  async commit(snap: Snapshot, opts: { clampMtime?: number } = {}): Promise<CommittedLayer> {
    const [upperTar, opaque] = await Promise.all([this.vm.createTar(snap.upper), this.vm.listOpaque(snap.upper)]);
    // Reproducible layers (clampMtime = SOURCE_DATE_EPOCH): no file newer than it.
    const ociTar = overlayUpperToLayer(upperTar, opaque, { clampMtime: opts.clampMtime });
    const [gz, diffId] = await Promise.all([gzip(ociTar), sha256(ociTar)]);
    const w = await this.content.ingest({ size: gz.length });
    let digest: Digest;
    try {
      await w.write(gz);
      ({ digest } = await w.commit());
    } catch (err) {
      await w.abort();
      throw err;
    }
    // The upper directory now is that layer: keep it as an unpacked layer.
    return { digest, diffId, size: gz.length, mediaType: MediaType.OciLayerGzip };
  }

  /** Unmounts and deletes a snapshot. */
  async remove(snap: Snapshot): Promise<void> {
    await this.vm.umount(snap.merged, { detach: true }).catch(() => {});
    await this.vm.remove(snap.dir, { recursive: true });
  }
}
