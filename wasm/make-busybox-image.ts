// Writes the bundled base image, busybox for linux/386, as an OCI image
// layout in public/images/busybox/ (oci-layout, index.json, blobs/sha256/...).
//
//   node --import tsx wasm/make-busybox-image.ts [--busybox /bin/busybox] [--out DIR]
//
// It is made from Debian's i386 busybox-static (the same binary as the guest's
// initramfs): one layer with bin/busybox, a hard link per applet at the path
// `busybox --list-full` gives, etc/passwd and etc/group like Docker's busybox
// image, and the usual directories. Every mtime and the created time are
// fixed and the layer is built by src/core/layers.ts, so the same binary
// always gives the same layer, config and manifest digests.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { canonicalBlob, canonicalJsonBytes, Shapes } from "../src/core/canonical-json.ts";
import { buildLayer } from "../src/core/layers.ts";
import { MediaType } from "../src/core/media-types.ts";
import type { Descriptor, ImageConfig } from "../src/core/oci.ts";
import type { TarEntryInput } from "../src/core/tar.ts";

export const IMAGE_NAME = "docker.io/library/busybox:latest";
/** 2024-01-01T00:00:00Z: every mtime in the layer and the image's created time. */
const EPOCH = 1_704_067_200;
const CREATED = new Date(EPOCH * 1000).toISOString().replace(".000Z", "Z");
const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

const PASSWD = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
`;

const GROUP = `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nogroup:x:65534:
`;

const DIRS: readonly [path: string, mode: number][] = [
  ["bin", 0o755],
  ["dev", 0o755],
  ["etc", 0o755],
  ["home", 0o755],
  ["proc", 0o755],
  ["root", 0o700],
  ["sbin", 0o755],
  ["sys", 0o755],
  ["tmp", 0o1777],
  ["usr", 0o755],
  ["usr/bin", 0o755],
  ["usr/sbin", 0o755],
  ["var", 0o755],
  ["var/spool", 0o755],
  ["var/spool/mail", 0o755],
  ["var/www", 0o755],
];

function args(): { busybox: string; out: string } {
  const here = dirname(fileURLToPath(import.meta.url));
  const result = { busybox: "/bin/busybox", out: join(here, "..", "public", "images", "busybox") };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if ((flag === "--busybox" || flag === "--out") && value !== undefined) {
      result[flag === "--busybox" ? "busybox" : "out"] = resolve(value);
      i++;
    } else {
      throw new Error(`usage: node --import tsx wasm/make-busybox-image.ts [--busybox PATH] [--out DIR] (unexpected ${flag})`);
    }
  }
  return result;
}

async function main(): Promise<void> {
  const { busybox, out } = args();
  const binary = new Uint8Array(readFileSync(busybox));
  // "BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) multi-call binary." names the build.
  const banner = execFileSync(busybox, [], { encoding: "utf8" }).split("\n")[0]!.replace(/ multi-call binary\.?$/, "");
  const applets = execFileSync(busybox, ["--list-full"], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.trim())
    .filter((path) => path !== "" && path !== "linuxrc" && path !== "bin/busybox");

  const common = { uid: 0, gid: 0, mtime: EPOCH };
  const entries: TarEntryInput[] = [
    ...DIRS.map(([path, mode]): TarEntryInput => ({ path, type: "dir", mode, ...common })),
    { path: "bin/busybox", type: "file", mode: 0o755, data: binary, ...common },
    ...applets.map((path): TarEntryInput => ({ path, type: "hardlink", linkname: "bin/busybox", mode: 0o755, ...common })),
    { path: "etc/passwd", type: "file", mode: 0o644, data: PASSWD, ...common },
    { path: "etc/group", type: "file", mode: 0o644, data: GROUP, ...common },
  ];
  const layer = await buildLayer(entries);

  const config: ImageConfig = {
    created: CREATED,
    architecture: "386",
    os: "linux",
    config: { Env: [`PATH=${PATH}`], Cmd: ["sh"] },
    rootfs: { type: "layers", diff_ids: [layer.diffId] },
    history: [
      { created: CREATED, created_by: `ADD ${banner}, ${applets.length} applets, /etc/passwd, /etc/group in / # wasm/make-busybox-image.ts` },
      { created: CREATED, created_by: 'CMD ["sh"]', empty_layer: true },
    ],
  };
  const configBlob = await canonicalBlob(config, Shapes.imageConfig, MediaType.OciConfig);
  const manifestBlob = await canonicalBlob(
    { schemaVersion: 2, mediaType: MediaType.OciManifest, config: configBlob.descriptor, layers: [layer.descriptor] },
    Shapes.manifest,
    MediaType.OciManifest,
  );
  const top: Descriptor = {
    ...manifestBlob.descriptor,
    annotations: { "io.containerd.image.name": IMAGE_NAME, "org.opencontainers.image.ref.name": "latest" },
    platform: { architecture: "386", os: "linux" },
  };
  const index = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [top] };

  rmSync(join(out, "blobs"), { recursive: true, force: true });
  mkdirSync(join(out, "blobs", "sha256"), { recursive: true });
  const writeBlob = (digest: string, bytes: Uint8Array) => writeFileSync(join(out, "blobs", "sha256", digest.slice("sha256:".length)), bytes);
  writeBlob(layer.digest, layer.gz);
  writeBlob(configBlob.descriptor.digest, configBlob.bytes);
  writeBlob(manifestBlob.descriptor.digest, manifestBlob.bytes);
  writeFileSync(join(out, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(out, "index.json"), canonicalJsonBytes(index, Shapes.index));

  console.log(`${IMAGE_NAME} (${banner}, ${applets.length} applets) -> ${out}`);
  console.log(`  image id  ${configBlob.descriptor.digest}`);
  console.log(`  manifest  ${manifestBlob.descriptor.digest}`);
  console.log(`  layer     ${layer.digest} (${layer.size} bytes gz, ${layer.tar.length} tar)`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
