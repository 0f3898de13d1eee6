// The last step: the advanced settings, the configuration as it will be sent, and Create.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, enc, type Proposal } from "../api";
import { Alert, Field, message } from "../ui";
import { flat, design, problemsByKey, type StepProps } from "./draft";

export const ADVANCED_KEYS = ["insert", "key_columns", "errors.tolerance", "kafka.start_from", "batch.max_rows", "batch.linger_ms", "tasks.max", "time_column", "chunk_interval"];

export function CreateStep({ d, change, proposal }: StepProps) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | undefined>();
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [ddl, setDdl] = useState<string | null>(null);
  const [ddlError, setDdlError] = useState<string | undefined>();
  const latest = useRef(0);
  const isNew = !proposal?.exists;
  const keyed = d.insert !== "append";
  const keyProblem = keyed && d.key_columns.length === 0 ? "Choose the key columns of the upsert (a unique index on them is made with the table)." : undefined;
  useEffect(() => {
    const ticket = ++latest.current;
    setDdl(null);
    setDdlError(undefined);
    if (!isNew || keyProblem) return;
    api<Proposal>("POST", "/inlet/v1/propose", { config: flat(d, proposal), topic: d.topics[0], columns: design(d) }).then(
      (p) => ticket === latest.current && setDdl(p.ddl),
      (e) => ticket === latest.current && setDdlError(message(e)),
    );
  }, [d.insert, d.key_columns.join(","), d.time_column]);
  const create = async (state: "RUNNING" | "STOPPED") => {
    setBusy(state);
    setError(undefined);
    setFieldErrors({});
    try {
      const config = flat(d, proposal);
      if (isNew) await api("POST", "/inlet/v1/tables", { config, topic: d.topics[0], columns: design(d) });
      await api("POST", "/connectors", { name: d.name, config, initial_state: state });
      location.hash = `#/connectors/${enc(d.name)}`;
    } catch (e) {
      const byKey = problemsByKey(e, ADVANCED_KEYS);
      setFieldErrors(byKey);
      if (Object.keys(byKey).length) {
        const details = document.querySelector<HTMLDetailsElement>("details.advanced");
        if (details) details.open = true;
      }
      setError(message(e));
    } finally {
      setBusy(null);
    }
  };
  const shown = flat(d, proposal);
  for (const k of ["kafka.password", "registry.secret"]) if (shown[k]) shown[k] = "•••••• (stored encrypted)";
  return (
    <div>
      <p class="lead">
        {d.name}: {d.topics.join(", ")} → {d.schema}.{d.table}
        {isNew ? " (created now)" : ""}.
      </p>
      <details class="advanced">
        <summary>Advanced</summary>
        <div class="row">
          <Field id="insert" label="Insert mode" hint="append: every record a new row; upsert: one row per key, the last wins; upsert with delete: a tombstone deletes the key's row" error={fieldErrors["insert"]}>
            <select id="insert" value={d.insert} aria-describedby="insert-hint" onChange={(e) => change(6, { insert: (e.target as HTMLSelectElement).value })}>
              <option value="append">append</option>
              <option value="upsert">upsert</option>
              <option value="upsert-delete">upsert with delete</option>
            </select>
          </Field>
          <Field id="tolerance" label="Errors" hint="all: a record that cannot be stored becomes a dead letter and the connector goes on; none: it stops at the first" error={fieldErrors["errors.tolerance"]}>
            <select id="tolerance" value={d.tolerance} aria-describedby="tolerance-hint" onChange={(e) => change(6, { tolerance: (e.target as HTMLSelectElement).value })}>
              <option value="all">dead-letter and go on (all)</option>
              <option value="none">stop (none)</option>
            </select>
          </Field>
          <Field id="start-from" label="Start from" hint="Where a partition with no stored offset starts" error={fieldErrors["kafka.start_from"]}>
            <select id="start-from" value={d.start_from} aria-describedby="start-from-hint" onChange={(e) => change(6, { start_from: (e.target as HTMLSelectElement).value })}>
              <option value="earliest">earliest</option>
              <option value="latest">latest</option>
            </select>
          </Field>
        </div>
        {keyed && (
          <fieldset>
            <legend>Key columns</legend>
            {d.columns.map((c) => (
              <label key={c.name} class="check">
                <input type="checkbox" checked={d.key_columns.includes(c.name)}
                  onChange={() => change(6, { key_columns: d.key_columns.includes(c.name) ? d.key_columns.filter((k) => k !== c.name) : [...d.key_columns, c.name] })} />{" "}
                {c.name}
              </label>
            ))}
            {keyProblem && <p class="error">{keyProblem}</p>}
            {fieldErrors["key_columns"] && <p class="error">{fieldErrors["key_columns"]}</p>}
          </fieldset>
        )}
        <div class="row">
          <Field id="max-rows" label="Batch: most rows" hint={`Records per transaction (default ${Number(d.defaults["batch.max_rows"]).toLocaleString("en")})`} error={fieldErrors["batch.max_rows"]}>
            <input id="max-rows" inputMode="numeric" value={d.max_rows} aria-describedby="max-rows-hint" onInput={(e) => change(6, { max_rows: (e.target as HTMLInputElement).value })} />
          </Field>
          <Field id="linger" label="Batch: longest wait (ms)" hint={`For a fuller batch (default ${d.defaults["batch.linger_ms"]})`} error={fieldErrors["batch.linger_ms"]}>
            <input id="linger" inputMode="numeric" value={d.linger_ms} aria-describedby="linger-hint" onInput={(e) => change(6, { linger_ms: (e.target as HTMLInputElement).value })} />
          </Field>
          <Field id="tasks-max" label="Tasks" hint="Consumers of the group, spread over the workers" error={fieldErrors["tasks.max"]}>
            <input id="tasks-max" inputMode="numeric" value={d.tasks_max} aria-describedby="tasks-max-hint" onInput={(e) => change(6, { tasks_max: (e.target as HTMLInputElement).value })} />
          </Field>
        </div>
      </details>
      {isNew && ddl && (
        <details open>
          <summary>The DDL that runs first</summary>
          <pre class="ddl">{ddl}</pre>
        </details>
      )}
      {isNew && ddlError && <p class="error">The table cannot be made so: {ddlError}</p>}
      <details>
        <summary>The configuration (Kafka Connect's flat map)</summary>
        <pre class="json">{JSON.stringify(shown, null, 2)}</pre>
      </details>
      <Alert>{error}</Alert>
      <div class="actions">
        <button class="primary" type="button" disabled={!!busy || !!keyProblem} onClick={() => create("RUNNING")}>
          {busy === "RUNNING" ? "Creating…" : "Create and start"}
        </button>
        <button type="button" disabled={!!busy || !!keyProblem} onClick={() => create("STOPPED")}>
          {busy === "STOPPED" ? "Creating…" : "Create"}
        </button>
      </div>
    </div>
  );
}
