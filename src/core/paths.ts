// Slash-separated path helpers shared by the Dockerfile front end, the
// builder and the CLI (the page's workspace and Node both use "/").

/** Go's path.Clean: no empty or "." parts, ".." resolved (kept above a relative start), "." for nothing. */
export function cleanPath(p: string): string {
  if (p === "") return ".";
  const rooted = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
      continue;
    }
    out.push(part);
  }
  const body = out.join("/");
  if (rooted) return "/" + body;
  return body === "" ? "." : body;
}
