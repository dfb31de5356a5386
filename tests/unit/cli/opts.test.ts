import { describe, expect, it } from "vitest";
import type { MountRequest, PortBinding } from "../../../src/core/engine-api.ts";
import { parseMountFlag, parseTmpfsFlag, parseVolumeFlag, splitCsv } from "../../../src/cli/opts/mounts.ts";
import { checkFilterKeys, parseDetachKeys, parseEnvFile, parseFilters, parseLabels, parseRestartPolicy, resolveEnv } from "../../../src/cli/opts/misc.ts";
import { parsePortProto, parsePublish } from "../../../src/cli/opts/ports.ts";

const resolve = (p: string) => "/home/me/" + p.replace(/^\.\//, "");

describe("-v", () => {
  const ok: [string, MountRequest][] = [
    ["/data", { type: "volume", source: "", target: "/data" }],
    ["cache:/data", { type: "volume", source: "cache", target: "/data" }],
    ["cache:/data:ro", { type: "volume", source: "cache", target: "/data", readOnly: true }],
    ["my_vol.1:/x:rw", { type: "volume", source: "my_vol.1", target: "/x" }],
    ["/srv/www:/usr/share/www", { type: "bind", source: "/srv/www", target: "/usr/share/www" }],
    ["/srv:/srv:ro,z", { type: "bind", source: "/srv", target: "/srv", readOnly: true }],
    ["./site:/www", { type: "bind", source: "/home/me/site", target: "/www" }],
    ["vol:/data:nocopy", { type: "volume", source: "vol", target: "/data" }],
  ];
  it.each(ok)("%s", (spec, want) => expect(parseVolumeFlag(spec, resolve)).toEqual(want));

  const bad: [string, string][] = [
    ["", "invalid empty volume spec"],
    ["data", "mount path must be absolute"],
    ["vol:data", "invalid mount path: 'data' mount path must be absolute"],
    ["/data:ro", "invalid volume specification: '/data:ro'"],
    ["a:/b:c:d", "invalid volume specification: 'a:/b:c:d'"],
    ["a::/b", "invalid volume specification"],
    ["vol:/data:rx", "invalid mode: rx"],
    ["vol:/data:ro,rw", "invalid mode: ro,rw"],
    ["/src:/dst:nocopy", "invalid mode: nocopy"],
    ["a:/x", '"a" includes invalid characters for a local volume name'],
    ["my vol:/x", "includes invalid characters"],
    ["vol:/", "destination can't be '/'"],
  ];
  it.each(bad)("%j fails", (spec, message) => expect(() => parseVolumeFlag(spec, resolve)).toThrow(message));
});

describe("--mount", () => {
  const ok: [string, MountRequest][] = [
    ["type=volume,source=xy,target=/y,readonly", { type: "volume", source: "xy", target: "/y", readOnly: true }],
    ["source=xy,target=/y", { type: "volume", source: "xy", target: "/y" }],
    ["target=/y", { type: "volume", source: "", target: "/y" }],
    ["type=volume,src=xy,dst=/y,ro=false", { type: "volume", source: "xy", target: "/y" }],
    ["type=bind,source=/a,destination=/b,ro=true", { type: "bind", source: "/a", target: "/b", readOnly: true }],
    ["type=bind,src=./rel,dst=/b,bind-propagation=rprivate", { type: "bind", source: "/home/me/rel", target: "/b" }],
    ["type=tmpfs,target=/run,tmpfs-size=64m", { type: "tmpfs", target: "/run", tmpfsSize: 64 * 1024 * 1024 }],
    ["type=tmpfs,dst=/run,tmpfs-mode=1770", { type: "tmpfs", target: "/run" }],
    ['"type=volume","target=/y"', { type: "volume", source: "", target: "/y" }],
  ];
  it.each(ok)("%s", (spec, want) => expect(parseMountFlag(spec, resolve)).toEqual(want));

  const bad: [string, string][] = [
    ["type=volume,source=x", "target is required"],
    ["type=nfs,target=/x", "invalid mount type: 'nfs'"],
    ["foo=bar,target=/x", "unexpected key 'foo' in 'foo=bar'"],
    ["target=/x,junk", "invalid field 'junk' must be a key=value pair"],
    ["target=/x,readonly=maybe", "invalid value for readonly: maybe"],
    ["type=bind,target=/x", 'invalid mount config for type "bind": field Source must not be empty'],
    ["type=tmpfs,source=x,target=/x", 'invalid mount config for type "tmpfs": field Source must not be specified'],
    ["type=volume,target=/x,tmpfs-size=1m", "cannot mix 'tmpfs-*' options with mount type 'volume'"],
    ["type=tmpfs,target=/x,tmpfs-size=lots", "invalid value for tmpfs-size: invalid size: 'lots'"],
    ["type=volume,target=rel", "mount path must be absolute"],
    ["type=volume,src=x,dst=/y", "invalid volume name 'x'"],
    ["type=volume,target=/x,volume-opt=a=b", "mount option 'volume-opt' is not supported here"],
  ];
  it.each(bad)("%j fails", (spec, message) => expect(() => parseMountFlag(spec, resolve)).toThrow(message));

  it("splits CSV with quotes", () => {
    expect(splitCsv('a=1,"b=x,y",c')).toEqual(["a=1", "b=x,y", "c"]);
    expect(() => splitCsv('"a')).toThrow();
  });
});

describe("--tmpfs", () => {
  it("reads a path and options", () => {
    expect(parseTmpfsFlag("/run")).toEqual({ type: "tmpfs", target: "/run" });
    expect(parseTmpfsFlag("/run:rw,size=64m,mode=1777")).toEqual({ type: "tmpfs", target: "/run", tmpfsSize: 64 * 1024 * 1024 });
    expect(() => parseTmpfsFlag("run")).toThrow("must be absolute");
    expect(() => parseTmpfsFlag("/run:bogus")).toThrow("invalid tmpfs option: bogus");
  });
});

describe("-p", () => {
  const ok: [string, PortBinding[]][] = [
    ["80", [{ containerPort: 80, protocol: "tcp", hostPort: 0 }]],
    ["8080:80", [{ containerPort: 80, protocol: "tcp", hostPort: 8080 }]],
    ["127.0.0.1:8080:80", [{ containerPort: 80, protocol: "tcp", hostPort: 8080, hostIp: "127.0.0.1" }]],
    ["127.0.0.1::80", [{ containerPort: 80, protocol: "tcp", hostPort: 0, hostIp: "127.0.0.1" }]],
    ["8080:80/udp", [{ containerPort: 80, protocol: "udp", hostPort: 8080 }]],
    ["53/UDP", [{ containerPort: 53, protocol: "udp", hostPort: 0 }]],
    ["[::1]:8080:80", [{ containerPort: 80, protocol: "tcp", hostPort: 8080, hostIp: "::1" }]],
    [
      "8000-8001:80-81",
      [
        { containerPort: 80, protocol: "tcp", hostPort: 8000 },
        { containerPort: 81, protocol: "tcp", hostPort: 8001 },
      ],
    ],
    [
      "3000-3001",
      [
        { containerPort: 3000, protocol: "tcp", hostPort: 0 },
        { containerPort: 3001, protocol: "tcp", hostPort: 0 },
      ],
    ],
  ];
  it.each(ok)("%s", (spec, want) => expect(parsePublish(spec)).toEqual(want));

  const bad: [string, string][] = [
    ["abc", "Invalid containerPort: abc"],
    ["8080:abc", "Invalid containerPort: abc"],
    ["x:80", "Invalid hostPort: x"],
    ["70000:80", "Invalid hostPort: 70000"],
    ["0", "Invalid containerPort: 0"],
    ["80/sctp", "Invalid proto: sctp"],
    ["80/icmp", "Invalid proto: icmp"],
    ["300.1.1.1:80:80", "Invalid ip address: 300.1.1.1"],
    ["8000-8002:80-81", "invalid ranges specified for container and host Ports: 80-81 and 8000-8002"],
    ["8000-8001:80", "a host port range (8000-8001) for a single container port is not supported here"],
    ["81-80", "Invalid range specified for containerPort: 81-80"],
    ["8080:", "No port specified"],
    ["::1:8080:80", "put an IPv6 address in brackets"],
  ];
  it.each(bad)("%j fails", (spec, message) => expect(() => parsePublish(spec)).toThrow(message));

  it("reads docker port's PORT/PROTO", () => {
    expect(parsePortProto("80")).toEqual({ port: 80, protocol: "tcp" });
    expect(parsePortProto("53/udp")).toEqual({ port: 53, protocol: "udp" });
    expect(() => parsePortProto("http")).toThrow("Invalid port: http");
  });
});

describe("environment", () => {
  const lookup = (n: string) => ({ HOME: "/root", EMPTY: "" })[n];
  it("resolves -e values", () => {
    expect(resolveEnv("A=1", lookup)).toBe("A=1");
    expect(resolveEnv("A=", lookup)).toBe("A=");
    expect(resolveEnv("HOME", lookup)).toBe("HOME=/root");
    expect(resolveEnv("EMPTY", lookup)).toBe("EMPTY=");
    expect(resolveEnv("UNSET", lookup)).toBe("UNSET");
    expect(() => resolveEnv("=x", lookup)).toThrow("invalid environment variable: =x");
  });

  it("reads env files", () => {
    const text = '\uFEFF# comment\nA=1\n\n  B="quoted value"\r\nHOME\nUNSET\n\t# indented comment\nC=a=b\n';
    expect(parseEnvFile(text, lookup)).toEqual(["A=1", 'B="quoted value"', "HOME=/root", "UNSET", "C=a=b"]);
    expect(() => parseEnvFile("BAD NAME=1\n", lookup)).toThrow("variable 'BAD NAME' contains whitespaces");
    expect(() => parseEnvFile("=1\n", lookup, "my.env")).toThrow("my.env:1: no variable name");
  });
});

describe("labels, filters, restart, detach keys", () => {
  it("labels", () => {
    expect(parseLabels(["a=1", "b", "c=x=y"])).toEqual({ a: "1", b: "", c: "x=y" });
    expect(() => parseLabels(["=v"])).toThrow("empty name");
  });

  it("filters", () => {
    expect(parseFilters(["status=exited", "name=web", "status=created", "label=a=b"])).toEqual({ status: ["exited", "created"], name: ["web"], label: ["a=b"] });
    expect(() => parseFilters(["status"])).toThrow("bad format of filter (expected name=value)");
    expect(() => checkFilterKeys({ colour: ["red"] }, ["status"])).toThrow("invalid filter 'colour'");
  });

  it("restart policies", () => {
    expect(parseRestartPolicy("no")).toEqual({ name: "no" });
    expect(parseRestartPolicy("always")).toEqual({ name: "always" });
    expect(parseRestartPolicy("unless-stopped")).toEqual({ name: "unless-stopped" });
    expect(parseRestartPolicy("on-failure")).toEqual({ name: "on-failure" });
    expect(parseRestartPolicy("on-failure:5")).toEqual({ name: "on-failure", maximumRetryCount: 5 });
    expect(() => parseRestartPolicy("always:3")).toThrow("maximum retry count cannot be used with restart policy 'always'");
    expect(() => parseRestartPolicy("sometimes")).toThrow("unknown policy 'sometimes'");
    expect(() => parseRestartPolicy("on-failure:x")).toThrow("maximum retry count must be an integer");
  });

  it("detach keys", () => {
    expect([...parseDetachKeys("ctrl-p,ctrl-q")]).toEqual([16, 17]);
    expect([...parseDetachKeys("ctrl-a,x")]).toEqual([1, 120]);
    expect([...parseDetachKeys("ctrl-@,ctrl-[")]).toEqual([0, 27]);
    expect(() => parseDetachKeys("ctrl-pp")).toThrow("Unknown character: 'ctrl-pp'");
  });
});
