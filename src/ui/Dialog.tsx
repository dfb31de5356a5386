// A modal dialog on the native <dialog> element (focus trap, Escape, inert
// background come from the browser), and a promise-based confirm() on top.
import { useCallback, useEffect, useId, useRef, useState, type ReactNode } from "react";

export function Dialog(props: {
  title: string;
  children: ReactNode;
  onClose: () => void;
  testId?: string;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const { onClose } = props;

  useEffect(() => {
    const dialog = ref.current!;
    if (!dialog.open) dialog.showModal();
    const onCancel = (e: Event) => {
      e.preventDefault();
      onClose();
    };
    dialog.addEventListener("cancel", onCancel);
    return () => {
      dialog.removeEventListener("cancel", onCancel);
      if (dialog.open) dialog.close();
    };
  }, [onClose]);

  return (
    <dialog ref={ref} className={props.wide ? "dialog wide" : "dialog"} aria-labelledby={titleId} data-testid={props.testId}>
      <h2 id={titleId}>{props.title}</h2>
      {props.children}
    </dialog>
  );
}

export interface ConfirmOptions {
  title: string;
  message: ReactNode;
  confirm: string;
  cancel?: string;
  danger?: boolean;
}

/** `const [confirm, element] = useConfirm()`: render `element`, await `confirm({...})`. */
export function useConfirm(): [(options: ConfirmOptions) => Promise<boolean>, ReactNode] {
  const [pending, setPending] = useState<{ options: ConfirmOptions; resolve: (ok: boolean) => void } | null>(null);

  const confirm = useCallback(
    (options: ConfirmOptions) =>
      new Promise<boolean>((resolve) => {
        setPending({ options, resolve });
      }),
    [],
  );

  const finish = useCallback(
    (ok: boolean) => {
      pending?.resolve(ok);
      setPending(null);
    },
    [pending],
  );
  const cancel = useCallback(() => finish(false), [finish]);

  const element = pending ? (
    <Dialog title={pending.options.title} onClose={cancel} testId="confirm-dialog">
      <div className="dialog-body">{pending.options.message}</div>
      <div className="dialog-actions">
        <button type="button" onClick={cancel} autoFocus>
          {pending.options.cancel ?? "Cancel"}
        </button>
        <button type="button" className={pending.options.danger ? "danger" : "primary"} onClick={() => finish(true)}>
          {pending.options.confirm}
        </button>
      </div>
    </Dialog>
  ) : null;

  return [confirm, element];
}
