import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { gunzip } from "../../../src/core/compress.ts";
import { LayeredView } from "../../../src/core/layers.ts";
import { parseImageConfig, parseImageIndex, parseImageManifest } from "../../../src/core/oci.ts";
import { BUNDLED_IMAGES_DIR, directoryReader } from "../../../src/engine/bundled.node.ts";
import { BUNDLED_IMAGES, fetchReader, importBundledImages } from "../../../src/engine/bundled.ts";
import { ImageStore } from "../../../src/engine/images.ts";
import { createMemoryStorage } from "../../../src/storage/memory.ts";

const BUSYBOX = "/bin/busybox";
const layoutDir = join(BUNDLED_IMAGES_DIR, "busybox");
const tmp = mkdtempSync(join(tmpdir(), "berth-bundled-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function listLayout(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ["oci-layout", "index.json"]) out[name] = readFileSync(join(dir, name), "utf8");
  for (const name of readdirSync(join(dir, "blobs/sha256")).sort()) out[`blobs/sha256/${name}`] = String(readFileSync(join(dir, "blobs/sha256", name)).length);
  return out;
}

function runScript(out: string): void {
  execFileSync(process.execPath, ["--import", "tsx", "wasm/make-busybox-image.ts", "--busybox", BUSYBOX, "--out", out], {
    cwd: join(BUNDLED_IMAGES_DIR, "../.."),
    stdio: "pipe",
  });
}

describe.skipIf(!existsSync(BUSYBOX))("wasm/make-busybox-image.ts", () => {
  it("writes the same layout, byte for byte, run after run", () => {
    runScript(join(tmp, "a"));
    runScript(join(tmp, "b"));
    const a = listLayout(join(tmp, "a"));
    expect(Object.keys(a)).toHaveLength(5); // oci-layout, index.json, manifest, config, layer
    expect(listLayout(join(tmp, "b"))).toEqual(a);
    for (const path of Object.keys(a).filter((p) => p.startsWith("blobs/"))) {
      expect(readFileSync(join(tmp, "b", path)).equals(readFileSync(join(tmp, "a", path)))).toBe(true);
    }
  });

  it("matches the committed public/images/busybox when made from the same busybox build", () => {
    const banner = execFileSync(BUSYBOX, [], { encoding: "utf8" }).split("\n")[0]!.replace(/ multi-call binary\.?$/, "");
    const index = parseImageIndex(readFileSync(join(layoutDir, "index.json")));
    const manifest = parseImageManifest(readFileSync(join(layoutDir, "blobs/sha256", index.manifests[0]!.digest.slice(7))));
    const config = parseImageConfig(readFileSync(join(layoutDir, "blobs/sha256", manifest.config.digest.slice(7))));
    if (!config.history![0]!.created_by!.includes(banner)) return; // another busybox build: digests differ by design
    runScript(join(tmp, "c"));
    expect(listLayout(join(tmp, "c"))).toEqual(listLayout(layoutDir));
  });
});

describe("bundled images", () => {
  it("imports public/images/busybox as busybox:latest, once", async () => {
    const storage = createMemoryStorage();
    const images = new ImageStore(storage.content, storage.refs);
    const first = await importBundledImages(images, directoryReader());
    expect(first).toEqual([{ name: "docker.io/library/busybox:latest", id: expect.stringMatching(/^sha256:/), imported: true }]);

    const image = await images.resolve("busybox");
    expect(image.id).toBe(first[0]!.id);
    expect(image.tags).toEqual(["busybox:latest"]);
    expect(image.config).toMatchObject({
      architecture: "386",
      os: "linux",
      config: { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"] },
    });
    expect(image.config.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const layers = await images.layers(image);
    expect(layers.map((l) => l.history.empty_layer ?? false)).toEqual([false, true]);
    expect(layers[1]!.history.created_by).toBe('CMD ["sh"]');

    // The layer is a usable root filesystem.
    const tar = await gunzip(await storage.content.get(image.manifest.layers[0]!.digest));
    const view = LayeredView.fromTars([tar]);
    expect(view.readText("etc/passwd").split("\n")[0]).toBe("root:x:0:0:root:/root:/bin/sh");
    expect(view.readText("etc/passwd")).toContain("nobody:x:65534:65534:");
    expect(view.readText("etc/group")).toContain("root:x:0:");
    expect(view.lookup("bin/sh")!.ino).toBe(view.lookup("bin/busybox")!.ino);
    expect(view.lookup("usr/bin/env")!.ino).toBe(view.lookup("bin/busybox")!.ino);
    expect(view.lookup("bin/busybox")).toMatchObject({ type: "file", mode: 0o755 });
    expect(view.readFile("bin/busybox").subarray(0, 4)).toEqual(new Uint8Array([0x7f, 0x45, 0x4c, 0x46]));
    expect(view.lookup("tmp")!.mode).toBe(0o1777);
    expect(view.lookup("root")!.mode).toBe(0o700);
    for (const dir of ["dev", "proc", "sys", "home", "var/spool/mail", "var/www", "usr/sbin"]) expect(view.lookup(dir)?.type).toBe("dir");
    expect(view.lookup("linuxrc")).toBeUndefined();
    expect(view.lookup("etc/hostname")).toBeUndefined();

    // Again: nothing to do, nothing changes.
    const refsBefore = await storage.refs.listRefs();
    expect(await importBundledImages(images, directoryReader())).toEqual([{ ...first[0], imported: false }]);
    expect(await storage.refs.listRefs()).toEqual(refsBefore);

    // After the user removes it, the next start brings it back.
    await images.remove("busybox");
    expect((await importBundledImages(images, directoryReader()))[0]!.imported).toBe(true);
  });

  it("reads the layout over fetch, as the page and worker do", async () => {
    const requested: string[] = [];
    const fakeFetch = (async (input: URL | RequestInfo) => {
      const url = new URL(String(input));
      requested.push(url.pathname);
      const prefix = "/app/images/";
      const bytes = url.pathname.startsWith(prefix) ? await directoryReader()(url.pathname.slice(prefix.length)) : null;
      return bytes === null ? new Response("not found", { status: 404 }) : new Response(bytes as Uint8Array<ArrayBuffer>);
    }) as typeof fetch;
    const storage = createMemoryStorage();
    const images = new ImageStore(storage.content, storage.refs);
    const result = await importBundledImages(images, fetchReader("http://berth.test/app/images", fakeFetch));
    expect(result[0]!.imported).toBe(true);
    expect(requested).toContain("/app/images/busybox/index.json");
    expect((await images.resolve("busybox")).id).toBe(result[0]!.id);

    const read = fetchReader("http://berth.test/app/images/", fakeFetch);
    expect(await read("nope/index.json")).toBeNull();
    const failing = fetchReader("http://berth.test/", (async () => new Response("", { status: 500 })) as typeof fetch);
    await expect(failing("x")).rejects.toThrow(/cannot fetch http:\/\/berth.test\/x: HTTP 500/);
  });

  it("lists the bundled images", () => {
    expect(BUNDLED_IMAGES.map((i) => i.name)).toEqual(["docker.io/library/busybox:latest"]);
  });
});
