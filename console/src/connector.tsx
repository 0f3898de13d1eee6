// A connector's page: its state in words, its tasks, numbers, the last 15 minutes, per
// partition offsets and lag, the schemas met, and what can be done to it: pause, resume,
// stop, restart, delete, edit the configuration, change offsets (when stopped).
import { useState } from "preact/hooks";
import { ApiError, api, apiWithEtag, enc, type ConnectorInfo, type ConnectorStateInfo, type FlatConfig, type Metrics } from "./api";
import { HistoryChart } from "./chart";
import { Alert, StateBadge, count, message, rate, useConfirm, usePoll } from "./ui";

const STATE_WORDS: Record<string, string> = {
  RUNNING: "Running: records are read and stored as they arrive.",
  PAUSED: "Paused: its partitions are kept, nothing is fetched or stored. Resume to go on where it stopped.",
  STOPPED: "Stopped: its tasks are shut down and its partitions given up. Offsets can be changed now.",
  FAILED: "Failed: a task stopped on an error it cannot get past (below). Fix it, then Restart.",
  UNASSIGNED: "Waiting for a worker to take its tasks.",
  RESTARTING: "Restarting its tasks.",
};

interface Loaded {
  status: ConnectorStateInfo;
  info: ConnectorInfo;
  metrics: Metrics | null;
  metricsError: string | null;
}

async function load(name: string): Promise<Loaded> {
  const [status, info] = await Promise.all([
    api<ConnectorStateInfo>("GET", `/connectors/${enc(name)}/status`),
    api<ConnectorInfo>("GET", `/connectors/${enc(name)}`),
  ]);
  let metrics: Metrics | null = null;
  let metricsError: string | null = null;
  try {
    metrics = await api<Metrics>("GET", `/inlet/v1/connectors/${enc(name)}/metrics?minutes=15`);
  } catch (e) {
    metricsError = message(e);
  }
  return { status, info, metrics, metricsError };
}

/** The connector's state, a failed task overriding a running connector. */
function overall(status: ConnectorStateInfo): string {
  if (status.connector.state === "RUNNING" && status.tasks.some((t) => t.state === "FAILED")) return "FAILED";
  return status.connector.state;
}

export function ConnectorPage({ name }: { name: string }) {
  const { data, error, reload } = usePoll(() => load(name), 3000, [name]);
  const [acting, setActing] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const confirm = useConfirm();

  /** Runs an action; resolves to whether it succeeded (its failure is shown). */
  const act = async (label: string, method: string, path: string, done: string): Promise<boolean> => {
    setActing(label);
    setActionError(undefined);
    setNotice(undefined);
    try {
      await api(method, path);
      setNotice(done);
      reload();
      return true;
    } catch (e) {
      setActionError(`${label} failed: ${message(e)}`);
      return false;
    } finally {
      setActing(null);
    }
  };

  if (error && !data) {
    return (
      <section>
        <h1>{name}</h1>
        <Alert>{error}</Alert>
        <p>
          <a href="#/">Back to the connectors</a>
        </p>
      </section>
    );
  }
  if (!data) return <p aria-busy="true">Loading {name}…</p>;
  const state = overall(data.status);
  const base = `/connectors/${enc(name)}`;
  const m = data.metrics;
  const traces = data.status.tasks.filter((t) => t.trace);
  return (
    <section aria-labelledby="connector-title">
      {confirm.element}
      <div class="heading">
        <h1 id="connector-title">
          {name} <StateBadge state={state} />
        </h1>
        <div class="actions" role="group" aria-label="Actions">
          {state === "PAUSED" ? (
            <button disabled={!!acting} onClick={() => act("Resume", "PUT", `${base}/resume`, "Resumed.")}>
              Resume
            </button>
          ) : (
            <button
              disabled={!!acting || state === "STOPPED"}
              onClick={() => act("Pause", "PUT", `${base}/pause`, "Paused: nothing is stored until you resume.")}
            >
              Pause
            </button>
          )}
          {state === "STOPPED" ? (
            <button disabled={!!acting} onClick={() => act("Resume", "PUT", `${base}/resume`, "Started again.")}>
              Start
            </button>
          ) : (
            <button
              disabled={!!acting}
              onClick={() =>
                confirm.ask(
                  `Stop ${name}?`,
                  "Its tasks commit what they hold and shut down, and its partitions are given up. Nothing is lost: it goes on from its stored offsets when started again. While stopped, its offsets can be changed.",
                  "Stop",
                  () => act("Stop", "PUT", `${base}/stop`, "Stopped."),
                )
              }
            >
              Stop
            </button>
          )}
          <button
            disabled={!!acting}
            onClick={() =>
              act("Restart", "POST", `${base}/restart?includeTasks=true&onlyFailed=false`, "Restarting its tasks.")
            }
          >
            Restart
          </button>
          <a class="button" href={`#/connectors/${enc(name)}/dead-letters`}>
            Dead letters{m && m.dead_letters > 0 ? ` (${count(m.dead_letters)})` : ""}
          </a>
          <button
            class="danger"
            disabled={!!acting}
            onClick={() =>
              confirm.ask(
                `Delete ${name}?`,
                "Its tasks stop and its configuration, stored offsets, secrets and dead letters are deleted. The table and its rows stay. A connector made again with this name starts from kafka.start_from.",
                "Delete",
                async () => {
                  if (await act("Delete", "DELETE", base, "Deleted.")) location.hash = "#/";
                },
              )
            }
          >
            Delete
          </button>
        </div>
      </div>
      <p class="lead">{STATE_WORDS[state] ?? state}</p>
      <Alert>{error && `The page could not refresh (what it shows may be old): ${error}`}</Alert>
      <div aria-live="polite">
        {notice && <p class="notice">{notice}</p>}
      </div>
      <Alert>{actionError}</Alert>
      {(traces.length > 0 || m?.held_up_by || data.status.connector.trace) && (
        <div class="problem" role="status">
          <h2>What stops it</h2>
          {data.status.connector.trace && <p>{data.status.connector.trace}</p>}
          {traces.map((t) => (
            <p key={t.id}>
              Task {t.id} ({t.state}): {t.trace}
            </p>
          ))}
          {m?.held_up_by && traces.length === 0 && <p>{m.held_up_by}</p>}
        </div>
      )}
      <dl class="figures">
        <div>
          <dt>Rows/s</dt>
          <dd data-figure="rows-per-second">{rate(m?.rows_per_second)}</dd>
        </div>
        <div>
          <dt>Rows since the tasks started</dt>
          <dd data-figure="rows">{count(m?.rows)}</dd>
        </div>
        <div>
          <dt>Lag</dt>
          <dd data-figure="lag">{count(m?.lag)}</dd>
        </div>
        <div>
          <dt>Dead letters</dt>
          <dd data-figure="dead-letters">{count(m?.dead_letters)}</dd>
        </div>
      </dl>
      {data.metricsError && <p class="hint">Metrics: {data.metricsError}</p>}
      {m && <HistoryChart history={m.history} />}
      <h2>Tasks</h2>
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Task</th>
              <th scope="col">State</th>
              <th scope="col">Worker</th>
            </tr>
          </thead>
          <tbody>
            {data.status.tasks.map((t) => (
              <tr key={t.id}>
                <td>{t.id}</td>
                <td>
                  <StateBadge state={t.state} />
                </td>
                <td>{t.worker_id || "–"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Partitions</h2>
      {m && m.partitions.length > 0 ? (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Topic</th>
                <th scope="col" class="num">Partition</th>
                <th scope="col" class="num">Stored up to (next offset)</th>
                <th scope="col" class="num">Last stable offset</th>
                <th scope="col" class="num">Lag</th>
              </tr>
            </thead>
            <tbody>
              {m.partitions.map((p) => (
                <tr key={`${p.topic}/${p.partition}`}>
                  <td>{p.topic}</td>
                  <td class="num">{p.partition}</td>
                  <td class="num">{count(p.next_offset)}</td>
                  {/* Sampled every few seconds: never shown below what is stored since. */}
                  <td class="num">
                    {count(p.last_stable_offset === null ? null : Math.max(p.last_stable_offset, p.next_offset))}
                  </td>
                  <td class="num">{count(p.lag)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p class="hint">No running task reports partitions now.</p>
      )}
      {m && m.schemas.length > 0 && (
        <>
          <h2>Schemas met</h2>
          <ul class="schemas">
            {m.schemas.map((s) => (
              <li key={`${s.topic}/${s.schema_id}`}>
                {s.topic}: schema id {s.schema_id}
                {s.unstored_fields.length > 0
                  ? `: fields not stored (no column): ${s.unstored_fields.join(", ")}`
                  : ": every field stored"}
              </li>
            ))}
          </ul>
        </>
      )}
      {m?.last_error && (
        <>
          <h2>Last error</h2>
          <p>{m.last_error}</p>
        </>
      )}
      {state === "STOPPED" && <Offsets name={name} onChanged={reload} />}
      <ConfigEditor name={name} config={data.info.config} onSaved={reload} />
    </section>
  );
}

/** What changing a key does, in words. */
function consequence(key: string): string {
  if (key.startsWith("kafka.") && !key.startsWith("kafka.properties."))
    return "the tasks reconnect to Kafka with it; a secret of kafka.* must be typed again when an address or user changes";
  if (key.startsWith("registry.")) return "schemas are read from this registry from now on";
  if (key === "topics") return "a new topic starts from kafka.start_from; a topic removed keeps its stored offsets";
  if (key === "table" || key.endsWith(".table"))
    return "new rows go to this table (created from the schema if missing); the old table keeps its rows";
  if (key === "mapping" || key.endsWith(".mapping")) return "columns are filled by the new mapping from the next batch";
  if (key === "insert" || key === "key_columns") return "rows are written the new way from the next batch";
  if (key === "tasks.max") return "the tasks are spread again among the workers";
  return "the tasks start again with it; stored offsets are kept";
}

function ConfigEditor({ name, config, onSaved }: { name: string; config: FlatConfig; onSaved: () => void }) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [saved, setSaved] = useState<string | undefined>();
  // The configuration and version this tab read when editing began: a save says which
  // version it changes (If-Match), and a conflict shows what changed since.
  const [base, setBase] = useState<{ config: FlatConfig; etag: string | null } | null>(null);
  const [conflict, setConflict] = useState<string[] | null>(null);
  let parsed: FlatConfig | null = null;
  let parseError: string | undefined;
  if (editing) {
    try {
      const v = JSON.parse(text);
      if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("it must be a JSON object");
      parsed = v as FlatConfig;
    } catch (e) {
      parseError = `Not a JSON object of strings: ${message(e)}`;
    }
  }
  const read = base?.config ?? config;
  const changed = parsed
    ? [...new Set([...Object.keys(read), ...Object.keys(parsed)])].filter((k) => read[k] !== parsed![k])
    : [];
  const edit = async () => {
    setSaved(undefined);
    setConflict(null);
    setError(undefined);
    try {
      const read = await apiWithEtag<FlatConfig>("GET", `/connectors/${enc(name)}/config`);
      setBase({ config: read.json, etag: read.etag });
      setText(JSON.stringify(read.json, null, 2));
      setEditing(true);
    } catch (e) {
      setError(message(e));
    }
  };
  const save = async () => {
    if (!parsed) return;
    setError(undefined);
    setConflict(null);
    try {
      const ifMatch: Record<string, string> = base?.etag ? { "If-Match": base.etag } : {};
      await api("PUT", `/connectors/${enc(name)}/config`, parsed, ifMatch);
      setEditing(false);
      setSaved("Saved: the tasks start again with the new configuration.");
      onSaved();
    } catch (e) {
      if (e instanceof ApiError && (e.status === 409 || e.status === 412) && base) {
        // Changed by someone else since this tab read it: say which keys, keep the edits.
        try {
          const now = await api<FlatConfig>("GET", `/connectors/${enc(name)}/config`);
          const keys = [...new Set([...Object.keys(base.config), ...Object.keys(now)])]
            .filter((k) => base.config[k] !== now[k])
            .sort();
          setConflict(keys);
        } catch (again) {
          setError(message(again));
        }
      } else {
        setError(message(e));
      }
    }
  };
  return (
    <section aria-labelledby="config-title">
      <h2 id="config-title">Configuration</h2>
      {saved && <p class="notice">{saved}</p>}
      {!editing ? (
        <>
          <div class="scroll">
            <table class="config">
              <tbody>
                {Object.keys(config)
                  .sort()
                  .map((k) => (
                    <tr key={k}>
                      <th scope="row">{k}</th>
                      <td>{config[k]}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
          </div>
          <Alert>{error}</Alert>
          <button onClick={edit}>Edit configuration</button>
        </>
      ) : (
        <>
          <label for="config-text">Kafka Connect's flat configuration (secrets stay [hidden] unless you type them again)</label>
          <textarea
            id="config-text"
            rows={16}
            spellcheck={false}
            value={text}
            onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
            aria-describedby="config-effects"
          />
          <div id="config-effects" aria-live="polite">
            {parseError && <p class="error">{parseError}</p>}
            {changed.length > 0 && (
              <>
                <p>Saving changes:</p>
                <ul>
                  {changed.map((k) => (
                    <li key={k}>
                      <code>{k}</code>: {parsed && !(k in parsed) ? "removed" : consequence(k)}
                    </li>
                  ))}
                </ul>
              </>
            )}
          </div>
          <Alert>{error}</Alert>
          {conflict && (
            <div class="error" role="alert">
              <p>
                Not saved: this connector was changed elsewhere since you opened the editor
                {conflict.length > 0 ? ` (${conflict.join(", ")})` : ""}. Your edits are still below: copy
                what you need, then reload to edit the current configuration.
              </p>
              <button
                onClick={() => {
                  setEditing(false);
                  setConflict(null);
                  onSaved();
                }}
              >
                Reload the configuration
              </button>
            </div>
          )}
          <div class="actions">
            <button class="primary" disabled={!parsed || changed.length === 0} onClick={save}>
              Save
            </button>
            <button onClick={() => setEditing(false)}>Cancel</button>
          </div>
        </>
      )}
    </section>
  );
}

interface OffsetRow {
  topic: string;
  partition: number;
  stored: number | null;
  earliest: number | null;
  latest: number | null;
}

async function loadOffsets(name: string): Promise<{ rows: OffsetRow[]; boundsError: string | null }> {
  const stored = await api<{
    offsets: { partition: { kafka_topic: string; kafka_partition: number }; offset: { kafka_offset: number } }[];
  }>("GET", `/connectors/${enc(name)}/offsets`);
  let bounds: { topic: string; partition: number; earliest: number; latest: number }[] = [];
  let boundsError: string | null = null;
  try {
    bounds = (await api<{ partitions: typeof bounds }>("GET", `/inlet/v1/connectors/${enc(name)}/partitions`))
      .partitions;
  } catch (e) {
    boundsError = message(e);
  }
  const rows = new Map<string, OffsetRow>();
  for (const b of bounds)
    rows.set(`${b.topic}/${b.partition}`, { ...b, stored: null });
  for (const o of stored.offsets) {
    const k = `${o.partition.kafka_topic}/${o.partition.kafka_partition}`;
    const row = rows.get(k) ?? {
      topic: o.partition.kafka_topic,
      partition: o.partition.kafka_partition,
      earliest: null,
      latest: null,
      stored: null,
    };
    row.stored = o.offset.kafka_offset;
    rows.set(k, row);
  }
  return {
    rows: [...rows.values()].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition),
    boundsError,
  };
}

function Offsets({ name, onChanged }: { name: string; onChanged: () => void }) {
  const { data, error, reload } = usePoll(() => loadOffsets(name), 60000, [name]);
  const [wanted, setWanted] = useState<Record<string, string>>({});
  const [result, setResult] = useState<string | undefined>();
  const [failure, setFailure] = useState<string | undefined>();
  const confirm = useConfirm();
  const setAll = (pick: (r: OffsetRow) => number | null) => {
    const next: Record<string, string> = {};
    for (const r of data?.rows ?? []) {
      const v = pick(r);
      if (v !== null) next[`${r.topic}/${r.partition}`] = String(v);
    }
    setWanted(next);
  };
  const changes = (data?.rows ?? []).filter((r) => {
    const w = wanted[`${r.topic}/${r.partition}`];
    return w !== undefined && w !== "" && Number(w) !== r.stored;
  });
  const invalid = changes.find((r) => !/^\d+$/.test(wanted[`${r.topic}/${r.partition}`]));
  const apply = () =>
    confirm.ask(
      "Change the stored offsets?",
      `${changes.length} partition(s) will be read from the offsets given when the connector starts again: records before them are skipped, records after them already stored are stored again (as new rows in an append table).`,
      "Change offsets",
      async () => {
        setFailure(undefined);
        try {
          await api("PATCH", `/connectors/${enc(name)}/offsets`, {
            offsets: changes.map((r) => ({
              partition: { kafka_topic: r.topic, kafka_partition: r.partition },
              offset: { kafka_offset: Number(wanted[`${r.topic}/${r.partition}`]) },
            })),
          });
          setResult(`Offsets of ${changes.length} partition(s) changed. Start the connector to read from them.`);
          setWanted({});
          reload();
          onChanged();
        } catch (e) {
          setFailure(message(e));
        }
      },
    );
  const forget = () =>
    confirm.ask(
      "Forget every stored offset?",
      "When started again the connector reads each partition from kafka.start_from (earliest by default): records already stored are stored again.",
      "Forget offsets",
      async () => {
        setFailure(undefined);
        try {
          await api("DELETE", `/connectors/${enc(name)}/offsets`);
          setResult("Offsets forgotten: the connector will read from kafka.start_from.");
          reload();
        } catch (e) {
          setFailure(message(e));
        }
      },
    );
  return (
    <section aria-labelledby="offsets-title">
      {confirm.element}
      <h2 id="offsets-title">Offsets</h2>
      <Alert>{error}</Alert>
      {data?.boundsError && <p class="hint">Earliest and latest offsets unknown: {data.boundsError}</p>}
      {result && <p class="notice">{result}</p>}
      <Alert>{failure}</Alert>
      {data && (
        <>
          <div class="actions">
            <button onClick={() => setAll((r) => r.earliest)} disabled={!!data.boundsError}>
              All to earliest
            </button>
            <button onClick={() => setAll((r) => r.latest)} disabled={!!data.boundsError}>
              All to latest
            </button>
          </div>
          <div class="scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">Topic</th>
                  <th scope="col" class="num">Partition</th>
                  <th scope="col" class="num">Stored</th>
                  <th scope="col" class="num">Earliest</th>
                  <th scope="col" class="num">Latest</th>
                  <th scope="col">New offset</th>
                </tr>
              </thead>
              <tbody>
                {data.rows.map((r) => {
                  const k = `${r.topic}/${r.partition}`;
                  const id = `offset-${r.topic}-${r.partition}`;
                  return (
                    <tr key={k}>
                      <td>{r.topic}</td>
                      <td class="num">{r.partition}</td>
                      <td class="num">{count(r.stored)}</td>
                      <td class="num">{count(r.earliest)}</td>
                      <td class="num">{count(r.latest)}</td>
                      <td>
                        <label class="visually-hidden" for={id}>
                          New offset of {r.topic} partition {r.partition}
                        </label>
                        <input
                          id={id}
                          inputMode="numeric"
                          aria-invalid={invalid === r}
                          aria-describedby={invalid === r ? "offset-invalid" : undefined}
                          size={10}
                          value={wanted[k] ?? ""}
                          placeholder={r.stored === null ? "" : String(r.stored)}
                          onInput={(e) => setWanted({ ...wanted, [k]: (e.target as HTMLInputElement).value })}
                        />
                        <button type="button" class="small" disabled={r.earliest === null} aria-label={`Earliest offset for ${r.topic} partition ${r.partition}`} onClick={() => setWanted({ ...wanted, [k]: String(r.earliest) })}>
                          Earliest
                        </button>
                        <button type="button" class="small" disabled={r.latest === null} aria-label={`Latest offset for ${r.topic} partition ${r.partition}`} onClick={() => setWanted({ ...wanted, [k]: String(r.latest) })}>
                          Latest
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          {invalid && <p class="error" id="offset-invalid">An offset is a whole number of 0 or more.</p>}
          <div class="actions">
            <button class="primary" disabled={changes.length === 0 || !!invalid} onClick={apply}>
              Change {changes.length || ""} offset{changes.length === 1 ? "" : "s"}
            </button>
            <button class="danger" onClick={forget}>
              Forget all offsets
            </button>
          </div>
        </>
      )}
    </section>
  );
}
