// -p/--publish values → PortBinding[]:
//   80                  container port 80/tcp on a host port the engine picks
//   8080:80             host 8080 → container 80
//   127.0.0.1:8080:80   on one host address;  127.0.0.1::80  any host port there
//   [::1]:8080:80       IPv6 host address
//   8080:80/udp         protocol (tcp, udp)
//   8000-8001:80-81     ranges of the same length

import type { PortBinding } from "../../core/engine-api.ts";

function parseRange(text: string, what: "containerPort" | "hostPort", spec: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) throw new Error(`Invalid ${what}: ${text}`);
  const a = Number(m[1]);
  const b = m[2] !== undefined ? Number(m[2]) : a;
  const min = what === "containerPort" ? 1 : 0;
  if (a < min || a > 65535 || b < min || b > 65535) throw new Error(`Invalid ${what}: ${text}`);
  if (b < a) throw new Error(`Invalid range specified for ${what}: ${text} (in ${spec})`);
  return [a, b];
}

function validIp(ip: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return ip.split(".").every((o) => Number(o) <= 255);
  return /^[0-9a-fA-F:]+$/.test(ip) && ip.includes(":") && (ip.match(/::/g)?.length ?? 0) <= 1;
}

/** Parses one -p value. Throws an Error with docker's wording. */
export function parsePublish(spec: string): PortBinding[] {
  let rest = spec;
  let protocol = "tcp";
  const slash = rest.lastIndexOf("/");
  if (slash >= 0) {
    protocol = rest.slice(slash + 1).toLowerCase();
    rest = rest.slice(0, slash);
  }
  if (protocol === "sctp") throw new Error(`Invalid proto: sctp (only tcp and udp can be published here)`);
  if (protocol !== "tcp" && protocol !== "udp") throw new Error(`Invalid proto: ${protocol}`);
  let ip: string | undefined;
  let host = "";
  let container: string;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close < 0 || rest[close + 1] !== ":") throw new Error(`Invalid ip address: ${rest}`);
    ip = rest.slice(1, close);
    const parts = rest.slice(close + 2).split(":");
    if (parts.length !== 2) throw new Error(`Invalid port format: ${spec}`);
    [host, container] = parts as [string, string];
  } else {
    const parts = rest.split(":");
    if (parts.length === 1) container = parts[0]!;
    else if (parts.length === 2) [host, container] = parts as [string, string];
    else if (parts.length === 3) [ip, host, container] = parts as [string, string, string];
    else throw new Error(`Invalid ip address: ${parts.slice(0, -2).join(":")} (put an IPv6 address in brackets: [::1]:8080:80)`);
  }
  if (container === "") throw new Error(`No port specified: ${spec}<empty>`);
  if (ip !== undefined && ip !== "" && !validIp(ip)) throw new Error(`Invalid ip address: ${ip}`);
  const [c0, c1] = parseRange(container, "containerPort", spec);
  let h0 = 0;
  let h1 = 0;
  if (host !== "") [h0, h1] = parseRange(host, "hostPort", spec);
  const count = c1 - c0 + 1;
  if (host !== "" && h1 - h0 + 1 !== count) {
    if (count === 1) throw new Error(`a host port range (${host}) for a single container port is not supported here: publish one host port`);
    throw new Error(`invalid ranges specified for container and host Ports: ${container} and ${host}`);
  }
  const out: PortBinding[] = [];
  for (let i = 0; i < count; i++) {
    const b: PortBinding = { containerPort: c0 + i, protocol: protocol as "tcp" | "udp", hostPort: host === "" ? 0 : h0 + i };
    if (ip) b.hostIp = ip;
    out.push(b);
  }
  return out;
}

/** "80", "80/udp" → port and protocol (docker port's argument). */
export function parsePortProto(text: string): { port: number; protocol: string } {
  const [p, proto = "tcp"] = text.split("/") as [string, string?];
  if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535) throw new Error(`Invalid port: ${text}`);
  return { port: Number(p), protocol: proto.toLowerCase() };
}
