// The PORTS column of docker ps: "0.0.0.0:8080->80/tcp", consecutive ports
// folded into ranges ("0.0.0.0:8000-8001->80-81/tcp"), unpublished ports as
// "80/tcp", all joined with ", ". Published ports come first, by host
// address, protocol and port.

import type { PortBinding } from "../../core/engine-api.ts";

function hostAddress(ip: string | undefined): string {
  const addr = ip && ip !== "" ? ip : "0.0.0.0";
  return addr.includes(":") ? `[${addr}]` : addr;
}

export function formatPort(p: PortBinding): string {
  return p.hostPort ? `${hostAddress(p.hostIp)}:${p.hostPort}->${p.containerPort}/${p.protocol}` : `${p.containerPort}/${p.protocol}`;
}

export function displayPorts(ports: readonly PortBinding[]): string {
  const sorted = [...ports].sort(
    (a, b) =>
      Number(b.hostPort > 0) - Number(a.hostPort > 0) ||
      hostAddress(a.hostIp).localeCompare(hostAddress(b.hostIp)) ||
      a.protocol.localeCompare(b.protocol) ||
      a.containerPort - b.containerPort ||
      a.hostPort - b.hostPort,
  );
  const out: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const first = sorted[i]!;
    let last = first;
    let j = i + 1;
    while (j < sorted.length) {
      const next = sorted[j]!;
      const sameGroup = hostAddress(next.hostIp) === hostAddress(first.hostIp) && next.protocol === first.protocol && (next.hostPort > 0) === (first.hostPort > 0);
      const consecutive = next.containerPort === last.containerPort + 1 && (first.hostPort === 0 || next.hostPort === last.hostPort + 1);
      if (!sameGroup || !consecutive) break;
      last = next;
      j++;
    }
    const range = (a: number, b: number) => (a === b ? `${a}` : `${a}-${b}`);
    if (first.hostPort) {
      out.push(`${hostAddress(first.hostIp)}:${range(first.hostPort, last.hostPort)}->${range(first.containerPort, last.containerPort)}/${first.protocol}`);
    } else {
      out.push(`${range(first.containerPort, last.containerPort)}/${first.protocol}`);
    }
    // A port published twice (e.g. two host ports) is shown twice, as docker does.
    i = j;
  }
  return out.join(", ");
}
