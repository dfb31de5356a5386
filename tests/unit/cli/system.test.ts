// volume, network, version, info, system df/prune, events, inspect.
import { describe, expect, it } from "vitest";
import { docker, FakeEngine, T0 } from "./harness.ts";

describe("volume", () => {
  it("create, ls, inspect, rm", async () => {
    const e = new FakeEngine();
    expect((await docker(e, ["volume", "create", "--label", "env=dev", "data"])).out).toBe("data\n");
    expect(e.callsTo("volumeCreate")[0]).toEqual([{ name: "data", labels: { env: "dev" } }]);
    const anon = (await docker(e, ["volume", "create"])).out.trim();
    expect(anon).toMatch(/^[a-f0-9]{64}$/);
    expect((await docker(e, ["volume", "ls"])).out).toBe(`DRIVER    VOLUME NAME\nlocal     ${anon}\nlocal     data\n`);
    expect((await docker(e, ["volume", "ls", "-q", "-f", "label=env=dev"])).out).toBe("data\n");
    expect((await docker(e, ["volume", "ls", "--format", "{{.Name}} {{.Labels}} {{.Mountpoint}}", "-f", "name=dat"])).out).toBe("data env=dev /var/lib/berth/volumes/data/_data\n");
    const inspect = JSON.parse((await docker(e, ["volume", "inspect", "data"])).out);
    expect(inspect).toEqual([{ CreatedAt: new Date(T0).toISOString(), Driver: "local", Labels: { env: "dev" }, Mountpoint: "/var/lib/berth/volumes/data/_data", Name: "data", Options: null, Scope: "local" }]);
    expect(await docker(e, ["volume", "inspect", "nope"])).toMatchObject({ code: 1, out: "[]\n", err: "Error: get nope: no such volume\n" });
    await docker(e, ["run", "-d", "-v", "data:/data", "busybox", "sleep", "1"]);
    expect((await docker(e, ["volume", "ls", "-q", "-f", "dangling=true"])).out).toBe(`${anon}\n`);
    const inUse = await docker(e, ["volume", "rm", "data", anon]);
    expect(inUse.code).toBe(1);
    expect(inUse.out).toBe(`${anon}\n`);
    expect(inUse.err).toMatch(/^Error response from daemon: remove data: volume is in use/);
    await docker(e, ["volume", "rm", "-f", "data"]);
    expect(e.callsTo("volumeRemove").at(-1)).toEqual(["data", { force: true }]);
    expect((await docker(e, ["volume", "create", "-d", "nfs", "x"])).err).toContain('plugin "nfs" not found');
  });

  it("prune asks; -a removes named ones too", async () => {
    const e = new FakeEngine();
    await docker(e, ["volume", "create", "named"]);
    const r = await docker(e, ["volume", "prune"], { input: ["y\n"] });
    expect(r.out).toBe("WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] Total reclaimed space: 0B\n");
    const a = await docker(e, ["volume", "prune", "-a", "-f"]);
    expect(a.out).toBe("Deleted Volumes:\nnamed\n\nTotal reclaimed space: 0B\n");
    expect(e.callsTo("volumePrune")).toEqual([[{}], [{ all: true }]]);
  });
});

describe("network", () => {
  it("create, ls, inspect, connect, disconnect, rm, prune", async () => {
    const e = new FakeEngine();
    const id = (await docker(e, ["network", "create", "--internal", "--subnet", "10.9.0.0/24", "--label", "a=b", "backend"])).out.trim();
    expect(id).toMatch(/^[a-f0-9]{64}$/);
    expect(e.callsTo("networkCreate")[0]).toEqual([{ name: "backend", internal: true, subnet: "10.9.0.0/24", labels: { a: "b" } }]);
    const ls = await docker(e, ["network", "ls"]);
    expect(ls.out.split("\n")[0]).toBe("NETWORK ID     NAME      DRIVER    SCOPE");
    expect(ls.out).toContain(`${id.slice(0, 12)}   backend   bridge    local\n`);
    expect((await docker(e, ["network", "ls", "-q", "--no-trunc", "-f", "name=back"])).out).toBe(`${id}\n`);
    expect((await docker(e, ["network", "ls", "--format", "{{.Name}}", "-f", "type=custom"])).out).toBe("backend\n");
    await docker(e, ["run", "-d", "--name", "api", "busybox", "sleep", "1"]);
    expect((await docker(e, ["network", "connect", "--alias", "svc", "backend", "api"])).code).toBe(0);
    expect(e.callsTo("networkConnect")[0]).toEqual(["backend", "api", { aliases: ["svc"] }]);
    const inspect = JSON.parse((await docker(e, ["network", "inspect", "backend"])).out)[0];
    expect(inspect).toMatchObject({ Name: "backend", Id: id, Driver: "bridge", Internal: true, IPAM: { Config: [{ Subnet: "10.9.0.0/24", Gateway: "172.18.0.1" }] } });
    expect(Object.values(inspect.Containers)).toEqual([{ Name: "api", EndpointID: "", MacAddress: "", IPv4Address: "172.18.0.2/24", IPv6Address: "" }]);
    expect((await docker(e, ["network", "inspect", "-f", "{{.Driver}} {{len .Containers}}", "backend"])).out).toBe("bridge 1\n");
    expect((await docker(e, ["network", "disconnect", "-f", "backend", "api"])).code).toBe(0);
    expect(e.callsTo("networkDisconnect")[0]).toEqual(["backend", "api", { force: true }]);
    expect(await docker(e, ["network", "rm", "bridge"])).toMatchObject({ code: 1, err: "Error response from daemon: bridge is a pre-defined network and cannot be removed\n" });
    await docker(e, ["network", "create", "spare"]);
    const prune = await docker(e, ["network", "prune", "-f"]);
    expect(prune.out).toBe("Deleted Networks:\nbackend\nspare\n");
    expect((await docker(e, ["network", "create", "-d", "overlay", "x"])).code).toBe(1);
  });
});

describe("version and info", () => {
  it("--format reaches client and server fields", async () => {
    const e = new FakeEngine();
    expect((await docker(e, ["version", "--format", "{{.Server.Version}} {{.Server.KernelVersion}} {{.Server.Arch}}"])).out).toBe("0.1.0 6.1.0-berth 386\n");
    expect((await docker(e, ["version", "-f", "{{.Client.Version}}"])).out).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(JSON.parse((await docker(e, ["version", "--format", "json"])).out).Server.ApiVersion).toBe("1.43");
    expect((await docker(e, ["info", "--format", "{{.Containers}} {{.Images}} {{.MemTotal}} {{.OSType}}"])).out).toBe("0 2 2087000000 linux\n");
    const info = await docker(e, ["info"]);
    expect(info.out).toContain("Server:\n Containers: 0\n  Running: 0\n  Paused: 0\n  Stopped: 0\n Images: 2\n");
    expect(info.out).toContain(" Total Memory: 1.944GiB\n");
  });
});

describe("system", () => {
  it("df fills ACTIVE and RECLAIMABLE from the lists", async () => {
    const e = new FakeEngine();
    await docker(e, ["run", "-d", "busybox", "sleep", "1"]);
    await docker(e, ["volume", "create", "v1"]);
    e.volumes[0]!.size = 36;
    const r = await docker(e, ["system", "df"]);
    expect(r.out).toBe(
      [
        "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE",
        "Images          2         1         12.06MB   7.8MB (64%)",
        "Containers      1         1         100B      0B (0%)",
        "Local Volumes   1         0         36B       36B (100%)",
        "Build Cache     3         0         2MB       2MB",
        "",
      ].join("\n"),
    );
    expect((await docker(e, ["system", "df", "--format", "{{.Type}}={{.Size}}"])).out.split("\n")[0]).toBe("Images=12.06MB");
  });

  it("prune lists what it will remove and reports each part", async () => {
    const e = new FakeEngine();
    await docker(e, ["run", "busybox", "true"]);
    e.addImage("", { created: T0, size: 1000 }).repoTags = [];
    const r = await docker(e, ["system", "prune", "--volumes"], { input: ["y\n"] });
    const prompt = [
      "WARNING! This will remove:",
      "  - all stopped containers",
      "  - all networks not used by at least one container",
      "  - all anonymous volumes not used by at least one container",
      "  - all dangling images",
      "  - unused build cache",
      "",
      "Are you sure you want to continue? [y/N] ",
    ].join("\n");
    expect(r.out.startsWith(prompt)).toBe(true);
    expect(r.out.slice(prompt.length)).toMatch(
      /^Deleted Containers:\n[a-f0-9]{64}\n\nDeleted Images:\ndeleted: sha256:[a-f0-9]{64}\n\nDeleted build cache objects:\nabc123\ndef456\n0123ab\n\nTotal reclaimed space: 2.001MB\n$/,
    );
    expect(e.callsTo("volumePrune")).toHaveLength(1);
    const a = await docker(e, ["system", "prune", "-a"], { input: ["n\n"] });
    expect(a.out).toContain("  - all images without at least one container associated to them\n  - all build cache\n");
    expect(e.callsTo("containerPrune")).toHaveLength(1);
  });
});

describe("events", () => {
  it("prints events as they come until Ctrl-C, then unsubscribes", async () => {
    let now = T0;
    const e = new FakeEngine({ now: () => now });
    const ac = new AbortController();
    const p = docker(e, ["events", "--filter", "type=container", "-f", "event=start"], { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 1));
    now += 1500;
    await docker(e, ["run", "-d", "--name", "x", "busybox", "sleep", "9"]);
    ac.abort();
    const r = await p;
    const id = e.containers[0]!.id;
    expect(r.out).toBe(`2026-11-28T00:00:01.500000000Z container start ${id} (image=busybox, name=x)\n`);
    expect(r.code).toBe(130);
    expect(e.callsTo("subscribe")[0]).toEqual([{ type: ["container"], event: ["start"] }]);
    expect(e.callsTo("unsubscribe")).toHaveLength(1);
  });

  it("formats with --format and stops at --until", async () => {
    const e = new FakeEngine();
    const p = docker(e, ["events", "--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Status}}", "--until", String((T0 + 50) / 1000)]);
    await new Promise((r) => setTimeout(r, 1));
    await docker(e, ["volume", "create", "v"]);
    await docker(e, ["create", "--name", "c", "busybox"]);
    const r = await p;
    expect(r.out).toBe("volume create <no value> \ncontainer create c create\n");
    expect(r.code).toBe(0);
    const json = docker(e, ["events", "--format", "json", "--until", String((T0 + 30) / 1000)]);
    await new Promise((r) => setTimeout(r, 1));
    await docker(e, ["rm", "c"]);
    expect(JSON.parse((await json).out)).toMatchObject({ status: "destroy", Type: "container", Action: "destroy", Actor: { Attributes: { name: "c" } }, scope: "local" });
  });

  it("returns at once for an --until in the past, and checks filters", async () => {
    const e = new FakeEngine();
    expect(await docker(e, ["events", "--until", "2000-01-01"])).toMatchObject({ code: 0, out: "" });
    expect(e.callsTo("subscribe")).toEqual([]);
    expect((await docker(e, ["events", "-f", "colour=red"])).err).toBe("invalid filter 'colour'\nSee 'docker events --help'.\n");
    expect((await docker(e, ["events", "--since", "whenever"])).err).toBe('failed to parse value as time or duration: "whenever"\n');
  });
});

describe("inspect", () => {
  it("finds containers, images, volumes and networks, or says no such object", async () => {
    const e = new FakeEngine();
    await docker(e, ["run", "-d", "--name", "web", "busybox", "sleep", "1"]);
    await docker(e, ["volume", "create", "data"]);
    const r = await docker(e, ["inspect", "-f", "{{if .State}}container {{.Name}}{{else if .RepoTags}}image {{index .RepoTags 0}}{{else if .Mountpoint}}volume {{.Name}}{{else}}network {{.Name}}{{end}}", "web", "busybox", "data", "bridge"]);
    expect(r.out).toBe("container /web\nimage busybox:latest\nvolume data\nnetwork bridge\n");
    const missing = await docker(e, ["inspect", "nothing"]);
    expect(missing).toMatchObject({ code: 1, out: "[]\n", err: "Error: No such object: nothing\n" });
    expect((await docker(e, ["inspect", "--type", "image", "web"])).err).toBe("Error: No such image: web\n");
    expect((await docker(e, ["inspect", "--type", "plugin", "web"])).err).toBe('"plugin" is not a valid value for --type\n');
  });
});
