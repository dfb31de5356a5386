import { describe, expect, it } from "vitest";
import { FlagError, parseFlags, type FlagSpec } from "../../../src/cli/flags.ts";

const specs: FlagSpec[] = [
  { name: "detach", short: "d", kind: "bool", usage: "" },
  { name: "interactive", short: "i", kind: "bool", usage: "" },
  { name: "tty", short: "t", kind: "bool", usage: "" },
  { name: "rm", kind: "bool", usage: "" },
  { name: "sig-proxy", kind: "bool", usage: "", default: true },
  { name: "name", kind: "string", usage: "" },
  { name: "env", short: "e", kind: "list", usage: "" },
  { name: "publish", short: "p", kind: "list", usage: "" },
  { name: "last", short: "n", kind: "int", usage: "", default: -1 },
  { name: "network", kind: "string", usage: "", aliases: ["net"] },
  { name: "memory", short: "m", kind: "string", usage: "", validate: (v) => {
    if (!/^\d+[kmg]?$/.test(v)) throw new Error(`invalid size: '${v}'`);
  } },
];

describe("parseFlags", () => {
  it("reads combined short booleans", () => {
    const r = parseFlags(["-dit", "busybox"], specs);
    expect([r.flags.bool("detach"), r.flags.bool("interactive"), r.flags.bool("tty")]).toEqual([true, true, true]);
    expect(r.args).toEqual(["busybox"]);
  });

  it("lets the last short flag of a group take the rest as its value", () => {
    const r = parseFlags(["-ip8080:80", "-n3", "-e=A=1"], specs);
    expect(r.flags.bool("interactive")).toBe(true);
    expect(r.flags.list("publish")).toEqual(["8080:80"]);
    expect(r.flags.int("last")).toBe(3);
    expect(r.flags.list("env")).toEqual(["A=1"]);
  });

  it("reads --name=value and --name value, last one wins", () => {
    const r = parseFlags(["--name=a", "--name", "b"], specs);
    expect(r.flags.string("name")).toBe("b");
    expect(r.flags.changed("name")).toBe(true);
    expect(r.flags.changed("detach")).toBe(false);
  });

  it("takes a value that starts with a dash", () => {
    expect(parseFlags(["--name", "-x"], specs).flags.string("name")).toBe("-x");
  });

  it("collects repeated list flags in order", () => {
    const r = parseFlags(["-e", "A=1", "--env", "B=2", "-eC=3"], specs);
    expect(r.flags.list("env")).toEqual(["A=1", "B=2", "C=3"]);
  });

  it("reads booleans with =value only", () => {
    expect(parseFlags(["--rm=false"], specs).flags.bool("rm")).toBe(false);
    expect(parseFlags(["--sig-proxy=false"], specs).flags.bool("sig-proxy")).toBe(false);
    expect(parseFlags(["--rm=1"], specs).flags.bool("rm")).toBe(true);
    expect(parseFlags(["-d=false"], specs).flags.bool("detach")).toBe(false);
    const r = parseFlags(["--rm", "false"], specs);
    expect(r.flags.bool("rm")).toBe(true);
    expect(r.args).toEqual(["false"]);
  });

  it("keeps defaults for flags not given", () => {
    const r = parseFlags([], specs);
    expect(r.flags.int("last")).toBe(-1);
    expect(r.flags.bool("sig-proxy")).toBe(true);
    expect(r.flags.list("env")).toEqual([]);
    expect(r.flags.string("name")).toBe("");
  });

  it("stops at -- and treats a lone - as an argument", () => {
    const r = parseFlags(["-d", "--", "-i", "--name=x"], specs);
    expect(r.args).toEqual(["-i", "--name=x"]);
    expect(parseFlags(["-", "-d"], specs).args).toEqual(["-"]);
  });

  it("intersperses flags and arguments unless told not to", () => {
    const a = parseFlags(["busybox", "-d", "sh"], specs);
    expect(a.flags.bool("detach")).toBe(true);
    expect(a.args).toEqual(["busybox", "sh"]);
    const b = parseFlags(["-i", "busybox", "ls", "-d", "--name", "x"], specs, { interspersed: false });
    expect(b.flags.bool("detach")).toBe(false);
    expect(b.args).toEqual(["busybox", "ls", "-d", "--name", "x"]);
  });

  it("accepts old spellings through aliases", () => {
    expect(parseFlags(["--net=host"], specs).flags.string("network")).toBe("host");
  });

  it("sees --help and -h", () => {
    expect(parseFlags(["--help"], specs).help).toBe(true);
    expect(parseFlags(["-h"], specs).help).toBe(true);
    expect(parseFlags(["x"], specs).help).toBe(false);
  });

  it("does not steal -h from a command that uses it", () => {
    const withH: FlagSpec[] = [...specs, { name: "hostname", short: "h", kind: "string", usage: "" }];
    const r = parseFlags(["-h", "box"], withH);
    expect(r.help).toBe(false);
    expect(r.flags.string("hostname")).toBe("box");
    expect(() => parseFlags(["-h"], withH)).toThrow("flag needs an argument: 'h' in -h");
  });

  const errors: [string[], string][] = [
    [["--foo"], "unknown flag: --foo"],
    [["--foo=bar"], "unknown flag: --foo"],
    [["-z"], "unknown shorthand flag: 'z' in -z"],
    [["-dz"], "unknown shorthand flag: 'z' in -dz"],
    [["-n"], "flag needs an argument: 'n' in -n"],
    [["--name"], "flag needs an argument: --name"],
    [["---x"], "bad flag syntax: ---x"],
    [["-n", "abc"], 'invalid argument "abc" for "-n, --last" flag: strconv.ParseInt: parsing "abc": invalid syntax'],
    [["--rm=maybe"], 'invalid argument "maybe" for "--rm" flag: strconv.ParseBool: parsing "maybe": invalid syntax'],
    [["-m", "lots"], `invalid argument "lots" for "-m, --memory" flag: invalid size: 'lots'`],
  ];
  it.each(errors)("%j fails with %j", (argv, message) => {
    expect(() => parseFlags(argv, specs)).toThrow(FlagError);
    expect(() => parseFlags(argv, specs)).toThrow(message);
  });
});
