// Pieces every page uses: polling, state badges, numbers, errors, confirmations.
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "./api";

/** Calls `load` now and every `ms` (while the page is shown); returns its last result or error. */
export function usePoll<T>(load: () => Promise<T>, ms: number, deps: unknown[] = []) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    let timer: number | undefined;
    const run = async () => {
      try {
        const d = await load();
        if (live) {
          setData(d);
          setError(undefined);
        }
      } catch (e) {
        if (live) setError(message(e));
      }
      if (live) timer = window.setTimeout(run, ms);
    };
    run();
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [...deps, tick]);
  return { data, error, reload: () => setTick((t) => t + 1) };
}

/** What an error says, for people. */
export function message(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

/** A connector or task state, Kafka Connect's words, with its colour. */
export function StateBadge({ state }: { state: string }) {
  return <span class={`state state-${state.toLowerCase()}`}>{state}</span>;
}

/** A count with thousands separators; "–" when unknown. */
export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? "–" : Math.round(n).toLocaleString("en-US");
}

/** A rate, one decimal under 10. */
export function rate(n: number | null | undefined): string {
  if (n === null || n === undefined) return "–";
  return n < 10 ? n.toFixed(1) : count(n);
}

/** A message of failure, announced to screen readers. */
export function Alert({ children }: { children: ComponentChildren }) {
  if (!children) return null;
  return (
    <p class="alert" role="alert">
      {children}
    </p>
  );
}

/** A modal confirmation: `ask(question, what it affects, action)` opens it. */
export function useConfirm() {
  const ref = useRef<HTMLDialogElement>(null);
  const [pending, setPending] = useState<{ title: string; detail: string; confirm: string; run: () => void } | null>(null);
  useEffect(() => {
    if (pending && ref.current && !ref.current.open) ref.current.showModal();
  }, [pending]);
  const close = () => {
    ref.current?.close();
    setPending(null);
  };
  const element = (
    <dialog ref={ref} aria-labelledby="confirm-title" aria-describedby="confirm-detail" onClose={() => setPending(null)}>
      {pending && (
        <form
          method="dialog"
          onSubmit={(e) => {
            e.preventDefault();
            const run = pending.run;
            close();
            run();
          }}
        >
          <h2 id="confirm-title">{pending.title}</h2>
          <p id="confirm-detail">{pending.detail}</p>
          <div class="actions">
            <button type="button" onClick={close} autoFocus>
              Cancel
            </button>
            <button type="submit" class="danger">
              {pending.confirm}
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
  const ask = (title: string, detail: string, confirm: string, run: () => void) =>
    setPending({ title, detail, confirm, run });
  return { element, ask };
}

/** A labelled form field with its hint and its error (tied by aria-describedby). */
export function Field(props: {
  id: string;
  label: string;
  hint?: string;
  error?: string;
  children: ComponentChildren;
}) {
  return (
    <div class={`field${props.error ? " invalid" : ""}`}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.hint && (
        <small id={`${props.id}-hint`} class="hint">
          {props.hint}
        </small>
      )}
      {props.error && (
        <small id={`${props.id}-error`} class="error" role="alert">
          {props.error}
        </small>
      )}
    </div>
  );
}

/** The aria-describedby of a field's input. */
export function described(id: string, hint?: string, error?: string): string | undefined {
  const ids = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean);
  return ids.length ? ids.join(" ") : undefined;
}
