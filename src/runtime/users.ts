// Resolves a Docker USER value ("name", "uid", "name:group", "uid:gid")
// against a rootfs's /etc/passwd and /etc/group, as Docker does: a numeric
// user need not exist; a name must; the groups are the primary group plus
// every group that lists the user.
import { BerthError } from "../core/errors.ts";

export interface ResolvedUser {
  uid: number;
  gid: number;
  groups: number[];
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export function parsePasswd(text: string): PasswdEntry[] {
  return text
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split(":"))
    .filter((f) => f.length >= 4 && /^\d+$/.test(f[2]) && /^\d+$/.test(f[3]))
    .map((f) => ({ name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] || "/" }));
}

export function parseGroup(text: string): GroupEntry[] {
  return text
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split(":"))
    .filter((f) => f.length >= 3 && /^\d+$/.test(f[2]))
    .map((f) => ({ name: f[0], gid: Number(f[2]), members: (f[3] ?? "").split(",").filter(Boolean) }));
}

const isNum = (s: string) => /^\d+$/.test(s);

export function resolveUser(spec: string, passwdText: string | null, groupText: string | null): ResolvedUser {
  const value = spec.trim() === "" ? "root" : spec.trim();
  const [userPart, groupPart] = value.split(":", 2) as [string, string | undefined];
  const passwd = parsePasswd(passwdText ?? "");
  const groups = parseGroup(groupText ?? "");

  let entry: PasswdEntry | undefined;
  let uid: number;
  if (isNum(userPart)) {
    uid = Number(userPart);
    entry = passwd.find((p) => p.uid === uid);
  } else {
    entry = passwd.find((p) => p.name === userPart);
    if (!entry) {
      throw new BerthError("invalid-argument", `unable to find user ${userPart}: no matching entries in passwd file`);
    }
    uid = entry.uid;
  }

  let gid: number;
  if (groupPart !== undefined && groupPart !== "") {
    if (isNum(groupPart)) gid = Number(groupPart);
    else {
      const g = groups.find((x) => x.name === groupPart);
      if (!g) throw new BerthError("invalid-argument", `unable to find group ${groupPart}: no matching entries in group file`);
      gid = g.gid;
    }
  } else {
    gid = entry?.gid ?? 0;
  }

  const extra = new Set<number>();
  if (groupPart === undefined && entry) {
    for (const g of groups) if (g.members.includes(entry.name) && g.gid !== gid) extra.add(g.gid);
  }
  return { uid, gid, groups: [gid, ...extra], home: entry?.home ?? "/" };
}

/** Reads /etc/passwd and /etc/group of a rootfs in the guest (missing files count as empty) and resolves `spec`. */
export async function resolveUserIn(
  guest: { readFile(path: string): Promise<Uint8Array> },
  rootfs: string,
  spec: string,
): Promise<ResolvedUser> {
  const read = (p: string) => guest.readFile(`${rootfs}${p}`).then((b) => new TextDecoder().decode(b), () => null);
  const [passwd, group] = await Promise.all([read("/etc/passwd"), read("/etc/group")]);
  return resolveUser(spec || "root", passwd, group);
}
