// Share: the workspace (and optional commands) as a link, copied to the
// clipboard and shown. A shared link opened here: its files and a Run button;
// nothing runs and nothing is written before a click.
import { useState } from "react";
import { Dialog } from "./Dialog.tsx";
import { Icon } from "./icons.tsx";
import { ShareError, encodeShare, formatBytes, shareUrl, type SharePayload } from "./share.ts";

export function ShareDialog(props: {
  fileCount: number;
  snapshot(): Promise<SharePayload["files"]>;
  /** The workspace's SOURCE_DATE_EPOCH when builds are reproducible: the link carries it. */
  epoch?: number;
  onClose(): void;
}) {
  const [commands, setCommands] = useState("");
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ url: string; size: number; limit: number; copied: boolean } | null>(null);
  const [error, setError] = useState<string | null>(null);

  const create = async () => {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const files = await props.snapshot();
      const list = commands
        .split("\n")
        .map((c) => c.trim())
        .filter(Boolean);
      const { fragment, size, limit } = await encodeShare({ files, commands: list, epoch: props.epoch });
      const url = shareUrl(location.href, fragment);
      let copied = false;
      try {
        await navigator.clipboard.writeText(url);
        copied = true;
      } catch {
        // No clipboard permission (or not a secure context): the link is shown to copy by hand.
      }
      setResult({ url, size, limit, copied });
    } catch (err) {
      setError(err instanceof ShareError || err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title="Share this workspace" onClose={props.onClose} testId="share-dialog" wide>
      <div className="dialog-body">
        <p>
          The {props.fileCount} file{props.fileCount === 1 ? "" : "s"} of the workspace go into the link itself (compressed, after the #): nothing is
          uploaded, and the page that opens it asks before anything runs.
          {props.epoch !== undefined && (
            <>
              {" "}
              It also carries the workspace's <code>SOURCE_DATE_EPOCH</code>, so a build of these files there gives the same image digest as here.
            </>
          )}
        </p>
        <label className="field">
          <span>Commands to run in the docker terminal when the recipient clicks Run (optional, one docker command per line)</span>
          <textarea
            rows={3}
            value={commands}
            spellCheck={false}
            placeholder={"docker build -t app .\ndocker run --rm app"}
            onChange={(e) => setCommands(e.target.value)}
          />
        </label>
        {error && (
          <p className="error-text" role="alert" data-testid="share-error">
            {error}
          </p>
        )}
        {result && (
          <div className="share-result" data-testid="share-result">
            <label className="field">
              <span>{result.copied ? "Link copied to the clipboard:" : "Copy this link:"}</span>
              <input readOnly value={result.url} onFocus={(e) => e.currentTarget.select()} aria-label="Share link" data-testid="share-link" />
            </label>
            <p className="muted">
              {formatBytes(result.size)} of the {formatBytes(result.limit)} a link can hold.
            </p>
          </div>
        )}
      </div>
      <div className="dialog-actions">
        <button type="button" onClick={props.onClose}>
          Close
        </button>
        <button type="button" className="primary" onClick={create} disabled={busy || props.fileCount === 0}>
          {busy ? "Creating…" : result ? "Create again" : "Create link"}
        </button>
      </div>
    </Dialog>
  );
}

/** The bar above the workbench while a shared link is open. */
export function SharedBanner(props: {
  payload: SharePayload;
  busy: boolean;
  onRun(): void;
  onOpen(): void;
  onKeepMine(): void;
}) {
  const { files, commands } = props.payload;
  return (
    <section className="shared-banner" aria-label="Shared workspace" data-testid="shared-banner">
      <div className="shared-text">
        <strong>Shared workspace:</strong> {files.length} file{files.length === 1 ? "" : "s"}
        {commands.length > 0 ? `, ${commands.length} command${commands.length === 1 ? "" : "s"} to run` : ", no commands"}. Nothing has run yet and your own
        workspace is untouched.
        {commands.length > 0 && (
          <ol className="shared-commands" aria-label="Commands in the link">
            {commands.map((c, i) => (
              <li key={i}>
                <code>{c}</code>
              </li>
            ))}
          </ol>
        )}
      </div>
      <div className="shared-actions">
        <button type="button" className="primary run" onClick={props.onRun} disabled={props.busy} data-testid="shared-run">
          <Icon name="play" size={12} /> Run
        </button>
        <button type="button" onClick={props.onOpen} disabled={props.busy}>
          Open as my workspace
        </button>
        <button type="button" onClick={props.onKeepMine} disabled={props.busy}>
          Keep mine
        </button>
      </div>
    </section>
  );
}
