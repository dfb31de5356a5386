// Container commands against the fake engine: what reaches the engine, what is printed, exit codes.
import { describe, expect, it } from "vitest";
import type { ContainerCreateOptions } from "../../../src/core/engine-api.ts";
import { docker, FakeEngine, T0 } from "./harness.ts";

const created = (e: FakeEngine) => e.callsTo("containerCreate").at(-1)![0] as ContainerCreateOptions;

describe("run", () => {
  it("maps every flag to ContainerCreateOptions", async () => {
    const e = new FakeEngine();
    const r = await docker(
      e,
      [
        "run", "-d", "--name", "web", "-e", "A=1", "-e", "HOME", "--env-file", "app.env", "-w", "/srv", "-u", "1000:1000",
        "--entrypoint", "/bin/sh", "-v", "data:/data:ro", "-v", "/var/log", "-v", "./site:/www", "--mount", "type=tmpfs,target=/run,tmpfs-size=1m",
        "--tmpfs", "/cache:size=2m", "-p", "8080:80", "-p", "127.0.0.1:53:53/udp", "-P", "--network", "mynet", "--network-alias", "api",
        "-h", "box", "--restart", "on-failure:3", "-m", "512m", "--pids-limit", "100", "--read-only", "-l", "tier=web", "--label", "x",
        "--stop-signal", "SIGQUIT", "--stop-timeout", "5", "-i", "-t", "busybox", "sleep", "100",
      ],
      { env: { HOME: "/root" }, files: { "/work/app.env": "# settings\nB=2\n" }, cwd: "/work" },
    );
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(created(e)).toEqual({
      image: "busybox",
      cmd: ["sleep", "100"],
      name: "web",
      env: ["B=2", "A=1", "HOME=/root"],
      entrypoint: ["/bin/sh"],
      workingDir: "/srv",
      user: "1000:1000",
      hostname: "box",
      tty: true,
      openStdin: true,
      mounts: [
        { type: "volume", source: "data", target: "/data", readOnly: true },
        { type: "volume", source: "", target: "/var/log" },
        { type: "bind", source: "/work/site", target: "/www" },
        { type: "tmpfs", target: "/run", tmpfsSize: 1024 * 1024 },
        { type: "tmpfs", target: "/cache", tmpfsSize: 2 * 1024 * 1024 },
      ],
      ports: [
        { containerPort: 80, protocol: "tcp", hostPort: 8080 },
        { containerPort: 53, protocol: "udp", hostPort: 53, hostIp: "127.0.0.1" },
      ],
      publishAll: true,
      network: "mynet",
      networkAliases: ["api"],
      restartPolicy: { name: "on-failure", maximumRetryCount: 3 },
      memory: 512 * 1024 * 1024,
      pidsLimit: 100,
      readOnly: true,
      labels: { tier: "web", x: "" },
      stopSignal: "SIGQUIT",
      stopTimeout: 5,
    });
  });

  it("prints the full id when detached and starts the container", async () => {
    const e = new FakeEngine();
    const r = await docker(e, ["run", "-d", "busybox", "sleep", "1"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^[a-f0-9]{64}\n$/);
    expect(e.callsTo("containerStart")).toEqual([[r.out.trim()]]);
    expect(e.callsTo("containerAttach")).toEqual([]);
  });

  it("streams output and returns the container's exit code", async () => {
    const e = new FakeEngine();
    const r = await docker(e, ["run", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3"]);
    expect(r).toMatchObject({ code: 3, out: "out\n", err: "err\n" });
    // attach comes before start so no output is lost
    const order = e.calls.map((c) => c.method).filter((m) => m === "containerAttach" || m === "containerStart");
    expect(order).toEqual(["containerAttach", "containerStart"]);
  });

  it("keeps the image's command when none is given, and -- ends the flags", async () => {
    const e = new FakeEngine();
    await docker(e, ["run", "-d", "busybox"]);
    expect(created(e).cmd).toBeUndefined();
    await docker(e, ["run", "--rm", "--", "busybox", "echo", "-n", "x"]);
    expect(created(e)).toMatchObject({ image: "busybox", cmd: ["echo", "-n", "x"], autoRemove: true });
  });

  it("leaves flags after the image to the container's command", async () => {
    const e = new FakeEngine();
    const r = await docker(e, ["run", "busybox", "echo", "--name", "-d"]);
    expect(r.out).toBe("--name -d\n");
    expect(created(e).name).toBeUndefined();
  });

  it("removes the container with --rm (engine's autoRemove)", async () => {
    const e = new FakeEngine();
    const r = await docker(e, ["run", "--rm", "busybox", "echo", "bye"]);
    expect(r.code).toBe(0);
    expect(created(e).autoRemove).toBe(true);
    expect(e.containers).toHaveLength(0);
  });

  it("clears the entrypoint with --entrypoint ''", async () => {
    const e = new FakeEngine();
    await docker(e, ["run", "-d", "--entrypoint", "", "busybox", "sleep", "1"]);
    expect(created(e).entrypoint).toEqual([""]);
  });

  it("sends stdin with -i and closes it at the end of input", async () => {
    const e = new FakeEngine();
    const r = await docker(e, ["run", "-i", "busybox", "cat"], { input: ["hello ", "cat\n"] });
    expect(r).toMatchObject({ code: 0, out: "hello cat\n" });
    expect(created(e)).toMatchObject({ openStdin: true, stdinOnce: true });
    expect(e.callsTo("containerAttach")[0]![1]).toEqual({ stdin: true });
    expect(e.callsTo("sessionCloseStdin")).toHaveLength(1);
  });

  it("uses a raw terminal, its size and resizes for -it", async () => {
    const e = new FakeEngine();
    let resize: ((s: { columns: number; rows: number }) => void) | undefined;
    let unsubscribed = false;
    const p = docker(e, ["run", "-it", "busybox", "sh"], {
      tty: true,
      input: ["ls\r"],
      endInput: false,
      onResize: (h) => {
        resize = h;
        return () => (unsubscribed = true);
      },
    });
    await new Promise((r) => setTimeout(r, 5));
    resize!({ columns: 120, rows: 40 });
    await new Promise((r) => setTimeout(r, 1));
    await e.containerStop(e.containers[0]!.id);
    const r = await p;
    expect(r.code).toBe(143);
    expect(r.out).toBe("ls\r");
    expect(r.rawModes).toEqual([true, false]);
    expect(e.callsTo("sessionResize").map((c) => c.slice(1))).toEqual([
      [30, 100],
      [40, 120],
    ]);
    expect(unsubscribed).toBe(true);
  });

  it("sends Ctrl-C as a key in a tty", async () => {
    const e = new FakeEngine();
    const presses: (() => void)[] = [];
    const p = docker(e, ["run", "-it", "busybox", "sh"], { tty: true, input: [], endInput: false, onInterrupt: (h) => (presses.push(h), () => {}) });
    await new Promise((r) => setTimeout(r, 5));
    presses[0]!();
    await new Promise((r) => setTimeout(r, 1));
    await e.containerStop(e.containers[0]!.id);
    await p;
    expect(e.callsTo("sessionWrite").map((c) => c[1])).toEqual(["\x03"]);
  });

  it("refuses -it when stdin is not a terminal", async () => {
    const r = await docker(new FakeEngine(), ["run", "-it", "busybox", "sh"], { tty: false, input: [] });
    expect(r).toMatchObject({ code: 1, err: "the input device is not a TTY\n" });
  });

  it("detaches on ctrl-p ctrl-q and leaves the container running", async () => {
    const e = new FakeEngine();
    const r = await docker(e, ["run", "-it", "busybox", "sh"], { tty: true, input: ["echo\r", "\x10", "\x11"], endInput: false });
    expect(r.code).toBe(0);
    expect(e.callsTo("sessionDetach")).toHaveLength(1);
    expect(e.containers[0]!.state).toBe("running");
    // the detach keys themselves never reach the container
    expect(e.callsTo("sessionWrite").map((c) => new TextDecoder().decode(c[1] as Uint8Array))).toEqual(["echo\r"]);
  });

  it("passes a partial detach sequence through", async () => {
    const e = new FakeEngine();
    await docker(e, ["run", "-it", "--detach-keys", "ctrl-a,x", "busybox", "sh"], { tty: true, input: ["\x01y", "\x01", "x"], endInput: false });
    expect(e.callsTo("sessionWrite").map((c) => new TextDecoder().decode(c[1] as Uint8Array))).toEqual(["\x01y"]);
    expect(e.callsTo("sessionDetach")).toHaveLength(1);
  });

  it("forwards Ctrl-C as SIGINT without a tty (sig-proxy)", async () => {
    const e = new FakeEngine();
    const ac = new AbortController();
    const p = docker(e, ["run", "busybox", "sleep", "100"], { signal: ac.signal, input: null });
    await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    const r = await p;
    expect(e.callsTo("containerKill")[0]![1]).toBe("SIGINT");
    expect(r.code).toBe(130);
  });

  it("stops waiting on Ctrl-C with --sig-proxy=false and leaves the container", async () => {
    const e = new FakeEngine();
    const ac = new AbortController();
    const p = docker(e, ["run", "--sig-proxy=false", "busybox", "sleep", "100"], { signal: ac.signal, input: null });
    await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    const r = await p;
    expect(r.code).toBe(130);
    expect(e.callsTo("containerKill")).toEqual([]);
    expect(e.containers[0]!.state).toBe("running");
  });

  it("shows only the streams named by -a", async () => {
    const r = await docker(new FakeEngine(), ["run", "-a", "stderr", "busybox", "sh", "-c", "echo out; echo err >&2"]);
    expect(r).toMatchObject({ out: "", err: "err\n" });
    const bad = await docker(new FakeEngine(), ["run", "-a", "stdfoo", "busybox"]);
    expect(bad.err).toContain("valid streams are STDIN, STDOUT and STDERR");
    const conflict = await docker(new FakeEngine(), ["run", "-d", "-a", "stdout", "busybox"]);
    expect(conflict).toMatchObject({ code: 125, err: "docker: Conflicting options: -a and -d.\nSee 'docker run --help'.\n" });
  });

  it("reports bad option values the docker way, with 125", async () => {
    const cases: [string[], string][] = [
      [["-p", "abc"], "docker: Invalid containerPort: abc.\nSee 'docker run --help'.\n"],
      [["-v", "data"], "docker: invalid volume specification: 'data': invalid mount config for type \"volume\": invalid mount path: 'data' mount path must be absolute.\nSee 'docker run --help'.\n"],
      [["--restart", "sometimes"], "docker: invalid restart policy format: unknown policy 'sometimes'; use on-failure, always, unless-stopped or no.\nSee 'docker run --help'.\n"],
      [["--rm", "--restart", "always"], "docker: Conflicting options: --restart and --rm.\nSee 'docker run --help'.\n"],
      [["-w", "rel"], "docker: the working directory 'rel' is invalid, it needs to be an absolute path.\nSee 'docker run --help'.\n"],
      [["-v", "vol:/x", "-v", "other:/x"], "docker: Duplicate mount point: /x.\nSee 'docker run --help'.\n"],
    ];
    for (const [flags, err] of cases) {
      const e = new FakeEngine();
      const r = await docker(e, ["run", ...flags, "busybox"]);
      expect(r.err).toBe(err);
      expect(r.code).toBe(125);
      expect(e.callsTo("containerCreate")).toEqual([]);
    }
    const ref = await docker(new FakeEngine(), ["run", "BusyBox"]);
    expect(ref).toMatchObject({ code: 125 });
    expect(ref.err).toMatch(/^docker: invalid reference format: repository name \(library\/BusyBox\) must be lowercase\.\n/);
  });

  it("fails with 125 when the image is missing and 127 when the command is", async () => {
    const a = await docker(new FakeEngine(), ["run", "nosuch"]);
    expect(a).toMatchObject({
      code: 125,
      err:
        "Unable to find image 'nosuch:latest' locally\n" +
        "docker: Error response from daemon: pull access denied for nosuch, repository does not exist or may require 'docker login': denied: requested access to the resource is denied.\n" +
        "See 'docker run --help'.\n",
    });
    const never = await docker(new FakeEngine(), ["run", "--pull", "never", "nosuch"]);
    expect(never).toMatchObject({ code: 125, err: "docker: Error response from daemon: No such image: nosuch:latest.\nSee 'docker run --help'.\n" });
    const b = await docker(new FakeEngine(), ["run", "busybox", "nosuchcmd"]);
    expect(b.code).toBe(127);
    expect(b.err).toMatch(/^docker: Error response from daemon: .*exec: "nosuchcmd": executable file not found in \$PATH: unknown\.\n$/);
    const c = await docker(new FakeEngine(), ["run", "-d", "busybox", "nosuchcmd"]);
    expect(c.code).toBe(127);
  });

  it("prints the engine's warnings", async () => {
    const r = await docker(new FakeEngine(), ["run", "-d", "-m", "1m", "busybox", "sleep", "1"]);
    expect(r.err).toBe("WARNING: Your kernel does not support memory limit capabilities. Limitation discarded.\n");
  });

  it("reads --env-file through io and says when it is missing", async () => {
    const r = await docker(new FakeEngine(), ["run", "--env-file", "nope.env", "busybox"], { cwd: "/work" });
    expect(r).toMatchObject({ code: 1, err: "open nope.env: no such file or directory\n" });
  });
});

describe("create and start", () => {
  it("create prints the id and leaves the container created", async () => {
    const e = new FakeEngine();
    const r = await docker(e, ["create", "--name", "c1", "-i", "busybox", "cat"]);
    expect(r.out).toMatch(/^[a-f0-9]{64}\n$/);
    expect(created(e)).toMatchObject({ name: "c1", openStdin: true });
    expect(created(e).stdinOnce).toBeUndefined();
    expect(e.containers[0]!.state).toBe("created");
  });

  it("create reports a name conflict with 125", async () => {
    const e = new FakeEngine();
    await docker(e, ["create", "--name", "c1", "busybox"]);
    const r = await docker(e, ["create", "--name", "c1", "busybox"]);
    expect(r.code).toBe(125);
    expect(r.err).toMatch(/^docker: Error response from daemon: Conflict\. The container name "\/c1" is already in use/);
  });

  it("start prints each name and fails for the missing ones", async () => {
    const e = new FakeEngine();
    await docker(e, ["create", "--name", "a", "busybox", "sleep", "9"]);
    await docker(e, ["create", "--name", "b", "busybox", "sleep", "9"]);
    const r = await docker(e, ["start", "a", "nope", "b"]);
    expect(r.out).toBe("a\nb\n");
    expect(r.err).toBe("Error response from daemon: No such container: nope\nError: failed to start containers: nope\n");
    expect(r.code).toBe(1);
  });

  it("start -a streams and returns the exit code; -ai sends stdin", async () => {
    const e = new FakeEngine();
    await docker(e, ["create", "--name", "job", "busybox", "sh", "-c", "echo done; exit 4"]);
    const r = await docker(e, ["start", "-a", "job"]);
    expect(r).toMatchObject({ code: 4, out: "done\n" });
    await docker(e, ["create", "--name", "cat", "-i", "busybox", "cat"]);
    const c = await docker(e, ["start", "-ai", "cat"], { input: ["meow\n"] });
    expect(c).toMatchObject({ code: 0, out: "meow\n" });
    const many = await docker(e, ["start", "-a", "job", "cat"]);
    expect(many).toMatchObject({ code: 1, err: "you cannot start and attach multiple containers at once\n" });
  });
});

describe("lifecycle commands", () => {
  async function running(e: FakeEngine, name: string) {
    await docker(e, ["run", "-d", "--name", name, "busybox", "sleep", "100"]);
  }

  it("stop, kill, restart, pause, unpause, rm pass options and echo names", async () => {
    const e = new FakeEngine();
    await running(e, "a");
    await running(e, "b");
    expect((await docker(e, ["pause", "a"])).out).toBe("a\n");
    expect((await docker(e, ["unpause", "a"])).out).toBe("a\n");
    expect((await docker(e, ["restart", "-t", "3", "a"])).out).toBe("a\n");
    expect(e.callsTo("containerRestart").at(-1)).toEqual(["a", { timeout: 3 }]);
    expect((await docker(e, ["stop", "-t", "5", "-s", "SIGUSR1", "a", "b"])).out).toBe("a\nb\n");
    expect(e.callsTo("containerStop")).toEqual([
      ["a", { timeout: 5, signal: "SIGUSR1" }],
      ["b", { timeout: 5, signal: "SIGUSR1" }],
    ]);
    await docker(e, ["stop", "--time", "2", "a"]);
    expect(e.callsTo("containerStop").at(-1)).toEqual(["a", { timeout: 2 }]);
    await running(e, "c");
    expect((await docker(e, ["kill", "-s", "HUP", "c"])).out).toBe("c\n");
    expect(e.callsTo("containerKill").at(-1)).toEqual(["c", "HUP"]);
    expect((await docker(e, ["rm", "-v", "a", "b", "c"])).out).toBe("a\nb\nc\n");
    expect(e.callsTo("containerRemove").at(-1)).toEqual(["c", { volumes: true }]);
  });

  it("rm of a running container needs -f", async () => {
    const e = new FakeEngine();
    await running(e, "a");
    const r = await docker(e, ["rm", "a"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^Error response from daemon: You cannot remove a running container [a-f0-9]{64}\. Stop the container/);
    expect((await docker(e, ["rm", "-f", "a"])).code).toBe(0);
    expect(e.callsTo("containerRemove").at(-1)).toEqual(["a", { force: true }]);
  });

  it("goes on after a failure and exits 1", async () => {
    const e = new FakeEngine();
    await running(e, "a");
    const r = await docker(e, ["stop", "nope", "a"]);
    expect(r).toMatchObject({ code: 1, out: "a\n", err: "Error response from daemon: No such container: nope\n" });
  });

  it("rename, wait, top, diff, port", async () => {
    const e = new FakeEngine();
    await running(e, "old");
    expect(await docker(e, ["rename", "old", "new"])).toMatchObject({ code: 0, out: "" });
    expect(e.callsTo("containerRename")).toEqual([["old", "new"]]);
    const top = await docker(e, ["top", "new"]);
    expect(top.out).toBe("UID                 PID                 PPID                C                   STIME               TTY                 TIME                CMD\nroot                4242                4230                0                   00:00               ?                   00:00:00            sleep 100\n");
    expect((await docker(e, ["top", "new", "-ef"])).err).toBe("ps options are not supported here: -ef\n");
    expect((await docker(e, ["diff", "new"])).out).toBe("C /tmp\nA /tmp/hello.txt\nD /etc/motd\n");
    await docker(e, ["run", "-d", "--name", "web", "-p", "8080:80", "-p", "9000:9000/udp", "busybox", "sleep", "1"]);
    expect((await docker(e, ["port", "web"])).out).toBe("80/tcp -> 0.0.0.0:8080\n9000/udp -> 0.0.0.0:9000\n");
    expect((await docker(e, ["port", "web", "80"])).out).toBe("0.0.0.0:8080\n");
    expect(await docker(e, ["port", "web", "81"])).toMatchObject({ code: 1, err: "Error: No public port '81/tcp' published for web\n" });
    const wait = docker(e, ["wait", "new"]);
    await new Promise((r) => setTimeout(r, 1));
    await docker(e, ["stop", "new"]);
    expect((await wait).out).toBe("143\n");
    const ac = new AbortController();
    await docker(e, ["run", "-d", "--name", "long", "busybox", "sleep", "100"]);
    const w2 = docker(e, ["wait", "long"], { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 1));
    ac.abort();
    expect(await w2).toMatchObject({ code: 130, out: "" });
  });

  it("container prune asks first", async () => {
    const e = new FakeEngine();
    await docker(e, ["run", "busybox", "true"]);
    const no = await docker(e, ["container", "prune"], { input: ["n\n"] });
    expect(no.out).toBe("WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ");
    expect(e.callsTo("containerPrune")).toEqual([]);
    const yes = await docker(e, ["container", "prune"], { input: ["y\n"] });
    expect(yes.out).toMatch(/\[y\/N\] Deleted Containers:\n[a-f0-9]{64}\n\nTotal reclaimed space: 100B\n$/);
    const forced = await docker(e, ["container", "prune", "-f"]);
    expect(forced.out).toBe("Total reclaimed space: 0B\n");
  });
});

describe("ps", () => {
  async function setup() {
    let now = T0;
    const e = new FakeEngine({ now: () => now });
    await docker(e, ["run", "-d", "--name", "web", "-p", "8080:80", "-l", "tier=front", "busybox", "sh"], { now });
    now += 5 * 60_000;
    await docker(e, ["run", "--name", "job", "alpine:3.20", "sh", "-c", "echo a long command line that is cut; exit 2"], { now });
    now += 60_000;
    return { e, now };
  }

  it("lists running containers in docker's columns", async () => {
    const { e, now } = await setup();
    const r = await docker(e, ["ps"], { now });
    const id = e.containers[0]!.id.slice(0, 12);
    expect(r.out).toBe(
      "CONTAINER ID   IMAGE     COMMAND   CREATED         STATUS         PORTS                  NAMES\n" +
        `${id}   busybox   "sh"      6 minutes ago   Up 6 minutes   0.0.0.0:8080->80/tcp   web\n`,
    );
  });

  it("-a, truncation and --no-trunc", async () => {
    const { e, now } = await setup();
    const r = await docker(e, ["ps", "-a"], { now });
    expect(r.out.split("\n")[1]).toContain('"sh -c \'echo a long …"');
    expect(r.out.split("\n")[1]).toContain("Exited (2) About a minute ago");
    const full = await docker(e, ["ps", "-a", "--no-trunc"], { now });
    expect(full.out).toContain(`"sh -c 'echo a long command line that is cut; exit 2'"`);
    expect(full.out).toContain(e.containers[1]!.id);
  });

  it("-q, -n, -l and filters", async () => {
    const { e, now } = await setup();
    expect((await docker(e, ["ps", "-q"], { now })).out).toBe(e.containers[0]!.id.slice(0, 12) + "\n");
    expect((await docker(e, ["ps", "-aq", "--no-trunc"], { now })).out).toBe(`${e.containers[1]!.id}\n${e.containers[0]!.id}\n`);
    expect((await docker(e, ["ps", "-l", "--format", "{{.Names}}"], { now })).out).toBe("job\n");
    expect((await docker(e, ["ps", "-n", "2", "--format", "{{.Names}}"], { now })).out).toBe("job\nweb\n");
    await docker(e, ["ps", "-a", "--filter", "status=exited", "-f", "name=jo", "--filter", "label=tier=front", "-f", "ancestor=busybox", "--filter", "id=abc"], { now });
    expect(e.callsTo("containerList").at(-1)![0]).toEqual({ all: true, filters: { status: ["exited"], name: ["jo"], label: ["tier=front"], ancestor: ["busybox"], id: ["abc"] } });
    expect((await docker(e, ["ps", "-f", "status=exited", "-q"], { now })).out).toBe(e.containers[1]!.id.slice(0, 12) + "\n");
    expect(await docker(e, ["ps", "-f", "colour=red"], { now })).toMatchObject({ code: 125, err: "invalid filter 'colour'\nSee 'docker ps --help'.\n" });
    expect(await docker(e, ["ps", "-f", "status=sleeping"], { now })).toMatchObject({ code: 1, err: "invalid filter 'status=sleeping'\n" });
    expect(await docker(e, ["ps", "-f", "status"], { now })).toMatchObject({ code: 125 });
  });

  it("--format with fields, labels, json and table", async () => {
    const { e, now } = await setup();
    expect((await docker(e, ["ps", "--format", '{{.Names}}: {{.Label "tier"}} {{.Ports}} {{.State}}'], { now })).out).toBe("web: front 0.0.0.0:8080->80/tcp running\n");
    expect((await docker(e, ["ps", "--format", "table {{.Names}}\\t{{.Status}}"], { now })).out).toBe("NAMES     STATUS\nweb       Up 6 minutes\n");
    const json = JSON.parse((await docker(e, ["ps", "--format", "json"], { now })).out);
    expect(json).toMatchObject({ Names: "web", Image: "busybox", Labels: "tier=front", State: "running", RunningFor: "6 minutes ago", Networks: "bridge" });
    expect(Object.keys(json)).not.toContain("Label");
    expect((await docker(e, ["ps", "--format", "{{.CreatedAt}}"], { now })).out).toBe("2026-11-28 00:00:00 +0000 UTC\n");
    const bad = await docker(e, ["ps", "--format", "{{.Nmae}}"], { now });
    expect(bad).toMatchObject({ code: 1 });
    expect(bad.err).toContain("can't evaluate field Nmae");
  });
});

describe("logs", () => {
  async function withLogs() {
    const e = new FakeEngine();
    await docker(e, ["run", "-d", "--name", "app", "busybox", "sleep", "100"]);
    e.log("app", "stdout", "one\ntwo\n", T0 + 1000);
    e.log("app", "stderr", "oops\n", T0 + 2000);
    e.log("app", "stdout", "three\n", T0 + 3000);
    return e;
  }

  it("writes each stream where it belongs", async () => {
    const r = await docker(await withLogs(), ["logs", "app"]);
    expect(r).toMatchObject({ code: 0, out: "one\ntwo\nthree\n", err: "oops\n" });
  });

  it("passes --tail, --since and prefixes timestamps", async () => {
    const e = await withLogs();
    const r = await docker(e, ["logs", "-t", "--tail", "1", "--since", "10m", "app"], { now: T0 + 10_000 });
    expect(e.callsTo("containerLogs").at(-1)![1]).toEqual({ tail: 1, since: new Date(T0 + 10_000 - 600_000).toISOString() });
    expect(r.out).toBe("2026-11-28T00:00:03.000000000Z three\n");
    const all = await docker(e, ["logs", "-t", "app"]);
    expect(all.out).toBe("2026-11-28T00:00:01.000000000Z one\n2026-11-28T00:00:01.000000000Z two\n2026-11-28T00:00:03.000000000Z three\n");
    expect((await docker(e, ["logs", "-n", "x", "app"])).err).toBe('invalid value for "tail": "x" is not a number or "all"\n');
    expect((await docker(e, ["logs", "--until", "2026-11-28T00:00:01.5Z", "app"])).out).toBe("one\ntwo\n");
  });

  it("follows until the container stops, or until Ctrl-C", async () => {
    const e = await withLogs();
    const p = docker(e, ["logs", "-f", "--tail", "0", "app"]);
    await new Promise((r) => setTimeout(r, 1));
    e.log("app", "stdout", "live\n", T0 + 5000);
    await docker(e, ["stop", "app"]);
    expect(await p).toMatchObject({ code: 0, out: "live\n" });

    const e2 = await withLogs();
    const ac = new AbortController();
    const q = docker(e2, ["logs", "-f", "--tail", "0", "app"], { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 1));
    ac.abort();
    e2.log("app", "stdout", "after\n", T0 + 5000);
    expect(await q).toMatchObject({ code: 130, out: "" });
  });
});

describe("exec and attach", () => {
  it("exec runs in the container and returns its status", async () => {
    const e = new FakeEngine();
    await docker(e, ["run", "-d", "--name", "app", "busybox", "sleep", "100"]);
    const r = await docker(e, ["exec", "-e", "A=1", "-w", "/tmp", "-u", "nobody", "app", "sh", "-c", "echo in; exit 5"]);
    expect(r).toMatchObject({ code: 5, out: "in\n" });
    expect(e.callsTo("containerExec").at(-1)!.slice(0, 2)).toEqual(["app", { cmd: ["sh", "-c", "echo in; exit 5"], env: ["A=1"], workingDir: "/tmp", user: "nobody" }]);
    const missing = await docker(e, ["exec", "app", "nosuch"]);
    expect(missing.code).toBe(127);
    expect(missing.err).toContain('exec: "nosuch": executable file not found');
    const cat = await docker(e, ["exec", "-i", "app", "cat"], { input: ["piped\n"] });
    expect(cat).toMatchObject({ code: 0, out: "piped\n" });
    const d = await docker(e, ["exec", "-d", "app", "sleep", "5"]);
    expect(d).toMatchObject({ code: 0, out: "" });
    expect(e.callsTo("containerExec").at(-1)![1]).toMatchObject({ detach: true });
    const stopped = await docker(e, ["exec", "nope", "ls"]);
    expect(stopped).toMatchObject({ code: 1, err: "Error response from daemon: No such container: nope\n" });
  });

  it("exec -it resizes and keeps flags after the container name for the command", async () => {
    const e = new FakeEngine();
    await docker(e, ["run", "-d", "--name", "app", "busybox", "sleep", "100"]);
    const r = await docker(e, ["exec", "-it", "app", "sh", "-i"], { tty: true, input: ["exit\r"], endInput: false });
    expect(r.code).toBe(0);
    expect(e.callsTo("containerExec").at(-1)![1]).toEqual({ cmd: ["sh", "-i"], tty: true, interactive: true });
    expect(e.callsTo("sessionResize")).toHaveLength(1);
  });

  it("attach follows a running container and refuses a stopped one", async () => {
    const e = new FakeEngine();
    await docker(e, ["run", "-d", "-i", "--name", "app", "busybox", "cat"]);
    const r = await docker(e, ["attach", "app"], { input: ["hi\n"] });
    expect(r).toMatchObject({ code: 0, out: "hi\n" });
    expect(e.callsTo("containerAttach").at(-1)![1]).toEqual({ stdin: true });
    const again = await docker(e, ["attach", "app"]);
    expect(again).toMatchObject({ code: 1, err: "You cannot attach to a stopped container, start it first\n" });
    await docker(e, ["run", "-d", "-i", "--name", "app2", "busybox", "cat"]);
    const p = docker(e, ["attach", "--no-stdin", "app2"], { input: null });
    await new Promise((r) => setTimeout(r, 1));
    expect(e.callsTo("containerAttach").at(-1)![1]).toEqual({ stdin: false });
    await docker(e, ["stop", "app2"]);
    expect((await p).code).toBe(143);
  });
});

describe("container inspect", () => {
  it("prints dockerd's shape and applies -f", async () => {
    const e = new FakeEngine();
    await docker(e, ["run", "-d", "--name", "web", "-e", "A=1", "-p", "8080:80", "-v", "data:/data", "busybox", "sleep", "100"]);
    const r = await docker(e, ["container", "inspect", "web"]);
    expect(r.code).toBe(0);
    expect(r.out.startsWith("[\n    {\n        \"Id\": ")).toBe(true);
    const [obj] = JSON.parse(r.out);
    expect(obj).toMatchObject({
      Name: "/web",
      Path: "sleep",
      Args: ["100"],
      State: { Status: "running", Running: true, Pid: 4242 },
      HostConfig: { PortBindings: { "80/tcp": [{ HostIp: "", HostPort: "8080" }] }, RestartPolicy: { Name: "no", MaximumRetryCount: 0 } },
      Config: { Image: "busybox", Cmd: ["sleep", "100"], Env: expect.arrayContaining(["A=1"]), ExposedPorts: { "80/tcp": {} } },
      NetworkSettings: { IPAddress: "172.17.0.2", Ports: { "80/tcp": [{ HostIp: "0.0.0.0", HostPort: "8080" }] } },
      Mounts: [{ Type: "volume", Name: "data", Destination: "/data", RW: true }],
    });
    const f = await docker(e, ["inspect", "-f", "{{.State.Status}} {{json .Config.Cmd}} {{.NetworkSettings.IPAddress}} {{range .Mounts}}{{.Name}}{{end}}", "web"]);
    expect(f.out).toBe('running ["sleep","100"] 172.17.0.2 data\n');
    const missing = await docker(e, ["container", "inspect", "web", "nope"]);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.out)).toHaveLength(1);
    expect(missing.err).toBe("Error: No such container: nope\n");
    const badTemplate = await docker(e, ["inspect", "-f", "{{.State", "web"]);
    expect(badTemplate).toMatchObject({ code: 64 });
    expect(badTemplate.err).toContain("template parsing error");
  });
});
