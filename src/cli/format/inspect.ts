// docker inspect's JSON: the engine's objects reshaped into the fields and
// names dockerd returns (Id, State.Status, Config.Env, NetworkSettings...),
// so that `-f '{{.State.Status}}'` and scripts written for docker work.

import type { ContainerInspect, ImageInspect, NetworkInfo, VolumeInfo } from "../../core/engine-api.ts";

type Json = Record<string, unknown>;

/** JSON as Go's json.MarshalIndent writes it with 4 spaces (and its HTML escaping). */
export function goJsonIndent(value: unknown): string {
  return escapeHtml(JSON.stringify(value, null, 4) ?? "null");
}

export function escapeHtml(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

function portKey(port: number, proto: string): string {
  return `${port}/${proto}`;
}

export function containerInspectJson(c: ContainerInspect): Json {
  const cfg = c.config;
  const portBindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of cfg.ports ?? []) {
    (portBindings[portKey(p.containerPort, p.protocol)] ??= []).push({ HostIp: p.hostIp ?? "", HostPort: p.hostPort ? String(p.hostPort) : "" });
  }
  const ports: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const p of c.ports) {
    const key = portKey(p.containerPort, p.protocol);
    if (!p.hostPort) {
      ports[key] ??= null;
      continue;
    }
    (ports[key] ??= []).push({ HostIp: p.hostIp || "0.0.0.0", HostPort: String(p.hostPort) });
  }
  const exposed: Record<string, object> = {};
  for (const p of [...(cfg.ports ?? []), ...c.ports]) exposed[portKey(p.containerPort, p.protocol)] = {};
  const networks: Json = {};
  for (const [name, n] of Object.entries(c.networkSettings.networks)) {
    networks[name] = { Aliases: n.aliases.length ? n.aliases : null, NetworkID: "", EndpointID: "", Gateway: n.gateway, IPAddress: n.ipAddress, MacAddress: n.macAddress };
  }
  const primary = c.networkSettings.networks.bridge ?? Object.values(c.networkSettings.networks)[0];
  const restart = cfg.restartPolicy ?? { name: "no" };
  const binds = (cfg.mounts ?? []).filter((m) => m.type === "bind").map((m) => `${m.source}:${m.target}${m.readOnly ? ":ro" : ""}`);
  const state = c.stateDetail;
  return {
    Id: c.id,
    Created: c.created,
    Path: c.path,
    Args: c.args,
    State: {
      Status: state.status,
      Running: state.running,
      Paused: state.paused,
      Restarting: state.restarting,
      OOMKilled: state.oomKilled,
      Dead: state.dead,
      Pid: state.pid,
      ExitCode: state.exitCode,
      Error: state.error,
      StartedAt: state.startedAt,
      FinishedAt: state.finishedAt,
    },
    Image: c.imageId,
    Name: "/" + c.name,
    RestartCount: c.restartCount,
    Driver: "overlay",
    Platform: "linux",
    HostConfig: {
      Binds: binds.length ? binds : null,
      NetworkMode: cfg.network ?? "bridge",
      PortBindings: portBindings,
      RestartPolicy: { Name: restart.name, MaximumRetryCount: restart.name === "on-failure" ? (restart.maximumRetryCount ?? 0) : 0 },
      AutoRemove: cfg.autoRemove ?? false,
      PublishAllPorts: cfg.publishAll ?? false,
      ReadonlyRootfs: cfg.readOnly ?? false,
      Memory: cfg.memory ?? 0,
      PidsLimit: cfg.pidsLimit ?? null,
      Mounts: (cfg.mounts ?? [])
        .filter((m) => m.type !== "bind")
        .map((m) => ({ Type: m.type, Source: m.source ?? "", Target: m.target, ...(m.readOnly ? { ReadOnly: true } : {}), ...(m.tmpfsSize ? { TmpfsOptions: { SizeBytes: m.tmpfsSize } } : {}) })),
    },
    Mounts: c.mounts.map((m) => {
      const req = (cfg.mounts ?? []).find((r) => r.target === m.destination);
      return {
        Type: m.type,
        ...(m.name !== undefined ? { Name: m.name } : {}),
        Source: m.source,
        Destination: m.destination,
        ...(m.type === "volume" ? { Driver: "local" } : {}),
        Mode: "",
        RW: !req?.readOnly,
        Propagation: m.type === "bind" ? "rprivate" : "",
      };
    }),
    Config: {
      Hostname: cfg.hostname ?? c.id.slice(0, 12),
      Domainname: "",
      User: cfg.user ?? "",
      AttachStdin: !!cfg.openStdin && !!cfg.stdinOnce,
      AttachStdout: true,
      AttachStderr: true,
      ...(Object.keys(exposed).length ? { ExposedPorts: exposed } : {}),
      Tty: cfg.tty ?? false,
      OpenStdin: cfg.openStdin ?? false,
      StdinOnce: cfg.stdinOnce ?? false,
      Env: cfg.env,
      Cmd: cfg.cmd.length ? cfg.cmd : null,
      Image: cfg.image,
      Volumes: null,
      WorkingDir: cfg.workingDir ?? "",
      Entrypoint: cfg.entrypoint.length ? cfg.entrypoint : null,
      OnBuild: null,
      Labels: cfg.labels ?? c.labels ?? {},
      ...(cfg.stopSignal ? { StopSignal: cfg.stopSignal } : {}),
      ...(cfg.stopTimeout !== undefined ? { StopTimeout: cfg.stopTimeout } : {}),
    },
    NetworkSettings: {
      Ports: ports,
      Gateway: primary?.gateway ?? "",
      IPAddress: primary?.ipAddress ?? "",
      MacAddress: primary?.macAddress ?? "",
      Networks: networks,
    },
  };
}

export function imageInspectJson(i: ImageInspect): Json {
  const config = i.config ?? {};
  return {
    Id: i.id,
    RepoTags: i.repoTags,
    RepoDigests: i.repoDigests,
    Parent: "",
    Comment: "",
    Created: i.created,
    Author: "",
    Config: {
      Hostname: "",
      Domainname: "",
      User: config.User ?? "",
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      ...(config.ExposedPorts ? { ExposedPorts: config.ExposedPorts } : {}),
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: config.Env ?? null,
      Cmd: config.Cmd ?? null,
      ...(config.Healthcheck ? { Healthcheck: config.Healthcheck } : {}),
      Image: "",
      Volumes: config.Volumes ?? null,
      WorkingDir: config.WorkingDir ?? "",
      Entrypoint: config.Entrypoint ?? null,
      OnBuild: config.OnBuild ?? null,
      Labels: config.Labels ?? null,
      ...(config.StopSignal ? { StopSignal: config.StopSignal } : {}),
      ...(config.Shell ? { Shell: config.Shell } : {}),
    },
    Architecture: i.architecture,
    Os: i.os,
    Size: i.size,
    RootFS: { Type: i.rootfs.type, Layers: i.rootfs.diff_ids },
    Metadata: { LastTagTime: "0001-01-01T00:00:00Z" },
  };
}

export function volumeInspectJson(v: VolumeInfo): Json {
  return {
    CreatedAt: v.createdAt,
    Driver: v.driver,
    Labels: Object.keys(v.labels).length ? v.labels : null,
    Mountpoint: v.mountpoint,
    Name: v.name,
    Options: null,
    Scope: "local",
  };
}

export function networkInspectJson(n: NetworkInfo): Json {
  const prefix = n.subnet.includes("/") ? n.subnet.slice(n.subnet.indexOf("/")) : "";
  const containers: Json = {};
  for (const [id, c] of Object.entries(n.containers)) {
    containers[id] = {
      Name: c.name,
      EndpointID: "",
      MacAddress: "",
      IPv4Address: c.ipAddress && !c.ipAddress.includes("/") ? c.ipAddress + prefix : c.ipAddress,
      IPv6Address: "",
    };
  }
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: n.scope,
    Driver: n.driver,
    EnableIPv6: false,
    IPAM: { Driver: "default", Options: null, Config: n.subnet ? [{ Subnet: n.subnet, ...(n.gateway ? { Gateway: n.gateway } : {}) }] : [] },
    Internal: n.internal,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: "" },
    ConfigOnly: false,
    Containers: containers,
    Options: {},
    Labels: {},
  };
}
