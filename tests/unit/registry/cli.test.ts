// docker pull, push, login, logout, save, load, import, export against the
// CLI's fake engine: flags, output and errors as docker prints them.

import { describe, expect, it } from "vitest";
import { progressBar, ProgressPrinter } from "../../../src/cli/progress.ts";
import { docker, FakeEngine, MemFs } from "../cli/harness.ts";

const dec = new TextDecoder();

describe("docker pull", () => {
  it("prints docker's lines without a terminal", async () => {
    const e = new FakeEngine();
    const r = await docker(e, ["pull", "hello"]);
    expect(r.code).toBe(0);
    const lines = r.out.split("\n");
    expect(lines[0]).toBe("Using default tag: latest");
    expect(lines[1]).toBe("latest: Pulling from library/hello");
    expect(lines[2]).toMatch(/^[0-9a-f]{12}: Pulling fs layer$/);
    expect(r.out).not.toContain("Downloading");
    expect(lines.slice(3, 6).map((l) => l.slice(14))).toEqual(["Verifying Checksum", "Download complete", "Pull complete"]);
    expect(lines[6]).toMatch(/^Digest: sha256:[0-9a-f]{64}$/);
    expect(lines.slice(7)).toEqual(["Status: Downloaded newer image for hello:latest", "docker.io/library/hello:latest", ""]);
    expect(e.callsTo("imagePull")).toEqual([["hello", {}]]);

    const again = await docker(e, ["image", "pull", "hello:latest"]);
    expect(again.out).not.toContain("Using default tag");
    expect(again.out).toContain(": Already exists\n");
    expect(again.out).toContain("Status: Image is up to date for hello:latest\n");
  });

  it("-q prints only the name; --platform and -a reach the engine", async () => {
    const e = new FakeEngine();
    expect((await docker(e, ["pull", "-q", "hello:1"])).out).toBe("docker.io/library/hello:1\n");
    await docker(e, ["pull", "--platform", "linux/386", "-a", "hello"]);
    expect(e.callsTo("imagePull").at(-1)).toEqual(["hello", { platform: "linux/386", allTags: true }]);
  });

  it("rewrites layer lines in place on a terminal, with a bar when it is wide", async () => {
    const e = new FakeEngine();
    const r = await docker(e, ["pull", "hello"], { tty: true, columns: 120 });
    expect(r.out).toContain("\x1b[1A\x1b[2K\r");
    expect(r.out).toMatch(/Downloading \[={25}> {25}\] {6}1MB\/2MB/);
  });

  it("reports a missing manifest as the daemon's error", async () => {
    const r = await docker(new FakeEngine(), ["pull", "missing/thing:1"]);
    expect(r.code).toBe(1);
    expect(r.err).toBe("Error response from daemon: manifest for missing/thing:1 not found: manifest unknown: manifest unknown\n");
  });

  it("needs exactly one name", async () => {
    const r = await docker(new FakeEngine(), ["pull"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('"docker pull" requires exactly 1 argument.');
  });
});

describe("docker push", () => {
  it("prints the push and its digest line", async () => {
    const e = new FakeEngine();
    await docker(e, ["login", "-u", "me", "-p", "secret"]);
    const r = await docker(e, ["push", "busybox"]);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split("\n");
    expect(lines[0]).toBe("Using default tag: latest");
    expect(lines[1]).toBe("The push refers to repository [docker.io/library/busybox]");
    expect(lines[2]).toMatch(/^[0-9a-f]{12}: Preparing$/);
    expect(lines[3]).toMatch(/^[0-9a-f]{12}: Pushed$/);
    expect(lines[4]).toMatch(/^latest: digest: sha256:[0-9a-f]{64} size: 527$/);
  });

  it("prints an error that came mid-stream as it is, and a missing tag as the daemon's", async () => {
    const e = new FakeEngine();
    const denied = await docker(e, ["push", "busybox:latest"]);
    expect(denied.code).toBe(1);
    expect(denied.out).toContain("Preparing\n");
    expect(denied.err).toBe("denied: requested access to the resource is denied\n");
    const missing = await docker(e, ["push", "nothing/here"]);
    expect(missing.err).toBe("Error response from daemon: An image does not exist locally with the tag: nothing/here\n");
  });
});

describe("docker login / logout", () => {
  it("logs in with -u/-p (warning about -p) and logs out", async () => {
    const e = new FakeEngine();
    const r = await docker(e, ["login", "-u", "me", "-p", "secret"]);
    expect(r.code).toBe(0);
    expect(r.out).toBe("Login Succeeded\n");
    expect(r.err).toBe("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
    expect(e.callsTo("registryLogin")).toEqual([[{ username: "me", password: "<hidden>" }]]);
    expect((await docker(e, ["logout"])).out).toBe("Removing login credentials for https://index.docker.io/v1/\n");
    expect((await docker(e, ["logout"])).out).toBe("Not logged in to https://index.docker.io/v1/\n");
    expect((await docker(e, ["logout", "localhost:5000"])).out).toBe("Not logged in to localhost:5000\n");
  });

  it("reads the password from stdin and needs --username with it", async () => {
    const e = new FakeEngine();
    const r = await docker(e, ["login", "localhost:5000", "-u", "me", "--password-stdin"], { input: ["secret\n"] });
    expect(r.out).toBe("Login Succeeded\n");
    expect(e.callsTo("registryLogin")).toEqual([[{ server: "localhost:5000", username: "me", password: "<hidden>" }]]);
    const noUser = await docker(e, ["login", "--password-stdin"], { input: ["secret\n"] });
    expect(noUser.err).toBe("Must provide --username with --password-stdin\n");
    const both = await docker(e, ["login", "-u", "me", "-p", "x", "--password-stdin"], { input: ["secret\n"] });
    expect(both.err).toContain("--password and --password-stdin are mutually exclusive\n");
  });

  it("prompts on a terminal, and refuses to without one", async () => {
    const e = new FakeEngine();
    const r = await docker(e, ["login", "-u", "me"], { tty: true, stdinTTY: true, input: ["secret\n"] });
    expect(r.code).toBe(0);
    expect(r.out).toBe("Password: \nLogin Succeeded\n");
    const user = await docker(e, ["login", "localhost:5000"], { tty: true, stdinTTY: true, input: ["\n"] });
    expect(user.out).toBe("Username: ");
    expect(user.err).toBe("Error: Non-null Username Required\n");
    const none = await docker(e, ["login"], { input: null });
    expect(none.err).toBe("Error: Cannot perform an interactive login from a non TTY device\n");
  });

  it("says what the registry said about wrong credentials", async () => {
    const r = await docker(new FakeEngine(), ["login", "-u", "me", "--password-stdin"], { input: ["wrong"] });
    expect(r.code).toBe(1);
    expect(r.err).toBe('Error response from daemon: Get "https://registry-1.docker.io/v2/": unauthorized: incorrect username or password\n');
  });
});

describe("docker save / load", () => {
  it("writes -o files, refuses a terminal, and streams to a pipe", async () => {
    const e = new FakeEngine();
    const fs = new MemFs({ "/work/.keep": "", "/tmp/.keep": "" });
    const r = await docker(e, ["save", "-o", "out.tar", "busybox", "alpine:3.20"], {}, fs);
    expect(r.code).toBe(0);
    expect(dec.decode(fs.files.get("/work/out.tar")!.data)).toBe("archive(docker):busybox,alpine:3.20");
    const oci = await docker(e, ["image", "save", "--format", "oci", "-o", "/tmp/oci.tar", "busybox"], {}, fs);
    expect(oci.code).toBe(0);
    expect(dec.decode(fs.files.get("/tmp/oci.tar")!.data)).toBe("archive(oci):busybox");
    const tty = await docker(e, ["save", "busybox"], { tty: true });
    expect(tty.err).toBe("cowardly refusing to save to a terminal. Use the -o flag or redirect\n");
    const piped = await docker(e, ["save", "busybox"]);
    expect(dec.decode(piped.outBytes)).toBe("archive(docker):busybox");
    const bad = await docker(e, ["save", "--format", "zip", "-o", "x", "busybox"]);
    expect(bad.err).toBe('invalid argument "zip" for "--format" flag: must be "docker" or "oci"\n');
  });

  it("loads from -i or stdin and prints what it loaded", async () => {
    const e = new FakeEngine();
    e.loadable.set("A", [{ id: "sha256:" + "a".repeat(64), tags: ["one:1", "two:2"] }, { id: "sha256:" + "b".repeat(64), tags: [] }]);
    const fs = new MemFs({ "/work/a.tar": "A" });
    const r = await docker(e, ["load", "-i", "a.tar"], {}, fs);
    expect(r.out).toBe(`Loaded image: one:1\nLoaded image: two:2\nLoaded image ID: sha256:${"b".repeat(64)}\n`);
    expect((await docker(e, ["image", "load", "-q"], { input: ["A"] })).out).toContain("Loaded image: one:1\n");
    expect((await docker(e, ["load"], { stdinTTY: true, tty: true })).err).toBe("requested load from stdin, but stdin is empty\n");
    expect((await docker(e, ["load"], { input: [] })).err).toBe("requested load from stdin, but stdin is empty\n");
    expect((await docker(e, ["load", "-i", "nope.tar"], {}, fs)).err).toBe("open nope.tar: no such file or directory\n");
    expect((await docker(e, ["load"], { input: ["junk"] })).err).toMatch(/^Error response from daemon: invalid archive/);
  });
});

describe("docker import / export", () => {
  it("imports a file or stdin with changes and a message, printing the ID", async () => {
    const e = new FakeEngine();
    const fs = new MemFs({ "/work/rootfs.tar": "ROOTFS" });
    const r = await docker(e, ["import", "-c", "CMD [\"sh\"]", "-c", "ENV A=1", "-m", "made here", "rootfs.tar", "me/rootfs:1"], {}, fs);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(e.callsTo("imageImport")).toEqual([["ROOTFS", { ref: "me/rootfs:1", changes: ['CMD ["sh"]', "ENV A=1"], message: "made here" }]]);
    await docker(e, ["image", "import", "-"], { input: ["FROM-STDIN"] });
    expect(e.callsTo("imageImport").at(-1)).toEqual(["FROM-STDIN", {}]);
  });

  it("exports a container to -o, and refuses a terminal", async () => {
    const e = new FakeEngine();
    await docker(e, ["create", "--name", "web", "busybox"]);
    const fs = new MemFs({ "/work/.keep": "" });
    expect((await docker(e, ["export", "-o", "web.tar", "web"], {}, fs)).code).toBe(0);
    expect(dec.decode(fs.files.get("/work/web.tar")!.data)).toBe("filesystem of web");
    expect((await docker(e, ["container", "export", "web"], { tty: true })).err).toBe("cowardly refusing to save to a terminal. Use the -o flag or redirect\n");
    expect(dec.decode((await docker(e, ["export", "web"])).outBytes)).toBe("filesystem of web");
  });
});

describe("help", () => {
  it("lists pull, push, login and logout among the common commands", async () => {
    const r = await docker(new FakeEngine(), ["--help"]);
    const common = r.out.slice(r.out.indexOf("Common Commands:"), r.out.indexOf("Management Commands:"));
    expect(common).toMatch(/pull +Download an image from a registry/);
    expect(common).toMatch(/push +Upload an image to a registry/);
    expect(common).toMatch(/login +Log in to a registry/);
    expect(common).toMatch(/logout +Log out from a registry/);
  });

  it("shows docker's flags for save and import", async () => {
    const save = await docker(new FakeEngine(), ["save", "--help"]);
    expect(save.out).toContain("Usage:  docker save [OPTIONS] IMAGE [IMAGE...]");
    expect(save.out).toMatch(/-o, --output string +Write to a file, instead of STDOUT/);
    const imp = await docker(new FakeEngine(), ["import", "--help"]);
    expect(imp.out).toContain("Usage:  docker import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]");
    expect(imp.out).toMatch(/-c, --change list +Apply Dockerfile instruction to the created image/);
  });
});

describe("progress printer", () => {
  it("makes docker's bars and counts", () => {
    expect(progressBar({ current: 0, total: 0 }, 120)).toBe("");
    expect(progressBar({ current: 1_050_000 }, 120)).toBe("  1.05MB");
    expect(progressBar({ current: 1_050_000, total: 2_100_000 }, 80)).toBe("  1.05MB/2.1MB");
    expect(progressBar({ current: 2_100_000, total: 2_100_000 }, 120)).toBe(`[${"=".repeat(50)}>] ` + "   2.1MB/2.1MB");
  });

  it("keeps one line per layer on a terminal", () => {
    let out = "";
    const p = new ProgressPrinter((t) => (out += t), true, 80);
    p.message({ id: "latest", status: "Pulling from library/x" });
    p.message({ id: "aaaaaaaaaaaa", status: "Pulling fs layer" });
    p.message({ id: "bbbbbbbbbbbb", status: "Pulling fs layer" });
    p.message({ id: "aaaaaaaaaaaa", status: "Download complete" });
    p.message({ status: "Digest: sha256:x" });
    expect(out).toBe(
      "latest: Pulling from library/x\naaaaaaaaaaaa: Pulling fs layer\nbbbbbbbbbbbb: Pulling fs layer\n" +
        "\x1b[2A\x1b[2K\raaaaaaaaaaaa: Download complete\r\x1b[2B" +
        "Digest: sha256:x\n",
    );
  });
});

describe("docker run / create of a missing image", () => {
  it("pulls it first, as the docker CLI does, with the pull's output on stderr", async () => {
    const e = new FakeEngine();
    const r = await docker(e, ["run", "--rm", "hello", "echo", "hi"]);
    expect(r.code).toBe(0);
    expect(r.out).toBe("hi\n");
    const err = r.err.split("\n");
    expect(err[0]).toBe("Unable to find image 'hello:latest' locally");
    expect(err[1]).toBe("latest: Pulling from library/hello");
    expect(r.err).toContain("Status: Downloaded newer image for hello:latest\n");
    expect(e.callsTo("containerCreate")).toHaveLength(2);
  });

  it("--pull always pulls an image it has; --pull never does not pull", async () => {
    const e = new FakeEngine();
    const r = await docker(e, ["create", "--pull", "always", "busybox"]);
    expect(r.code).toBe(0);
    expect(e.callsTo("imagePull")).toEqual([["busybox", {}]]);
    const bad = await docker(e, ["create", "--pull", "sometimes", "busybox"]);
    expect(bad.err).toContain(`invalid pull option: 'sometimes'`);
    const never = await docker(e, ["create", "--pull", "never", "hello"]);
    expect(never.code).toBe(125);
    expect(e.callsTo("imagePull")).toHaveLength(1);
  });
});
