// The real guest in Node, started from the committed state in public/guest.
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GuestVM } from "../../src/vm/guest.ts";
import { startNodeGuest } from "../../src/vm/node.ts";

let vm: GuestVM;

beforeAll(async () => {
  vm = await startNodeGuest();
});

afterAll(async () => {
  await vm?.shutdown();
});

const text = (chunks: Uint8Array[]) => Buffer.concat(chunks).toString();

describe("processes", () => {
  it("runs in an i686 guest", async () => {
    const r = await vm.exec(["uname", "-m"]);
    expect(r).toMatchObject({ exitCode: 0, stdout: "i686\n", stderr: "" });
  });

  it("keeps the host's wall clock, though its state was saved earlier", async () => {
    // Restored from a state saved at build time, the guest would say then.
    const r = await vm.exec(["date", "+%s"]);
    expect(Math.abs(Number(r.stdout) - Date.now() / 1000)).toBeLessThan(5);
    await vm.setClock(Date.UTC(2030, 0, 2, 3, 4, 5));
    const set = await vm.exec(["date", "-u", "+%Y-%m-%d %H:%M"]);
    expect(set.stdout).toBe("2030-01-02 03:04\n");
    await vm.setClock();
  });

  it("reports the exit code", async () => {
    const r = await vm.exec(["sh", "-c", "exit 7"]);
    expect(r.exitCode).toBe(7);
    expect(r.signal).toBe(0);
  });

  it("keeps stdout and stderr apart", async () => {
    const r = await vm.exec(["sh", "-c", "echo to-out; echo to-err >&2; echo more-out"]);
    expect(r.stdout).toBe("to-out\nmore-out\n");
    expect(r.stderr).toBe("to-err\n");
  });

  it("keeps the output of concurrent processes separate", async () => {
    const script = (tag: string) => `i=0; while [ $i -lt 30 ]; do echo ${tag}$i; i=$((i+1)); usleep 2000; done`;
    const results = await Promise.all(["a", "b", "c"].map((t) => vm.exec(["sh", "-c", script(t)])));
    results.forEach((r, k) => {
      const tag = "abc"[k];
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe(Array.from({ length: 30 }, (_, i) => `${tag}${i}\n`).join(""));
    });
  });

  it("feeds stdin to cat and gets it back", async () => {
    const input = randomBytes(96 * 1024).toString("base64"); // 128 KiB of text, more than the channel window
    const r = await vm.exec(["cat"], { input });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.length).toBe(input.length);
    expect(r.stdout === input).toBe(true);
  });

  it("ends sleep 100 with a signal", async () => {
    const proc = await vm.spawn({ argv: ["sleep", "100"] });
    const t0 = Date.now();
    proc.signal(15);
    const status = await proc.exited;
    expect(status).toEqual({ exitCode: 143, signal: 15 });
    expect(Date.now() - t0).toBeLessThan(50_000);
  });

  it("gives a tty process a terminal and tells it the new size", async () => {
    const proc = await vm.spawn({ argv: ["sh"], tty: { rows: 24, cols: 80 } });
    const out: Uint8Array[] = [];
    proc.onStdout((d) => out.push(d));
    const waitFor = async (re: RegExp) => {
      for (let i = 0; i < 300 && !re.test(text(out)); i++) await new Promise((r) => setTimeout(r, 50));
      return text(out);
    };
    // The markers are quoted so that the terminal's echo of the typed line does not match them.
    proc.write('tty; stty size; echo first-""done\n');
    expect(await waitFor(/first-done\r?\n/)).toMatch(/\/dev\/pts\/\d+/);
    expect(text(out)).toMatch(/24 80/);
    proc.resize(40, 120);
    proc.write('stty size; echo second-""done\n');
    expect(await waitFor(/second-done\r?\n/)).toMatch(/40 120/);
    proc.write("exit 3\n");
    expect((await proc.exited).exitCode).toBe(3);
  });

  it("says clearly when a command does not exist", async () => {
    await expect(vm.spawn({ argv: ["no-such-command"] })).rejects.toMatchObject({
      kind: "not-found",
      message: expect.stringContaining("no-such-command"),
    });
  });
});

describe("containers primitives", () => {
  it("runs a process in new namespaces on an overlay, and leaves whiteouts in the upper dir", async () => {
    const base = "/var/lib/berth/test-overlay";
    const setup = await vm.exec([
      "sh",
      "-c",
      `set -e
       mkdir -p ${base}/lower1/bin ${base}/lower1/proc ${base}/lower2 ${base}/upper ${base}/work ${base}/merged
       cp /bin/busybox ${base}/lower1/bin/busybox
       for a in sh cat ls rm hostname ip echo; do ln -s busybox ${base}/lower1/bin/$a; done
       echo from-lower1 > ${base}/lower1/a.txt
       echo from-lower2 > ${base}/lower2/b.txt`,
    ]);
    expect(setup).toMatchObject({ exitCode: 0, stderr: "" });

    const r = await vm.exec(["/bin/sh", "-c", "echo pid=$$; hostname; cat /a.txt /b.txt; ip -o link | wc -l; rm /a.txt; ls /"], {
      namespaces: ["pid", "mount", "uts", "ipc", "net"],
      hostname: "c1",
      rootfs: `${base}/merged`,
      mounts: [
        {
          source: "overlay",
          target: `${base}/merged`,
          type: "overlay",
          data: `lowerdir=${base}/lower1:${base}/lower2,upperdir=${base}/upper,workdir=${base}/work`,
        },
        { source: "proc", target: "/proc", type: "proc", phase: "rootfs" },
      ],
    });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("pid=1");
    expect(lines[1]).toBe("c1");
    expect(lines[2]).toBe("from-lower1");
    expect(lines[3]).toBe("from-lower2");
    expect(lines[4].trim()).toBe("1"); // only lo in the new net namespace
    expect(r.stdout).not.toMatch(/^a\.txt$/m);

    // The deletion of a lower file is a whiteout (char device 0/0) in upper.
    const wh = await vm.stat(`${base}/upper/a.txt`);
    expect(wh.type).toBe("char");
    const lower = await vm.exec(["cat", `${base}/lower1/a.txt`]);
    expect(lower.stdout).toBe("from-lower1\n");
    // The agent's own hostname is untouched.
    expect((await vm.exec(["hostname"])).stdout).toBe("berth\n");
  });
});

describe("two-phase start and exec into namespaces", () => {
  it("holds a paused process before exec until resume", async () => {
    const proc = await vm.spawn({ argv: ["echo", "started"], namespaces: ["net"], paused: true });
    const out: Uint8Array[] = [];
    proc.onStdout((d) => out.push(d));
    // Its network namespace exists already: the host could configure it now.
    const ns = await vm.exec(["readlink", `/proc/${proc.pid}/ns/net`]);
    expect(ns.stdout).toMatch(/^net:\[\d+\]/);
    await new Promise((r) => setTimeout(r, 300));
    expect(text(out)).toBe("");
    proc.resume();
    expect((await proc.exited).exitCode).toBe(0);
    expect(text(out)).toBe("started\n");
  });

  it("reports an exec failure after resume on stderr with exit code 127", async () => {
    const proc = await vm.spawn({ argv: ["no-such-binary"], paused: true });
    const err: Uint8Array[] = [];
    proc.onStderr((d) => err.push(d));
    proc.resume();
    expect((await proc.exited).exitCode).toBe(127);
    expect(text(err)).toMatch(/no-such-binary/);
  });

  it("runs a process inside the namespaces of another (docker exec)", async () => {
    const box = await vm.spawn({ argv: ["sleep", "30"], namespaces: ["pid", "mount", "uts", "ipc", "net"], hostname: "c2" });
    const r = await vm.exec(["sh", "-c", "hostname; ip -o link | wc -l"], { join: box.pid });
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\n").map((l) => l.trim())).toEqual(["c2", "1", ""]);
    const code = await vm.exec(["sh", "-c", "exit 5"], { join: box.pid });
    expect(code.exitCode).toBe(5);
    box.signal(9);
    expect((await box.exited).signal).toBe(9);
  });
});

describe("network operations of the agent", () => {
  it("makes a bridge, a veth pair into a paused process's namespace, and deletes them", async () => {
    await vm.createBridge("brt0", "10.77.0.1", 16);
    await vm.createBridge("brt0", "10.77.0.1", 16); // exists: nothing to do
    const proc = await vm.spawn({ argv: ["ping", "-c", "1", "-W", "2", "10.77.0.1"], namespaces: ["pid", "mount", "uts", "ipc", "net"], paused: true });
    const out: Uint8Array[] = [];
    proc.onStdout((d) => out.push(d));
    await vm.createVeth({ pid: proc.pid, hostIf: "vetht0", bridge: "brt0", ifname: "eth0", mac: "02:42:0a:4d:00:02", address: "10.77.0.2", prefix: 16, gateway: "10.77.0.1" });
    const inside = await vm.exec(["sh", "-c", "ip -o addr show eth0; ip -o link show eth0; ip route; ip -o link show lo"], { join: proc.pid });
    expect(inside.stdout).toContain("inet 10.77.0.2/16");
    expect(inside.stdout).toContain("link/ether 02:42:0a:4d:00:02");
    expect(inside.stdout).toContain("default via 10.77.0.1 dev eth0");
    expect(inside.stdout).toMatch(/lo: <LOOPBACK,UP/);
    const host = await vm.exec(["ip", "-o", "link", "show", "vetht0"]);
    expect(host.stdout).toMatch(/vetht0@.*master brt0/);
    expect(host.stdout).toMatch(/<[^>]*\bUP\b/);
    // The container reaches its gateway.
    proc.resume();
    expect((await proc.exited).exitCode).toBe(0);
    expect(text(out)).toContain("1 packets received");
    // Its end went with its namespace; deleting a missing link is fine.
    await vm.deleteLink("vetht0");
    await vm.deleteLink("brt0");
    expect((await vm.exec(["ip", "-o", "link"])).stdout).not.toMatch(/vetht0|brt0/);
  });

  it("undoes a veth whose namespace setup fails, and says why", async () => {
    await vm.createBridge("brt1", "10.78.0.1", 16);
    const proc = await vm.spawn({ argv: ["true"], namespaces: ["net"], paused: true });
    // A gateway outside the subnet cannot be routed: the default route fails.
    await expect(
      vm.createVeth({ pid: proc.pid, hostIf: "vetht1", bridge: "brt1", ifname: "eth0", mac: "02:42:0a:4e:00:02", address: "10.78.0.2", prefix: 16, gateway: "10.99.0.1" }),
    ).rejects.toThrow(/vetht1: default route eth0/);
    expect((await vm.exec(["ip", "-o", "link"])).stdout).not.toContain("vetht1");
    await expect(vm.createVeth({ pid: proc.pid, hostIf: "vetht2", bridge: "nosuch", ifname: "eth0", mac: "02:42:0a:4e:00:02", address: "10.78.0.2", prefix: 16 })).rejects.toThrow(
      /no bridge nosuch/,
    );
    proc.resume();
    await proc.exited;
    await vm.deleteLink("brt1");
  });
});

describe("files", () => {
  it("puts a 16 MB random file in and reads the same bytes back", async () => {
    const data = randomBytes(16 * 1024 * 1024);
    const sum = createHash("sha256").update(data).digest("hex");
    await vm.putFile("/var/lib/berth/big.bin", data);
    const inGuest = await vm.exec(["sha256sum", "/var/lib/berth/big.bin"]);
    expect(inGuest.stdout.split(" ")[0]).toBe(sum);
    const back = await vm.getFile("/var/lib/berth/big.bin");
    expect(createHash("sha256").update(back).digest("hex")).toBe(sum);
    await vm.remove("/var/lib/berth/big.bin");
  });

  it("makes directories, stats and removes them", async () => {
    await vm.mkdir("/var/lib/berth/x/y/z", { parents: true, mode: 0o750 });
    const st = await vm.stat("/var/lib/berth/x/y/z");
    expect(st.type).toBe("directory");
    expect(st.mode & 0o777).toBe(0o750);
    await vm.writeFile("/var/lib/berth/x/y/z/f.txt", "hello");
    expect(new TextDecoder().decode(await vm.readFile("/var/lib/berth/x/y/z/f.txt"))).toBe("hello");
    expect((await vm.stat("/var/lib/berth/x/y/z/f.txt")).size).toBe(5);
    await expect(vm.remove("/var/lib/berth/x")).rejects.toMatchObject({ kind: "guest" });
    await vm.remove("/var/lib/berth/x", { recursive: true });
    await expect(vm.stat("/var/lib/berth/x")).rejects.toMatchObject({ kind: "not-found" });
  });

  it("extracts a tar archive and makes one of a directory", async () => {
    await vm.exec(["sh", "-c", "mkdir -p /tmp/src/sub && echo one > /tmp/src/one && echo two > /tmp/src/sub/two"]);
    const tar = await vm.createTar("/tmp/src");
    expect(tar.length).toBeGreaterThan(512);
    await vm.extractTar(tar, "/tmp/dst");
    const r = await vm.exec(["cat", "/tmp/dst/one", "/tmp/dst/sub/two"]);
    expect(r.stdout).toBe("one\ntwo\n");
  });

  it("answers a health check", async () => {
    const ms = await vm.ping();
    expect(ms).toBeGreaterThan(0);
  });
});
