// The steps of the table: its schema and name (the proposal for the topic's schema, or the
// table that exists), and the columns mapped, with a live preview of real records.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, type Preview, type Proposal, type SourceChoice } from "../api";
import { Alert, Field, described, message } from "../ui";
import { type Column, type Draft, IDENTIFIER, flat, design, type StepProps } from "./draft";

export function TableStep({ d, change, next, proposal, setProposal }: StepProps) {
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  // Only the answer to the latest request counts (a slow one for an older name is dropped).
  const latest = useRef(0);
  const propose = async () => {
    const ticket = ++latest.current;
    setBusy(true);
    setError(undefined);
    try {
      const p = await api<Proposal>("POST", "/inlet/v1/propose", { config: flat({ ...d, columns: [], time_column: "" }, null), topic: d.topics[0] });
      if (ticket !== latest.current) return;
      setProposal(p);
      const timestamps = p.columns.filter((c) => c.type.startsWith("timestamp")).map((c) => c.name);
      // A time column only where it makes a hypertable: none is written without TimescaleDB.
      if (!p.timescaledb) {
        if (d.time_column) change(4, { time_column: "" });
      } else if (!p.exists && !timestamps.includes(d.time_column)) change(4, { time_column: p.time_column ?? "" });
    } catch (e) {
      if (ticket !== latest.current) return;
      setProposal(null);
      setError(message(e));
    } finally {
      if (ticket === latest.current) setBusy(false);
    }
  };
  // A name typed: the proposal shown, and any answer still on its way, are an earlier name's.
  const forget = () => {
    latest.current++;
    setProposal(null);
    setBusy(false);
  };
  useEffect(() => {
    if (IDENTIFIER.test(d.schema) && IDENTIFIER.test(d.table)) {
      const t = window.setTimeout(propose, 300);
      return () => window.clearTimeout(t);
    }
  }, [d.schema, d.table]);
  const useIt = () => {
    if (!proposal) return;
    let columns: Column[];
    if (proposal.exists && proposal.existing_columns) {
      columns = proposal.existing_columns.map((c) => ({
        name: c.name,
        type: c.type,
        nullable: c.nullable,
        hasDefault: c.has_default,
        existing: true,
        source: proposal.mapping.find((m) => m.column === c.name)?.source ?? "",
      }));
    } else {
      columns = proposal.columns.map((c) => ({
        ...c,
        existing: false,
        hasDefault: false,
        source: proposal.mapping.find((m) => m.column === c.name)?.source ?? "",
      }));
    }
    // Keep the mapping designed earlier for the same table.
    if (d.columns.length === 0 || d.columns.some((c) => c.existing !== proposal.exists)) change(5, { columns });
    next();
  };
  const timestamps = (proposal?.columns ?? []).filter((c) => c.type.startsWith("timestamp"));
  const tableError = !IDENTIFIER.test(d.table) ? "A table name has 1 to 63 characters, no spaces or double quotes." : undefined;
  return (
    <div>
      <p class="lead">
        The table the rows go to: a new one made from the schema of {d.topics[0]}, or an existing one (its columns stay as
        they are).
      </p>
      <div class="row">
        <Field id="table-schema" label="Schema" hint="A PostgreSQL schema; created if missing">
          <input id="table-schema" value={d.schema} spellcheck={false} aria-describedby="table-schema-hint"
            onInput={(e) => {
              const schema = (e.target as HTMLInputElement).value.trim();
              // The same name typed again changes nothing: its proposal stays.
              if (schema === d.schema) return;
              forget();
              change(4, { schema, columns: [] });
            }} />
        </Field>
        <Field id="table-name" label="Table" hint="Created from the schema unless it exists" error={d.table ? tableError : undefined}>
          <input id="table-name" value={d.table} spellcheck={false} aria-invalid={!!(d.table && tableError)}
            aria-describedby={described("table-name", "x", d.table ? tableError : undefined)}
            onInput={(e) => {
              const table = (e.target as HTMLInputElement).value.trim();
              if (table === d.table) return;
              forget();
              change(4, { table, columns: [] });
            }} />
        </Field>
      </div>
      <div aria-live="polite">
        {busy && <p aria-busy="true">Reading the schema…</p>}
        <Alert>{error}</Alert>
        {proposal && !busy && (
          <p class={proposal.exists ? "notice" : "success"} data-table-state>
            {proposal.exists
              ? `${d.schema}.${d.table} exists: its ${proposal.existing_columns?.length ?? 0} columns are mapped in the next step; nothing is created.`
              : `${d.schema}.${d.table} does not exist: it will be created with ${proposal.columns.length} columns (you can change them in the next step).`}
          </p>
        )}
      </div>
      {proposal && !proposal.exists && (
        <div class="row">
          <Field id="time-column" label="Time column (hypertable)" hint={proposal.timescaledb ? "TimescaleDB is installed: the table becomes a hypertable on this column" : "TimescaleDB is not installed in this database: a plain table is made"}>
            <select id="time-column" value={d.time_column} disabled={!proposal.timescaledb} aria-describedby="time-column-hint"
              onChange={(e) => change(4, { time_column: (e.target as HTMLSelectElement).value })}>
              <option value="">none</option>
              {timestamps.map((c) => <option key={c.name} value={c.name}>{c.name}</option>)}
            </select>
          </Field>
          {proposal.timescaledb && (
            <Field id="chunk-interval" label="Chunk interval" hint="e.g. 1 day, 7 days">
              <input id="chunk-interval" value={d.chunk_interval} aria-describedby="chunk-interval-hint"
                onInput={(e) => change(4, { chunk_interval: (e.target as HTMLInputElement).value })} />
            </Field>
          )}
        </div>
      )}
      {proposal && !proposal.exists && (
        <details open>
          <summary>The DDL that will run at Create</summary>
          <pre class="ddl" data-ddl>{proposal.ddl}</pre>
        </details>
      )}
      <div class="actions">
        <button class="primary" type="button" disabled={!proposal || busy || !!tableError} onClick={useIt}>
          Next
        </button>
      </div>
    </div>
  );
}

/** Why Create is refused, per column (none: the mapping is sound). */
/** The types a length, or a precision and scale, may follow: what the field asks for. */
const TYPE_ARGUMENTS: Record<string, string> = {
  "character varying": "Length",
  varchar: "Length",
  numeric: "Precision, scale",
};

/** A type split into its name and what its parentheses hold: `numeric(10,2)` → `["numeric", "10,2"]`. */
export function splitType(type: string): [string, string] {
  const m = /^(.*?)\s*\((.*)\)$/.exec(type.trim());
  return m ? [m[1], m[2]] : [type.trim(), ""];
}

/** What PostgreSQL would refuse in a length, or a precision and scale (the server checks again). */
export function typeProblem(type: string): string | undefined {
  const [base, args] = splitType(type);
  if (!args) return undefined;
  if (base === "varchar" || base === "character varying") {
    const n = /^\d+$/.test(args) ? Number(args) : NaN;
    if (!(n >= 1 && n <= 10_485_760)) return `${base} takes a length from 1 to 10485760, not "${args}".`;
  } else if (base === "numeric") {
    const m = /^(\d+)\s*(?:,\s*(-?\d+))?$/.exec(args);
    const precision = m ? Number(m[1]) : NaN;
    const scale = m && m[2] !== undefined ? Number(m[2]) : 0;
    if (!(precision >= 1 && precision <= 1000) || !(scale >= -1000 && scale <= 1000))
      return `numeric takes a precision from 1 to 1000 and a scale from -1000 to 1000 (e.g. 10,2), not "${args}".`;
  }
  return undefined;
}

export function columnProblems(d: Draft, sources: SourceChoice[]): Record<number, string> {
  const out: Record<number, string> = {};
  const names = new Set<string>();
  d.columns.forEach((c, i) => {
    // An existing table's names are its own (PostgreSQL quotes any): only new ones are checked.
    if (!c.existing && !IDENTIFIER.test(c.name)) out[i] = "A column name has 1 to 63 characters, no spaces or double quotes.";
    else if (names.has(c.name)) out[i] = `${c.name} is named twice.`;
    else if (!c.source && !c.nullable && !c.hasDefault)
      out[i] = `${c.name} is NOT NULL and has no source: choose a source, or allow NULL.`;
    else if (!c.existing && typeProblem(c.type)) out[i] = typeProblem(c.type) as string;
    else if (c.source) {
      const s = sources.find((s) => s.source === c.source);
      const base = c.type.replace(/\(.*\)/, "");
      if (s && s.types.length > 0 && !s.types.some((t) => t === c.type || t === base))
        out[i] = `${c.source} (${s.avro_type}) does not convert to ${c.type}: choose one of ${s.types.slice(0, 6).join(", ")}${s.types.length > 6 ? "…" : ""}.`;
    }
    names.add(c.name);
  });
  return out;
}

export function MapStep({ d, change, next, proposal }: StepProps) {
  const sources = proposal?.sources ?? [];
  const [preview, setPreview] = useState<Preview | null>(null);
  const [previewError, setPreviewError] = useState<string | undefined>();
  const [loading, setLoading] = useState(false);
  const [topic, setTopic] = useState(d.topics[0]);
  const problems = useMemo(() => columnProblems(d, sources), [d.columns, sources]);
  const sound = Object.keys(problems).length === 0;
  const isNew = !proposal?.exists;
  const key = JSON.stringify([d.columns, topic]);
  useEffect(() => {
    if (!sound) {
      setLoading(false);
      return;
    }
    let live = true;
    const t = window.setTimeout(async () => {
      setLoading(true);
      try {
        const p = await api<Preview>("POST", "/inlet/v1/preview", {
          config: flat(d, proposal),
          topic,
          count: 10,
          columns: isNew ? design(d) : undefined,
        });
        if (live) {
          setPreview(p);
          setPreviewError(undefined);
        }
      } catch (e) {
        if (live) {
          setPreview(null);
          setPreviewError(message(e));
        }
      } finally {
        if (live) setLoading(false);
      }
    }, 400);
    return () => {
      live = false;
      window.clearTimeout(t);
      setLoading(false);
    };
  }, [key, sound]);
  const setColumn = (i: number, patch: Partial<Column>) => {
    const columns = d.columns.map((c, j) => (j === i ? { ...c, ...patch } : c));
    change(5, { columns });
  };
  const typesFor = (c: Column): string[] => {
    const s = sources.find((s) => s.source === c.source);
    const list = s && s.types.length > 0 ? s.types : ["text", "bigint", "integer", "double precision", "boolean", "jsonb", "timestamp with time zone", "bytea"];
    const [base] = splitType(c.type);
    return list.includes(base) ? list : [base, ...list];
  };
  const rows = preview?.records ?? [];
  const dead = rows.filter((r) => r.outcome === "dead_letter").length;
  return (
    <div>
      <p class="lead">
        One row per column: its type, and where its value comes from (a field of the value, of the key, Kafka metadata, or
        nothing). The preview below is real records of the topic as the rows they would become, made by PostgreSQL
        itself in a transaction that is rolled back.
      </p>
      <div class="scroll">
        <table class="mapping">
          <thead>
            <tr>
              <th scope="col">Column</th>
              <th scope="col">PostgreSQL type</th>
              <th scope="col">Source</th>
              <th scope="col">NULL allowed</th>
              {isNew && <th scope="col"><span class="visually-hidden">Remove</span></th>}
            </tr>
          </thead>
          <tbody>
            {d.columns.map((c, i) => {
              const err = problems[i];
              const id = `col-${i}`;
              return (
                <>
                  <tr key={id} class={err ? "invalid" : ""} data-column={c.name}>
                    <td>
                      {isNew ? (
                        <input id={`${id}-name`} aria-label={`Name of column ${i + 1}`} value={c.name} spellcheck={false}
                          aria-invalid={!!err} aria-describedby={err ? `${id}-error` : undefined}
                          onInput={(e) => setColumn(i, { name: (e.target as HTMLInputElement).value.trim() })} />
                      ) : (
                        <code>{c.name}</code>
                      )}
                    </td>
                    <td>
                      {isNew ? (
                        <span class="type">
                          <select id={`${id}-type`} aria-label={`Type of column ${c.name}`} value={splitType(c.type)[0]}
                            aria-invalid={!!err} aria-describedby={err ? `${id}-error` : undefined}
                            onChange={(e) => setColumn(i, { type: (e.target as HTMLSelectElement).value })}>
                            {typesFor(c).map((t) => <option key={t}>{t}</option>)}
                          </select>
                          {TYPE_ARGUMENTS[splitType(c.type)[0]] && (
                            <input class="type-arguments" size={8} spellcheck={false}
                              aria-label={`${TYPE_ARGUMENTS[splitType(c.type)[0]]} of column ${c.name}`}
                              placeholder={splitType(c.type)[0] === "numeric" ? "any (10,2)" : "any (64)"}
                              value={splitType(c.type)[1]} aria-invalid={!!err}
                              onInput={(e) => {
                                const [base] = splitType(c.type);
                                const args = (e.target as HTMLInputElement).value.trim();
                                setColumn(i, { type: args ? `${base}(${args})` : base });
                              }} />
                          )}
                        </span>
                      ) : (
                        <code>{c.type}</code>
                      )}
                    </td>
                    <td>
                      <select id={`${id}-source`} aria-label={`Source of column ${c.name}`} value={c.source}
                        aria-invalid={!!err} aria-describedby={err ? `${id}-error` : undefined}
                        onChange={(e) => {
                          const source = (e.target as HTMLSelectElement).value;
                          const s = sources.find((s) => s.source === source);
                          const type = isNew && s && !s.types.includes(c.type) ? s.types[0] : c.type;
                          setColumn(i, { source, type });
                        }}>
                        <option value="">none ({c.hasDefault ? "its default" : "NULL"})</option>
                        {!sources.some((s) => s.source === c.source) && c.source && <option value={c.source}>{c.source}</option>}
                        {sources.map((s) => (
                          <option key={s.source} value={s.source}>
                            {s.source} ({s.avro_type})
                          </option>
                        ))}
                      </select>
                    </td>
                    <td>
                      {isNew ? (
                        <input type="checkbox" aria-label={`Column ${c.name} allows NULL`} checked={c.nullable}
                          onChange={(e) => setColumn(i, { nullable: (e.target as HTMLInputElement).checked })} />
                      ) : c.nullable ? "yes" : "no"}
                    </td>
                    {isNew && (
                      <td>
                        <button type="button" class="small" aria-label={`Remove column ${c.name}`}
                          onClick={() => change(5, { columns: d.columns.filter((_, j) => j !== i) })}>
                          Remove
                        </button>
                      </td>
                    )}
                  </tr>
                  {err && (
                    <tr key={`${id}-e`} class="invalid">
                      <td colSpan={5}>
                        <small id={`${id}-error`} class="error" role="alert">{err}</small>
                      </td>
                    </tr>
                  )}
                </>
              );
            })}
          </tbody>
        </table>
      </div>
      {isNew && (
        <button type="button" onClick={() => change(5, { columns: [...d.columns, { name: `column_${d.columns.length + 1}`, type: "text", nullable: true, source: "", existing: false, hasDefault: false }] })}>
          Add a column
        </button>
      )}
      <h3 id="preview-title">Preview</h3>
      {d.topics.length > 1 && (
        <div class="field inline">
          <label for="preview-topic">Topic</label>
          <select id="preview-topic" value={topic} onChange={(e) => setTopic((e.target as HTMLSelectElement).value)}>
            {d.topics.map((t) => <option key={t}>{t}</option>)}
          </select>
        </div>
      )}
      <div aria-live="polite" aria-busy={loading}>
        {!sound && <p class="error">Fix the columns above to see the preview.</p>}
        {loading && <p class="hint">Reading the latest records…</p>}
        <Alert>{previewError}</Alert>
        {preview && sound && (
          <p data-preview-summary>
            {rows.length} latest record(s) of {topic}: {rows.length - dead} row(s), {dead} dead letter(s).
          </p>
        )}
      </div>
      {preview && sound && rows.length > 0 && (
        <div class="scroll">
          <table class="preview" aria-labelledby="preview-title">
            <thead>
              <tr>
                <th scope="col">Partition/offset</th>
                {preview.columns.map(([name, type]) => (
                  <th scope="col" key={name}>
                    {name}
                    <br />
                    <small>{type}</small>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={`${r.partition}/${r.offset}`} class={r.outcome === "dead_letter" ? "dead" : ""}>
                  <td>
                    {r.partition}/{r.offset}
                  </td>
                  {r.outcome === "row" ? (
                    preview.columns.map(([name]) => <td key={name}>{show(r.values?.[name])}</td>)
                  ) : (
                    <td colSpan={preview.columns.length} class="reason">
                      {r.outcome === "dead_letter" ? `Dead letter: ${r.reason}` : "Deletes the row of its key"}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div class="actions">
        <button class="primary" type="button" disabled={!sound} onClick={next}>
          Next
        </button>
        {!sound && <span class="error">Create is blocked until every column above is sound.</span>}
      </div>
    </div>
  );
}

export function show(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  return typeof v === "string" ? v : JSON.stringify(v);
}
