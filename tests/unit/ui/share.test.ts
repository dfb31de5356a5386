import { describe, expect, it } from "vitest";
import {
  SHARE_LIMIT,
  ShareError,
  decodeShare,
  deflateRaw,
  encodeShare,
  formatBytes,
  fromBase64Url,
  isShareFragment,
  shareUrl,
  toBase64Url,
  type SharePayload,
} from "../../../src/ui/share.ts";

const enc = new TextEncoder();

/** A fragment with exactly this JSON inside, bypassing encodeShare's checks (what an attacker would craft). */
async function craft(json: unknown): Promise<string> {
  return "#share=v1." + toBase64Url(await deflateRaw(enc.encode(JSON.stringify(json))));
}

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ShareError);
    return (err as ShareError).reason + ": " + (err as Error).message;
  }
  return "no error";
}

describe("share links", () => {
  it("round-trips files, binary bytes, modes and commands", async () => {
    const payload: SharePayload = {
      files: [
        { path: "Dockerfile", data: enc.encode("FROM busybox\nCOPY . /app\n"), mode: 0o644 },
        { path: "bin/run.sh", data: enc.encode("#!/bin/sh\necho ünïcode ✓\n"), mode: 0o755 },
        { path: "blob.bin", data: new Uint8Array([0, 1, 2, 255, 254, 0]), mode: 0o600 },
        { path: "empty", data: new Uint8Array(), mode: 0o644 },
      ],
      commands: ["docker build -t app .", "docker run --rm app"],
    };
    const { fragment, size, limit } = await encodeShare(payload);
    expect(fragment).toMatch(/^share=v1\.[A-Za-z0-9_-]+$/);
    expect(size).toBe(fragment.length);
    expect(limit).toBe(SHARE_LIMIT);
    expect(isShareFragment("#" + fragment)).toBe(true);
    const back = await decodeShare("#" + fragment);
    expect(back).toEqual(payload);
    const url = shareUrl("http://127.0.0.1:4173/?x=1#old", fragment);
    expect(url).toBe(`http://127.0.0.1:4173/?x=1#${fragment}`);
    expect(await decodeShare(new URL(url).hash)).toEqual(payload);
  });

  it("carries file times and the workspace's SOURCE_DATE_EPOCH, so the files build the same image", async () => {
    const payload: SharePayload = {
      files: [
        { path: "Dockerfile", data: enc.encode("FROM busybox\n"), mode: 0o644, mtime: 1764298800123 },
        { path: "old.txt", data: enc.encode("x"), mode: 0o644 },
      ],
      commands: [],
      epoch: 1764298800,
    };
    const { fragment } = await encodeShare(payload);
    expect(await decodeShare("#" + fragment)).toEqual(payload);
    expect(await reason(decodeShare(await craft({ files: [{ path: "a", text: "1", mtime: -5 }] })))).toMatch(/^invalid: the time of "a"/);
    expect(await reason(decodeShare(await craft({ files: [], epoch: "yesterday" })))).toMatch(/^invalid: .*SOURCE_DATE_EPOCH/);
    expect(await reason(decodeShare(await craft({ files: [], epoch: 1.5 })))).toMatch(/SOURCE_DATE_EPOCH/);
  });

  it("compresses: a repetitive workspace makes a short link", async () => {
    const big = enc.encode("RUN echo hello world\n".repeat(2000));
    const { size } = await encodeShare({ files: [{ path: "Dockerfile", data: big, mode: 0o644 }], commands: [] });
    expect(size).toBeLessThan(big.byteLength / 20);
  });

  it("returns null for fragments that are not share links", async () => {
    expect(await decodeShare("")).toBeNull();
    expect(await decodeShare("#section-2")).toBeNull();
    expect(isShareFragment("#section-2")).toBe(false);
  });

  it("refuses a workspace too large for a link, with its size and the limit", async () => {
    // Random bytes do not compress (getRandomValues fills at most 64 KiB a call).
    const noise = new Uint8Array(80 * 1024);
    crypto.getRandomValues(noise.subarray(0, 65536));
    crypto.getRandomValues(noise.subarray(65536));
    const err = await encodeShare({ files: [{ path: "noise.bin", data: noise, mode: 0o644 }], commands: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShareError);
    const e = err as ShareError;
    expect(e.reason).toBe("too-large");
    expect(e.limit).toBe(SHARE_LIMIT);
    expect(e.size).toBeGreaterThan(SHARE_LIMIT);
    expect(e.message).toContain(formatBytes(e.size!));
    expect(e.message).toContain("64 KB");
    // A smaller limit applies too.
    expect(await reason(encodeShare({ files: [{ path: "a", data: enc.encode("hello"), mode: 0o644 }], commands: [] }, 10))).toMatch(/^too-large/);
  });

  it("refuses an over-long fragment and a decompression bomb", async () => {
    expect(await reason(decodeShare("#share=v1." + "A".repeat(SHARE_LIMIT)))).toMatch(/^too-large/);
    const bomb = await craft({ files: [{ path: "a", text: "x".repeat(9 * 1024 * 1024) }] });
    expect(bomb.length).toBeLessThan(SHARE_LIMIT);
    expect(await reason(decodeShare(bomb))).toMatch(/^too-large: the link unpacks to more than 8\.0 MB/);
  });

  it("rejects hostile file names from a link", async () => {
    for (const path of ["../etc/passwd", "/etc/passwd", "a/../../b", "a\u0000b", "x\u202etxt.exe", "a\\b", "", ".", "a//b", "C:\\Windows"]) {
      const frag = await craft({ files: [{ path, text: "x" }] });
      expect(await reason(decodeShare(frag)), JSON.stringify(path)).toMatch(/^invalid: the file name .* is not allowed/);
      await expect(encodeShare({ files: [{ path, data: enc.encode("x"), mode: 0o644 }], commands: [] })).rejects.toThrow(ShareError);
    }
  });

  it("keeps names that merely look like HTML: they are valid names, shown as text", async () => {
    const path = "<img src=x onerror=alert(1)>";
    const back = await decodeShare("#" + (await encodeShare({ files: [{ path, data: enc.encode("<script>alert(2)</script>"), mode: 0o644 }], commands: [] })).fragment);
    expect(back?.files[0].path).toBe(path);
  });

  it("rejects damaged, malformed and unknown-version links", async () => {
    expect(await reason(decodeShare("#share=v1.!!!"))).toMatch(/^invalid: .*base64url/);
    expect(await reason(decodeShare("#share=v1." + toBase64Url(enc.encode("not deflate at all, surely"))))).toMatch(/^invalid/);
    expect(await reason(decodeShare("#share=v1." + toBase64Url(await deflateRaw(enc.encode("{nope")))))).toMatch(/^invalid: .*not JSON/);
    expect(await reason(decodeShare(await craft({ nofiles: 1 })))).toMatch(/^invalid: the link has no list of files/);
    expect(await reason(decodeShare(await craft({ files: [{ path: "a" }] })))).toMatch(/^invalid: .*has no contents/);
    expect(await reason(decodeShare(await craft({ files: [{ path: "a", text: "1" }, { path: "a", text: "2" }] })))).toMatch(/appears twice/);
    expect(await reason(decodeShare(await craft({ files: [{ path: "a", text: "1" }, { path: "a/b", text: "2" }] })))).toMatch(/both a file and a folder/);
    expect(await reason(decodeShare(await craft({ files: [{ path: "a", text: "1", mode: 0o40000 }] })))).toMatch(/mode/);
    expect(await reason(decodeShare(await craft({ files: [{ path: "a", base64: "%%%" }] })))).toMatch(/not base64/);
    expect(await reason(decodeShare(await craft({ files: [], commands: ["ok", "rm -rf /\n\u001b[2J"] })))).toMatch(/command .* not allowed/);
    expect(await reason(decodeShare(await craft({ files: [], commands: "echo" })))).toMatch(/commands are not a list/);
    expect(await reason(decodeShare("#share=v9.abc"))).toMatch(/^unsupported-version: .*"v9"/);
  });

  it("base64url round-trips every byte value", () => {
    const all = new Uint8Array(256).map((_, i) => i);
    const text = toBase64Url(all);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(fromBase64Url(text)).toEqual(all);
  });

  it("formats sizes for messages", () => {
    expect(formatBytes(512)).toBe("512 bytes");
    expect(formatBytes(65536)).toBe("64 KB");
    expect(formatBytes(1536)).toBe("1.5 KB");
  });
});
