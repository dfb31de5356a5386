// Containers on the real guest: lifecycle, isolation, limits, exec, logs,
// volumes, cp, diff, and a daemon restart.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContainerCreateOptions, LogChunk } from "../../src/core/engine-api.ts";
import { readTar, writeTar } from "../../src/core/tar.ts";
import { directoryReader } from "../../src/engine/bundled.node.ts";
import { runDocker } from "../../src/cli/index.ts";
import { Engine } from "../../src/engine/engine.ts";
import { createMemoryStorage } from "../../src/storage/memory.ts";
import { startNodeGuest } from "../../src/vm/node.ts";

const storage = createMemoryStorage();
let engine: Engine;

beforeAll(async () => {
  engine = new Engine({ storage, startGuest: () => startNodeGuest(), bundled: directoryReader() });
  await engine.whenReady();
});

afterAll(async () => {
  await engine?.shutdown();
});

async function run(opts: Omit<ContainerCreateOptions, "image"> & { image?: string }) {
  const { id } = await engine.containerCreate({ image: "busybox", network: "none", ...opts });
  await engine.containerStart(id);
  return id;
}

async function output(id: string): Promise<{ stdout: string; stderr: string }> {
  const chunks: LogChunk[] = [];
  await engine.containerLogs(id, {}, (c) => chunks.push(c));
  const dec = (s: string) => Buffer.concat(chunks.filter((c) => c.stream === s).map((c) => Buffer.from(c.data))).toString();
  return { stdout: dec("stdout"), stderr: dec("stderr") };
}

async function runToEnd(cmd: string[], opts: Omit<ContainerCreateOptions, "image" | "cmd"> = {}) {
  const id = await run({ cmd, ...opts });
  const { exitCode } = await engine.containerWait(id);
  return { id, exitCode, ...(await output(id)) };
}

describe("container lifecycle", () => {
  it("runs a command as pid 1 in its own namespaces, and keeps its logs", async () => {
    const r = await runToEnd(["sh", "-c", "echo pid=$$; hostname; ps -o pid,args | tail -n +2; ip -o link | wc -l; echo err >&2; exit 3"], { hostname: "box1" });
    expect(r.exitCode).toBe(3);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("pid=1");
    expect(lines[1]).toBe("box1");
    // Only its own processes are visible.
    expect(r.stdout).toMatch(/^\s*1 sh -c/m);
    expect(r.stdout).not.toMatch(/berth-agent/);
    expect(r.stderr).toBe("err\n");
    const info = await engine.containerInspect(r.id);
    expect(info.stateDetail).toMatchObject({ status: "exited", exitCode: 3, running: false });
    const ps = await engine.containerList({ all: true });
    expect(ps.find((c) => c.id === r.id)?.status).toMatch(/^Exited \(3\) .* ago$/);
  });

  it("stops with the stop signal, then SIGKILL after the timeout", async () => {
    // sleep as pid 1 ignores SIGTERM (no handler), so stop ends in SIGKILL.
    const id = await run({ cmd: ["sleep", "300"] });
    expect((await engine.containerInspect(id)).stateDetail.running).toBe(true);
    const t0 = Date.now();
    await engine.containerStop(id, { timeout: 1 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect((await engine.containerInspect(id)).stateDetail.exitCode).toBe(137);
    // A shell that traps TERM exits at once with its own code.
    const trap = await run({ cmd: ["sh", "-c", "trap 'exit 42' TERM; while :; do sleep 0.1; done"] });
    await new Promise((r) => setTimeout(r, 300));
    await engine.containerStop(trap, { timeout: 10 });
    expect((await engine.containerInspect(trap)).stateDetail.exitCode).toBe(42);
  });

  it("pauses and unpauses with the cgroup freezer, kills with a signal, and restarts", async () => {
    const id = await run({ cmd: ["sh", "-c", "i=0; while :; do i=$((i+1)); echo $i > /count; sleep 0.05; done"] });
    await new Promise((r) => setTimeout(r, 300));
    await engine.containerPause(id);
    expect((await engine.containerList()).find((c) => c.id === id)?.status).toMatch(/\(Paused\)$/);
    await expect(engine.containerExec(id, { cmd: ["true"] }, { onOutput: () => {}, onExit: () => {} })).rejects.toThrow(/paused/);
    await engine.containerUnpause(id);
    await engine.containerKill(id, "SIGKILL");
    expect((await engine.containerWait(id)).exitCode).toBe(137);
    await engine.containerRestart(id, { timeout: 1 });
    expect((await engine.containerInspect(id)).stateDetail.status).toBe("running");
    await engine.containerRemove(id, { force: true });
    await expect(engine.containerInspect(id)).rejects.toMatchObject({ kind: "not-found" });
  });

  it("refuses to remove a running container without force, and names clash clearly", async () => {
    const id = await run({ cmd: ["sleep", "300"], name: "sleeper" });
    await expect(engine.containerRemove(id)).rejects.toThrow(/cannot remove container "\/sleeper": container is running/);
    await expect(engine.containerCreate({ image: "busybox", name: "sleeper", cmd: ["true"] })).rejects.toThrow(/The container name "\/sleeper" is already in use/);
    await engine.containerRename("sleeper", "sleeper2");
    expect((await engine.containerInspect("sleeper2")).id).toBe(id);
    await engine.containerRemove("sleeper2", { force: true });
    await expect(engine.containerCreate({ image: "nosuchimage", cmd: ["true"] })).rejects.toThrow(/No such image: nosuchimage/);
  });

  it("exec runs inside a running container, with a tty when asked", async () => {
    const id = await run({ cmd: ["sleep", "300"], hostname: "execbox" });
    const out: string[] = [];
    const code = await new Promise<number>((resolve) => {
      void engine.containerExec(id, { cmd: ["sh", "-c", "hostname; ps -o pid,args | grep -c sleep; tty || true"] }, {
        onOutput: (_s, d) => out.push(Buffer.from(d).toString()),
        onExit: resolve,
      });
    });
    expect(code).toBe(0);
    const text = out.join("");
    expect(text).toMatch(/^execbox\n/);
    expect(text).toMatch(/not a tty/);
    const ttyOut: string[] = [];
    await new Promise<number>((resolve) => {
      void engine.containerExec(id, { cmd: ["tty"], tty: true }, { onOutput: (_s, d) => ttyOut.push(Buffer.from(d).toString()), onExit: resolve });
    });
    expect(ttyOut.join("")).toMatch(/\/dev\/pts\/\d+/);
    const top = await engine.containerTop(id);
    expect(top.processes.some((p) => p[4].startsWith("sleep 300"))).toBe(true);
    await engine.containerRemove(id, { force: true });
  });
});

describe("docker run details", () => {
  it("--rm leaves no container behind", async () => {
    const { id } = await engine.containerCreate({ image: "busybox", cmd: ["echo", "hi"], autoRemove: true, network: "none" });
    await engine.containerStart(id);
    expect((await engine.containerWait(id)).exitCode).toBe(0);
    await expect(engine.containerInspect(id)).rejects.toMatchObject({ kind: "not-found" });
    expect((await engine.containerList({ all: true })).some((c) => c.id === id)).toBe(false);
  });

  it("docker run --rm on the default bridge: own eth0, hosts file, exit code, and it is gone when the CLI returns", async () => {
    let out = "";
    const io = { stdout: (d: string | Uint8Array) => (out += typeof d === "string" ? d : Buffer.from(d).toString()), stderr: () => {}, isTTY: false };
    const script = "ip -o addr show eth0; ip route; grep -c . /etc/hosts; hostname; exit 7";
    const code = await runDocker(["run", "--rm", "busybox", "sh", "-c", script], io, engine);
    expect(code).toBe(7);
    expect(out).toMatch(/eth0\s+inet 172\.17\.\d+\.\d+\/16/);
    expect(out).toContain("default via 172.17.0.1 dev eth0");
    const [, , , hostsLines, hostname] = out.trim().split("\n");
    expect(Number(hostsLines)).toBe(3); // localhost, ip6 localhost, its own address
    // Removed before the CLI returned: record, writable layer, files and cgroup.
    const id = (await engine.containerList({ all: true })).find((c) => c.id.startsWith(hostname!));
    expect(id).toBeUndefined();
    const { vm } = await engine.guest();
    const left = await vm.exec(["sh", "-c", `ls -d /var/lib/berth/containers/${hostname}* /var/lib/berth/snapshots/${hostname}* /sys/fs/cgroup/berth/${hostname}* 2>/dev/null`]);
    expect(left.stdout).toBe("");
  });

  it("gives a container the usual device nodes, usable by any user, also on a read-only rootfs", async () => {
    const script =
      "for d in null zero full random urandom tty; do stat -c '%n %F %t:%T %a' /dev/$d; done; " +
      "echo x > /dev/null && head -c 3 /dev/zero | wc -c && head -c 5 /dev/urandom | wc -c; echo x > /dev/full || echo full-refused";
    const r = await runToEnd(["sh", "-c", script], { user: "nobody", readOnly: true });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split("\n").slice(0, 6)).toEqual([
      "/dev/null character special file 1:3 666",
      "/dev/zero character special file 1:5 666",
      "/dev/full character special file 1:7 666",
      "/dev/random character special file 1:8 666",
      "/dev/urandom character special file 1:9 666",
      "/dev/tty character special file 5:0 666",
    ]);
    expect(r.stdout).toContain("3\n5\nfull-refused\n");
  });

  it("pause freezes a counter loop and unpause resumes it", async () => {
    const id = await run({ cmd: ["sh", "-c", "i=0; while :; do i=$((i+1)); echo $i > /count; sleep 0.05; done"] });
    const count = async () => {
      const tar = await engine.containerArchiveGet(id, "/count");
      return Number(new TextDecoder().decode(readTar(tar)[0].data).trim());
    };
    await new Promise((r) => setTimeout(r, 400));
    await engine.containerPause(id);
    const frozen = await count();
    await new Promise((r) => setTimeout(r, 600));
    expect(await count()).toBe(frozen);
    await engine.containerUnpause(id);
    await new Promise((r) => setTimeout(r, 600));
    expect(await count()).toBeGreaterThan(frozen);
    await engine.containerRemove(id, { force: true });
  });
});

describe("limits and isolation", () => {
  it("contains a fork bomb with --pids-limit; the guest survives", async () => {
    const id = await run({ cmd: ["sh", "-c", "bomb() { bomb | bomb & }; bomb; sleep 2"], pidsLimit: 30 });
    await new Promise((r) => setTimeout(r, 1500));
    const { vm } = await engine.guest();
    const procs = new TextDecoder().decode(await vm.readFile(`/sys/fs/cgroup/berth/${id}/pids.current`)).trim();
    expect(Number(procs)).toBeLessThanOrEqual(30);
    await engine.containerRemove(id, { force: true });
    // The guest still answers and runs containers.
    expect(await vm.ping()).toBeGreaterThan(0);
    const after = await runToEnd(["echo", "still-here"]);
    expect(after.stdout).toBe("still-here\n");
  });

  it("kills a container over its memory limit (OOM, 137)", async () => {
    const r = await runToEnd(["sh", "-c", "x=a; while :; do x=$x$x$x$x; done"], { memory: 8 * 1024 * 1024 });
    expect(r.exitCode).toBe(137);
    expect((await engine.containerInspect(r.id)).stateDetail.oomKilled).toBe(true);
  });

  it("caps the number of processes", async () => {
    // Forks past the limit fail; the count uses only shell builtins (no fork).
    const r = await runToEnd(["sh", "-c", "(for i in 1 2 3 4 5 6 7 8 9 10; do sleep 3 & done) 2>/dev/null; echo /proc/[0-9]*"], { pidsLimit: 5 });
    const pids = r.stdout.trim().split(/\s+/);
    expect(pids.length).toBeGreaterThanOrEqual(2);
    expect(pids.length).toBeLessThanOrEqual(5);
    const free = await runToEnd(["sh", "-c", "(for i in 1 2 3 4 5 6 7 8 9 10; do sleep 3 & done) 2>/dev/null; echo /proc/[0-9]*"]);
    expect(free.stdout.trim().split(/\s+/).length).toBe(11);
  });

  it("has a read-only root filesystem when asked", async () => {
    const r = await runToEnd(["sh", "-c", "touch /x && echo wrote || echo denied; touch /tmp/x && echo tmp-wrote"], { readOnly: true, mounts: [{ type: "tmpfs", target: "/tmp" }] });
    expect(r.stdout).toBe("denied\ntmp-wrote\n");
  });

  it("keeps a container's writes in its own layer: docker diff and a fresh container", async () => {
    const r = await runToEnd(["sh", "-c", "echo new > /added && echo changed >> /etc/passwd && rm /bin/vi"]);
    expect(r.exitCode).toBe(0);
    const diff = await engine.containerDiff(r.id);
    const marks = Object.fromEntries(diff.map((d) => [d.path, d.kind]));
    expect(marks["/added"]).toBe("A");
    expect(marks["/etc/passwd"]).toBe("C");
    expect(marks["/bin/vi"]).toBe("D");
    const fresh = await runToEnd(["sh", "-c", "ls /added 2>&1; ls /bin/vi"]);
    expect(fresh.stdout).toMatch(/No such file/);
    expect(fresh.stdout).toMatch(/\/bin\/vi/);
  });

  it("copies files into and out of a container", async () => {
    const { id } = await engine.containerCreate({ image: "busybox", cmd: ["cat", "/data/in.txt"], network: "none" });
    await engine.containerArchivePut(id, "/", writeTar([{ path: "data", type: "dir" }, { path: "data/in.txt", type: "file", data: "copied in\n" }]));
    await engine.containerStart(id);
    expect((await engine.containerWait(id)).exitCode).toBe(0);
    expect((await output(id)).stdout).toBe("copied in\n");
    const tar = await engine.containerArchiveGet(id, "/etc/hostname");
    const entries = readTar(tar);
    expect(entries.map((e) => e.path)).toEqual(["hostname"]);
  });
});

describe("volumes", () => {
  it("outlive their container, are shared live, and are filled from the image on first use", async () => {
    const w = await runToEnd(["sh", "-c", "echo persisted > /data/file"], { mounts: [{ type: "volume", source: "vol1", target: "/data" }] });
    expect(w.exitCode).toBe(0);
    await engine.containerRemove(w.id);
    const r = await runToEnd(["cat", "/data/file"], { mounts: [{ type: "volume", source: "vol1", target: "/data" }] });
    expect(r.stdout).toBe("persisted\n");

    // Two running containers see each other's writes.
    const a = await run({ cmd: ["sh", "-c", "while [ ! -f /shared/from-b ]; do sleep 0.1; done; cat /shared/from-b; echo from-a > /shared/from-a; sleep 1"], mounts: [{ type: "volume", source: "vol2", target: "/shared" }] });
    const b = await run({ cmd: ["sh", "-c", "echo from-b > /shared/from-b; while [ ! -f /shared/from-a ]; do sleep 0.1; done; cat /shared/from-a"], mounts: [{ type: "volume", source: "vol2", target: "/shared" }] });
    expect((await engine.containerWait(a)).exitCode).toBe(0);
    expect((await engine.containerWait(b)).exitCode).toBe(0);
    expect((await output(a)).stdout).toBe("from-b\n");
    expect((await output(b)).stdout).toBe("from-a\n");

    // A new volume over /etc starts with the image's /etc.
    const c = await runToEnd(["cat", "/etc/passwd"], { mounts: [{ type: "volume", source: "etcvol", target: "/etc" }] });
    expect(c.stdout).toMatch(/^root:/);
    const vols = await engine.volumeList();
    expect(vols.map((v) => v.name)).toEqual(expect.arrayContaining(["vol1", "vol2", "etcvol"]));
    await expect(engine.volumeRemove("vol1")).rejects.toThrow(/volume is in use/);
  });
});

describe("networks", () => {
  it("containers on a user network reach each other by name and alias; the default bridge has addresses", async () => {
    await engine.networkCreate({ name: "appnet" });
    const web = await run({
      image: "busybox",
      name: "web",
      network: "appnet",
      networkAliases: ["site"],
      cmd: ["sh", "-c", "mkdir -p /www && echo hello-from-web > /www/index.html && httpd -f -p 80 -h /www"],
    });
    const client = await runToEnd(["sh", "-c", "wget -qO- http://web/ && wget -qO- http://site/ && ping -c1 -W2 web >/dev/null && echo ping-ok"], { network: "appnet" });
    expect(client.stderr).toBe("");
    expect(client.stdout).toBe("hello-from-web\nhello-from-web\nping-ok\n");
    const info = await engine.containerInspect(web);
    expect(info.networkSettings.networks.appnet.ipAddress).toMatch(/^172\.\d+\.0\.\d+$/);
    const net = await engine.networkInspect("appnet");
    expect(Object.keys(net.containers)).toContain(web);
    await expect(engine.networkRemove("appnet")).rejects.toThrow(/active endpoints/);
    const onBridge = await runToEnd(["sh", "-c", "ip -o -4 addr show eth0 | awk '{print $4}'"], { network: "bridge" });
    expect(onBridge.stdout).toMatch(/^172\.17\.0\.\d+\/16$/m);
    await engine.containerRemove(web, { force: true });
    await engine.networkRemove("appnet");
  });
});

describe("daemon restart", () => {
  it("keeps records and volumes; a running container shows as exited; restart policies apply", async () => {
    const running = await run({ cmd: ["sleep", "300"], name: "was-running" });
    const always = await run({ cmd: ["sh", "-c", "cat /data/file; sleep 300"], name: "always-on", restartPolicy: { name: "always" }, mounts: [{ type: "volume", source: "vol1", target: "/data" }] });
    await engine.containerStop(always, { timeout: 1 }).catch(() => {});
    await engine.containerStart(always);
    await engine.containers.flush();
    await engine.shutdown();

    engine = new Engine({ storage, startGuest: () => startNodeGuest(), bundled: directoryReader() });
    await engine.whenReady();
    const list = await engine.containerList({ all: true });
    expect(list.find((c) => c.id === running)?.state).toBe("exited");
    expect((await engine.containerInspect(running)).stateDetail.exitCode).toBe(255);
    await engine.containers.applyRestartPolicies();
    expect((await engine.containerInspect(always)).stateDetail.status).toBe("running");
    // The volume's data came back into the new guest.
    await new Promise((r) => setTimeout(r, 500));
    expect((await output(always)).stdout).toContain("persisted\n");
    await engine.containerRemove(always, { force: true });
    await engine.containerRemove(running);
  });
});
