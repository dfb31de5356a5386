// The dispatcher and help: docker's layout, messages and exit codes.
import { describe, expect, it } from "vitest";
import { allCommands, allGroups, argsProblem } from "../../../src/cli/docker.ts";
import { commandHelp, flagUsages } from "../../../src/cli/help.ts";
import { docker, FakeEngine } from "./harness.ts";

describe("help", () => {
  const paths = allCommands().flatMap((c) => c.paths.map((p) => ({ cmd: c, path: p })));

  it.each(paths.map(({ cmd, path }) => [path.join(" "), cmd, path] as const))("docker %s --help", async (_name, cmd, path) => {
    const r = await docker(new FakeEngine(), [...path, "--help"]);
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    expect(r.out.startsWith(`\nUsage:  docker ${path.join(" ")}`)).toBe(true);
    expect(r.out).toContain(`\n\n${cmd.short}\n`);
    if (cmd.flags.some((f) => !f.hidden)) expect(r.out).toContain("\nOptions:\n");
    for (const f of cmd.flags.filter((x) => !x.hidden)) expect(r.out).toContain(`--${f.name}`);
    if (cmd.paths.length > 1) expect(r.out).toContain(`Aliases:\n  ${cmd.paths.map((p) => "docker " + p.join(" ")).join(", ")}\n`);
  });

  it("has the same text for -h, --help and docker help", async () => {
    const e = new FakeEngine();
    const a = await docker(e, ["ps", "-h"]);
    const b = await docker(e, ["help", "ps"]);
    const c = await docker(e, ["container", "ls", "--help"]);
    expect(a.out).toBe(b.out);
    expect(c.out).toContain("Usage:  docker container ls [OPTIONS]");
  });

  it("lays out options like pflag", () => {
    expect(
      flagUsages([
        { name: "detach", short: "d", kind: "bool", usage: "Run in background" },
        { name: "name", kind: "string", usage: "Assign a name" },
        { name: "restart", kind: "string", usage: "Restart policy", default: "no" },
        { name: "last", short: "n", kind: "int", usage: "Show n last", default: -1 },
        { name: "sig-proxy", kind: "bool", usage: "Proxy signals", default: true },
        { name: "memory", short: "m", kind: "string", typeName: "bytes", usage: "Memory limit" },
        { name: "secret", kind: "string", usage: "x", hidden: true },
      ]),
    ).toBe(
      [
        "  -d, --detach           Run in background",
        "  -n, --last int         Show n last (default -1)",
        "  -m, --memory bytes     Memory limit",
        "      --name string      Assign a name",
        '      --restart string   Restart policy (default "no")',
        "      --sig-proxy        Proxy signals (default true)",
      ].join("\n"),
    );
  });

  it("lists every command and group in docker --help", async () => {
    const r = await docker(new FakeEngine(), ["--help"]);
    expect(r.code).toBe(0);
    expect(r.out.startsWith("\nUsage:  docker [OPTIONS] COMMAND\n")).toBe(true);
    expect(r.out).toContain("Common Commands:\n  run         Create and run a new container from an image\n  exec  ");
    expect(r.out).toContain("Management Commands:\n  builder     Manage builds\n");
    expect(r.out).toContain("Global Options:\n  -D, --debug     Enable debug mode\n  -v, --version   Print version information and quit\n");
    expect(r.out).toContain("Run 'docker COMMAND --help' for more information on a command.\n");
    for (const cmd of allCommands()) for (const p of cmd.paths) if (p.length === 1) expect(r.out).toContain(`\n  ${p[0]!.padEnd(12)}${cmd.short}\n`);
    for (const g of allGroups()) expect(r.out).toContain(`\n  ${g.name.padEnd(12)}${g.short}\n`);
    expect((await docker(new FakeEngine(), [])).out).toBe(r.out);
    expect((await docker(new FakeEngine(), ["help"])).out).toBe(r.out);
  });

  it("shows a group's commands", async () => {
    const r = await docker(new FakeEngine(), ["volume"]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        "",
        "Usage:  docker volume COMMAND",
        "",
        "Manage volumes",
        "",
        "Commands:",
        "  create      Create a volume",
        "  inspect     Display detailed information on one or more volumes",
        "  ls          List volumes",
        "  prune       Remove unused local volumes",
        "  rm          Remove one or more volumes",
        "",
        "Run 'docker volume COMMAND --help' for more information on a command.",
        "",
      ].join("\n"),
    );
    expect((await docker(new FakeEngine(), ["volume", "--help"])).out).toBe(r.out);
  });

  it("renders a command's full help", () => {
    const cmd = allCommands().find((c) => c.paths.some((p) => p.join(" ") === "rename"))!;
    expect(commandHelp(cmd, ["rename"])).toBe(
      "\nUsage:  docker rename CONTAINER NEW_NAME\n\nRename a container\n\nAliases:\n  docker container rename, docker rename\n",
    );
  });
});

describe("dispatch errors", () => {
  it("rejects an unknown command", async () => {
    const r = await docker(new FakeEngine(), ["foo"]);
    expect(r).toMatchObject({ code: 1, out: "", err: "docker: 'foo' is not a docker command.\nSee 'docker --help'\n" });
    const g = await docker(new FakeEngine(), ["image", "frobnicate"]);
    expect(g).toMatchObject({ code: 1, err: "docker: 'image frobnicate' is not a docker command.\nSee 'docker image --help'\n" });
  });

  it("knows pull, push, login, logout, save, load, import and export (tests/unit/registry/cli.test.ts)", async () => {
    for (const c of ["pull", "push", "login", "logout", "save", "load", "import", "export"]) {
      expect((await docker(new FakeEngine(), [c, "--help"])).out).toContain(`Usage:  docker ${c}`);
    }
  });

  it("reports flag errors with status 125", async () => {
    expect(await docker(new FakeEngine(), ["ps", "--foo"])).toMatchObject({ code: 125, err: "unknown flag: --foo\nSee 'docker ps --help'.\n" });
    expect(await docker(new FakeEngine(), ["logs", "-n"])).toMatchObject({ code: 125, err: "flag needs an argument: 'n' in -n\nSee 'docker logs --help'.\n" });
    expect(await docker(new FakeEngine(), ["--nope"])).toMatchObject({ code: 125, err: "unknown flag: --nope\nSee 'docker --help'.\n" });
    expect(await docker(new FakeEngine(), ["run", "-m", "lots", "busybox"])).toMatchObject({
      code: 125,
      err: `invalid argument "lots" for "-m, --memory" flag: invalid size: 'lots'\nSee 'docker run --help'.\n`,
    });
  });

  it("reports argument counts as docker does", async () => {
    const r = await docker(new FakeEngine(), ["run"]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      '"docker run" requires at least 1 argument.\nSee \'docker run --help\'.\n\nUsage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nCreate and run a new container from an image\n',
    );
    expect((await docker(new FakeEngine(), ["ps", "x"])).err).toMatch(/^"docker ps" accepts no arguments\.\n/);
    expect((await docker(new FakeEngine(), ["rename", "a"])).err).toMatch(/^"docker rename" requires exactly 2 arguments\.\n/);
    expect((await docker(new FakeEngine(), ["container", "logs"])).err).toMatch(/^"docker container logs" requires exactly 1 argument\.\n/);
    expect((await docker(new FakeEngine(), ["port"])).err).toMatch(/^"docker port" requires at least 1 and at most 2 arguments\.\n/);
    expect((await docker(new FakeEngine(), ["images", "a", "b"])).err).toMatch(/^"docker images" requires at most 1 argument\.\n/);
    expect((await docker(new FakeEngine(), ["exec", "c"])).err).toMatch(/^"docker exec" requires at least 2 arguments\.\n/);
    expect(argsProblem(allCommands()[0]!, ["run"], 1)).toBeUndefined();
  });

  it("prints the version with -v", async () => {
    const r = await docker(new FakeEngine(), ["-v"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Berth version \d+\.\d+\.\d+/);
  });

  it("words engine errors as daemon responses, with kind and details under -D", async () => {
    const r = await docker(new FakeEngine(), ["stop", "nope"]);
    expect(r).toMatchObject({ code: 1, out: "", err: "Error response from daemon: No such container: nope\n" });
    const d = await docker(new FakeEngine(), ["-D", "rename", "nope", "x"]);
    expect(d.err).toContain("Error response from daemon: No such container: nope\n[not-found]");
  });

  it("says when the engine cannot be reached", async () => {
    const e = new FakeEngine();
    e.version = async () => {
      throw new (await import("../../../src/core/errors.ts")).BerthError("unavailable", "the guest is still starting");
    };
    const r = await docker(e, ["version"]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("Client:\n Version:");
    expect(r.err).toBe("Cannot connect to the Berth engine: the guest is still starting\n");
  });
});
