// The setup wizard, in the steps (and the order) of the managed connector's console: name →
// Kafka (Authenticate) → schema registry (Authenticate) → topics → schema and table → map
// columns (with a live preview of real records) → create. Each step is checked by the
// server before the next opens; every call is one of the public API's (`/inlet/v1/…`,
// `/connectors`), with the configuration so far as Kafka Connect's flat map.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import {
  ApiError,
  api,
  enc,
  type FlatConfig,
  type Finding,
  type Preview,
  type Proposal,
  type SourceChoice,
  type TopicRow,
  type ConfigKeyInfo,
} from "./api";
import { Alert, Field, described, message } from "./ui";

const STEPS = ["Name", "Kafka", "Schema Registry", "Topics", "Schema and table", "Map columns", "Create"];

interface Column {
  name: string;
  type: string;
  nullable: boolean;
  /** A source as a mapping writes it, "" for none. */
  source: string;
  /** Whether the column exists in the table already (its name and type are the table's). */
  existing: boolean;
  hasDefault: boolean;
}

interface Draft {
  name: string;
  kafka: {
    bootstrap_servers: string;
    security_protocol: string;
    sasl_mechanism: string;
    username: string;
    password: string;
    ca_file: string;
  };
  registry: { url: string; key: string; secret: string };
  topics: string[];
  schema: string;
  table: string;
  time_column: string;
  chunk_interval: string;
  columns: Column[];
  insert: string;
  key_columns: string[];
  tolerance: string;
  start_from: string;
  max_rows: string;
  linger_ms: string;
  tasks_max: string;
  /** The plugin's defaults (flat key → default), from `/connector-plugins/…/config`. */
  defaults: Defaults;
}

/** Flat key → the default the server applies when the key is not sent. */
type Defaults = Record<string, string>;


/** An empty draft: the server's defaults, with Confluent Cloud's way in (SASL_SSL, PLAIN). */
function empty(defaults: Defaults): Draft {
  return {
    name: "",
    kafka: {
      bootstrap_servers: "",
      security_protocol: "SASL_SSL",
      sasl_mechanism: "PLAIN",
      username: "",
      password: "",
      ca_file: "",
    },
    registry: { url: "", key: "", secret: "" },
    topics: [],
    schema: "public",
    table: "",
    time_column: "",
    chunk_interval: defaults["chunk_interval"] ?? "",
    columns: [],
    insert: defaults["insert"] ?? "",
    key_columns: [],
    tolerance: defaults["errors.tolerance"] ?? "",
    start_from: defaults["kafka.start_from"] ?? "",
    max_rows: defaults["batch.max_rows"] ?? "",
    linger_ms: defaults["batch.linger_ms"] ?? "",
    tasks_max: defaults["tasks.max"] ?? "",
    defaults,
  };
}

const NAME_RULE = /^[A-Za-z0-9._-]{1,200}$/;
const IDENTIFIER = /^[^\s"]{1,63}$/;

/** The flat configuration of the steps so far. */
function flat(d: Draft, proposal: Proposal | null): FlatConfig {
  const c: FlatConfig = { "connector.class": "inlet.PostgresSink" };
  if (d.name) c.name = d.name;
  const k = d.kafka;
  c["kafka.bootstrap_servers"] = k.bootstrap_servers.trim();
  c["kafka.security_protocol"] = k.security_protocol;
  if (k.security_protocol.startsWith("SASL")) {
    c["kafka.sasl_mechanism"] = k.sasl_mechanism;
    c["kafka.username"] = k.username;
    c["kafka.password"] = k.password;
  }
  if (k.ca_file.trim() && k.security_protocol.endsWith("SSL")) c["kafka.ca_file"] = k.ca_file.trim();
  if (d.registry.url) c["registry.url"] = d.registry.url.trim();
  if (d.registry.key) c["registry.key"] = d.registry.key;
  if (d.registry.secret) c["registry.secret"] = d.registry.secret;
  if (d.topics.length) c.topics = d.topics.join(",");
  if (d.table) c.table = `${d.schema || "public"}.${d.table}`;
  if (d.time_column) c.time_column = d.time_column;
  /** Whether the draft's value of `key` is not what the server would take without it. */
  const set = (key: string, value: string) => value !== "" && value !== d.defaults[key];
  if (set("chunk_interval", d.chunk_interval)) c.chunk_interval = d.chunk_interval;
  if (d.columns.length) c.mapping = mappingOf(d, proposal);
  if (set("insert", d.insert)) {
    c.insert = d.insert;
    c.key_columns = d.key_columns.join(",");
  }
  if (set("errors.tolerance", d.tolerance)) c["errors.tolerance"] = d.tolerance;
  if (set("kafka.start_from", d.start_from)) c["kafka.start_from"] = d.start_from;
  if (set("batch.max_rows", d.max_rows)) c["batch.max_rows"] = d.max_rows;
  if (set("batch.linger_ms", d.linger_ms)) c["batch.linger_ms"] = d.linger_ms;
  if (set("tasks.max", d.tasks_max)) c["tasks.max"] = d.tasks_max;
  return c;
}

/** `auto` when the columns are the proposal's as proposed, else the explicit mapping. */
function mappingOf(d: Draft, proposal: Proposal | null): string {
  const asProposed =
    proposal !== null &&
    !proposal.exists &&
    d.columns.length === proposal.columns.length &&
    d.columns.every((c, i) => {
      const p = proposal.columns[i];
      const m = proposal.mapping.find((m) => m.column === p.name);
      return c.name === p.name && c.type === p.type && c.nullable === p.nullable && c.source === (m?.source ?? "");
    });
  if (asProposed) return "auto";
  const explicit: Record<string, string> = {};
  for (const c of d.columns) if (c.source) explicit[c.name] = c.source;
  return JSON.stringify(explicit);
}

/** The designed columns, as `/inlet/v1/preview` and `/inlet/v1/tables` take them. */
function design(d: Draft) {
  return d.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable }));
}

/** Field errors from a 400's "key: message; key: message" list (the API's problems). */
function problemsByKey(e: unknown, keys: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(e instanceof ApiError)) return out;
  for (const part of e.message.split(/;\s|\n/)) {
    const m = part.match(/^([a-z_.]+):\s(.*)$/);
    if (m && keys.includes(m[1])) out[m[1]] = m[2];
  }
  return out;
}

/** The field a failed Kafka finding is about, by what it says; always one on the form
 * (`sasl`: the SASL fields are shown; `tls`: the CA field is). */
function kafkaField(f: Finding, sasl: boolean, tls: boolean): string {
  const d = f.detail.toLowerCase();
  if (/credentials were refused|authentication failed|invalid username or password/.test(d))
    return sasl ? "kafka.password" : "kafka.security_protocol";
  if ((f.what === "group" || f.what === "topic" || /acl|authoriz|grant /.test(d)) && sasl) return "kafka.username";
  if (/certificate|ssl handshake|tls handshake/.test(d) && tls) return "kafka.ca_file";
  return "kafka.bootstrap_servers";
}

/** The field a failed registry finding is about. */
function registryField(f: Finding): string {
  const d = f.detail.toLowerCase();
  if (/refused the credentials|401|403|basic-auth/.test(d)) return "registry.secret";
  return "registry.url";
}

/** The wizard, once the plugin's defaults are read (they are the server's, never copied here). */
export function Wizard() {
  const [defaults, setDefaults] = useState<Defaults | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    api<ConfigKeyInfo[]>("GET", "/connector-plugins/inlet.PostgresSink/config")
      .then((keys) => setDefaults(Object.fromEntries(keys.flatMap((k) => (k.default_value === null ? [] : [[k.name, k.default_value]])))))
      .catch((e) => setError(message(e)));
  }, []);
  if (error) return <Alert>Reading the plugin's settings failed: {error} Reload the page to try again.</Alert>;
  if (defaults === null) return <p aria-busy="true">Reading the plugin's settings…</p>;
  return <Steps defaults={defaults} />;
}

function Steps({ defaults }: { defaults: Defaults }) {
  const [step, setStep] = useState(0);
  const [done, setDone] = useState(0);
  const [d, setDraft] = useState<Draft>(() => empty(defaults));
  const [proposal, setProposal] = useState<Proposal | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [step]);
  /** Changes the draft; a change to a step's input makes it (and the later ones) unchecked. */
  const change = (at: number, patch: Partial<Draft>) => {
    setDraft((old) => ({ ...old, ...patch }));
    setDone((n) => Math.min(n, at));
  };
  const next = () => {
    setDone((n) => Math.max(n, step + 1));
    setStep(step + 1);
  };
  const props = { d, change, next, proposal, setProposal };
  return (
    <section aria-labelledby="wizard-title">
      <h1 id="wizard-title">New connector</h1>
      <ol class="steps" aria-label="Steps">
        {STEPS.map((s, i) => (
          <li key={s} class={i === step ? "current" : i < done ? "done" : ""} aria-current={i === step ? "step" : undefined}>
            {i <= done && i !== step ? (
              <button type="button" class="link" onClick={() => setStep(i)}>
                {i + 1}. {s}
              </button>
            ) : (
              <span>
                {i + 1}. {s}
              </span>
            )}
          </li>
        ))}
      </ol>
      <div class="step-body">
        <h2 ref={heading} tabIndex={-1} id="step-title">
          {step + 1}. {STEPS[step]}
        </h2>
        {step === 0 && <NameStep {...props} />}
        {step === 1 && <KafkaStep {...props} />}
        {step === 2 && <RegistryStep {...props} />}
        {step === 3 && <TopicsStep {...props} />}
        {step === 4 && <TableStep {...props} />}
        {step === 5 && <MapStep {...props} />}
        {step === 6 && <CreateStep {...props} />}
        {step > 0 && (
          <p>
            <button type="button" class="link" onClick={() => setStep(step - 1)}>
              ← Back to {STEPS[step - 1]}
            </button>
          </p>
        )}
      </div>
    </section>
  );
}

interface StepProps {
  d: Draft;
  change: (at: number, patch: Partial<Draft>) => void;
  next: () => void;
  proposal: Proposal | null;
  setProposal: (p: Proposal | null) => void;
}

function NameStep({ d, change, next }: StepProps) {
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const hint = "Letters, digits, '-', '_' and '.', up to 200. It names the consumer group and the stored offsets.";
  const check = async (e: Event) => {
    e.preventDefault();
    if (!NAME_RULE.test(d.name)) {
      setError("Use letters, digits, '-', '_' or '.' only (1 to 200 of them).");
      return;
    }
    setBusy(true);
    try {
      await api("GET", `/connectors/${enc(d.name)}`);
      setError(`A connector named ${d.name} exists already: choose another name.`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        setError(undefined);
        next();
      } else setError(message(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={check} noValidate>
      <Field id="name" label="Connector name" hint={hint} error={error}>
        <input
          id="name"
          value={d.name}
          autoComplete="off"
          required
          aria-invalid={!!error}
          aria-describedby={described("name", hint, error)}
          onInput={(e) => change(0, { name: (e.target as HTMLInputElement).value.trim() })}
        />
      </Field>
      <button class="primary" type="submit" disabled={busy}>
        {busy ? "Checking…" : "Next"}
      </button>
    </form>
  );
}

function KafkaStep({ d, change, next }: StepProps) {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ findings: Finding[]; topics: { name: string }[] } | null>(null);
  const k = d.kafka;
  const sasl = k.security_protocol.startsWith("SASL");
  const tls = k.security_protocol.endsWith("SSL");
  const set = (patch: Partial<Draft["kafka"]>) => {
    change(1, { kafka: { ...k, ...patch } });
    setResult(null);
  };
  const keys = ["kafka.bootstrap_servers", "kafka.security_protocol", "kafka.sasl_mechanism", "kafka.username", "kafka.password", "kafka.ca_file"];
  const authenticate = async (e: Event) => {
    e.preventDefault();
    const missing: Record<string, string> = {};
    if (!k.bootstrap_servers.trim()) missing["kafka.bootstrap_servers"] = "Enter the bootstrap servers, host:port (comma-separated for several).";
    if (sasl && !k.username) missing["kafka.username"] = "Enter the API key (SASL user name).";
    if (sasl && !k.password) missing["kafka.password"] = "Enter the API secret (SASL password).";
    setErrors(missing);
    setResult(null);
    if (Object.keys(missing).length) return;
    setBusy(true);
    try {
      const config = flat(d, null);
      const answer = await api<{ ok: boolean; findings: Finding[]; topics: { name: string }[] }>("POST", "/inlet/v1/kafka/check", config);
      setResult(answer);
      const failed: Record<string, string> = {};
      for (const f of answer.findings.filter((f) => !f.ok)) failed[kafkaField(f, sasl, tls)] ??= f.detail;
      setErrors(failed);
    } catch (err) {
      const byKey = problemsByKey(err, keys);
      setErrors(Object.keys(byKey).length ? byKey : { "kafka.bootstrap_servers": message(err) });
    } finally {
      setBusy(false);
    }
  };
  const ok = result !== null && result.findings.every((f) => f.ok);
  const field = (key: keyof Draft["kafka"], label: string, hint: string, input: (id: string, err?: string) => preact.JSX.Element) => {
    const id = `kafka-${key}`;
    const err = errors[`kafka.${key}`];
    return (
      <Field id={id} label={label} hint={hint} error={err}>
        {input(id, err)}
      </Field>
    );
  };
  return (
    <form onSubmit={authenticate} noValidate>
      <p class="lead">The cluster to read from. For Confluent Cloud: the cluster's bootstrap server, SASL_SSL, PLAIN, and an API key and secret.</p>
      {field("bootstrap_servers", "Bootstrap servers", "host:port, comma-separated (e.g. pkc-xxxxx.eu-west-1.aws.confluent.cloud:9092)", (id, err) => (
        <input id={id} value={k.bootstrap_servers} autoComplete="off" spellcheck={false} aria-invalid={!!err}
          aria-describedby={described(id, "x", err)} onInput={(e) => set({ bootstrap_servers: (e.target as HTMLInputElement).value })} />
      ))}
      <div class="row">
        {field("security_protocol", "Security protocol", "SASL_SSL for Confluent Cloud", (id) => (
          <select id={id} value={k.security_protocol} aria-describedby={`${id}-hint`} onChange={(e) => set({ security_protocol: (e.target as HTMLSelectElement).value })}>
            {["SASL_SSL", "SASL_PLAINTEXT", "SSL", "PLAINTEXT"].map((p) => <option key={p}>{p}</option>)}
          </select>
        ))}
        {sasl && field("sasl_mechanism", "SASL mechanism", "PLAIN for Confluent Cloud API keys", (id) => (
          <select id={id} value={k.sasl_mechanism} aria-describedby={`${id}-hint`} onChange={(e) => set({ sasl_mechanism: (e.target as HTMLSelectElement).value })}>
            {["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"].map((p) => <option key={p}>{p}</option>)}
          </select>
        ))}
      </div>
      {sasl && (
        <div class="row">
          {field("username", "API key", "The SASL user name", (id, err) => (
            <input id={id} value={k.username} autoComplete="off" spellcheck={false} aria-invalid={!!err}
              aria-describedby={described(id, "x", err)} onInput={(e) => set({ username: (e.target as HTMLInputElement).value })} />
          ))}
          {field("password", "API secret", "Stored encrypted; never shown again", (id, err) => (
            <input id={id} type="password" value={k.password} autoComplete="new-password" aria-invalid={!!err}
              aria-describedby={described(id, "x", err)} onInput={(e) => set({ password: (e.target as HTMLInputElement).value })} />
          ))}
        </div>
      )}
      {tls && field("ca_file", "CA file (optional)", "A PEM file on the inlet server, for brokers with a private CA; empty: the public roots", (id, err) => (
        <input id={id} value={k.ca_file} autoComplete="off" spellcheck={false} aria-invalid={!!err}
          aria-describedby={described(id, "x", err)} onInput={(e) => set({ ca_file: (e.target as HTMLInputElement).value })} />
      ))}
      <div class="actions">
        <button class="primary" type="submit" disabled={busy}>
          {busy ? "Authenticating…" : "Authenticate"}
        </button>
        <button type="button" disabled={!ok} onClick={next}>
          Next
        </button>
      </div>
      <div aria-live="polite">
        {ok && (
          <div class="success" data-kafka-ok>
            {result!.findings.map((f, i) => <p key={i}>✓ {f.detail}</p>)}
            <p>
              {result!.topics.length} topic(s) visible
              {result!.topics.length > 0 &&
                `: ${result!.topics.slice(0, 12).map((t) => t.name).join(", ")}${result!.topics.length > 12 ? ", …" : ""}`}
              .
            </p>
          </div>
        )}
      </div>
    </form>
  );
}

function RegistryStep({ d, change, next }: StepProps) {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [found, setFound] = useState<Finding[] | null>(null);
  const r = d.registry;
  const set = (patch: Partial<Draft["registry"]>) => {
    change(2, { registry: { ...r, ...patch } });
    setFound(null);
  };
  const authenticate = async (e: Event) => {
    e.preventDefault();
    setFound(null);
    if (!r.url.trim()) {
      setErrors({ "registry.url": "Enter the schema registry's URL (https://psrc-xxxxx.region.aws.confluent.cloud)." });
      return;
    }
    if (!!r.key !== !!r.secret) {
      setErrors(r.key ? { "registry.secret": "Enter the API secret of this key (or neither)." } : { "registry.key": "Enter the API key of this secret (or neither)." });
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const answer = await api<{ ok: boolean; findings: Finding[] }>("POST", "/inlet/v1/registry/check", flat(d, null));
      const failed: Record<string, string> = {};
      for (const f of answer.findings.filter((f) => !f.ok)) failed[registryField(f)] ??= f.detail;
      setErrors(failed);
      if (answer.ok) setFound(answer.findings);
    } catch (err) {
      const byKey = problemsByKey(err, ["registry.url", "registry.key", "registry.secret"]);
      setErrors(Object.keys(byKey).length ? byKey : { "registry.url": message(err) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={authenticate} noValidate>
      <p class="lead">Where the topics' Avro schemas are: a Confluent-compatible Schema Registry.</p>
      <Field id="registry-url" label="Schema Registry URL" hint="e.g. https://psrc-xxxxx.eu-central-1.aws.confluent.cloud" error={errors["registry.url"]}>
        <input id="registry-url" value={r.url} autoComplete="off" spellcheck={false} aria-invalid={!!errors["registry.url"]}
          aria-describedby={described("registry-url", "x", errors["registry.url"])} onInput={(e) => set({ url: (e.target as HTMLInputElement).value })} />
      </Field>
      <div class="row">
        <Field id="registry-key" label="API key (optional)" hint="Basic-auth user" error={errors["registry.key"]}>
          <input id="registry-key" value={r.key} autoComplete="off" spellcheck={false} aria-invalid={!!errors["registry.key"]}
            aria-describedby={described("registry-key", "x", errors["registry.key"])} onInput={(e) => set({ key: (e.target as HTMLInputElement).value })} />
        </Field>
        <Field id="registry-secret" label="API secret (optional)" hint="Stored encrypted; never shown again" error={errors["registry.secret"]}>
          <input id="registry-secret" type="password" value={r.secret} autoComplete="new-password" aria-invalid={!!errors["registry.secret"]}
            aria-describedby={described("registry-secret", "x", errors["registry.secret"])} onInput={(e) => set({ secret: (e.target as HTMLInputElement).value })} />
        </Field>
      </div>
      <div class="actions">
        <button class="primary" type="submit" disabled={busy}>
          {busy ? "Authenticating…" : "Authenticate"}
        </button>
        <button type="button" disabled={!found} onClick={next}>
          Next
        </button>
      </div>
      <div aria-live="polite">
        {found && (
          <div class="success" data-registry-ok>
            {found.map((f, i) => <p key={i}>✓ {f.detail}</p>)}
          </div>
        )}
      </div>
    </form>
  );
}

function TopicsStep({ d, change, next }: StepProps) {
  const [topics, setTopics] = useState<TopicRow[] | null>(null);
  const [error, setError] = useState<string | undefined>();
  const [filter, setFilter] = useState("");
  const [checking, setChecking] = useState(false);
  const [refused, setRefused] = useState<string[]>([]);
  useEffect(() => {
    const config = flat(d, null);
    delete config.topics;
    api<TopicRow[]>("POST", "/inlet/v1/topics", config).then(setTopics, (e) => setError(message(e)));
  }, []);
  /** The chosen topics and the consumer group, checked with the credentials (READ, DESCRIBE, the group's ACL). */
  const check = async () => {
    setChecking(true);
    setRefused([]);
    try {
      const answer = await api<{ ok: boolean; findings: Finding[] }>("POST", "/inlet/v1/kafka/check", flat(d, null));
      const failed = answer.findings.filter((f) => !f.ok).map((f) => f.detail);
      setRefused(failed);
      if (failed.length === 0) next();
    } catch (e) {
      setRefused([message(e)]);
    } finally {
      setChecking(false);
    }
  };
  const toggle = (name: string) => {
    const adding = !d.topics.includes(name);
    const chosen = adding ? [...d.topics, name] : d.topics.filter((t) => t !== name);
    const table = d.table || (chosen[0] ?? "").replace(/[^A-Za-z0-9_]/g, "_").toLowerCase();
    change(3, { topics: chosen, table, columns: [] });
    // The latest schema id of a chosen topic, looked up by name (the whole list looks up
    // the first few hundred only, on clusters of thousands of topics).
    const row = topics?.find((t) => t.name === name);
    if (adding && row && row.value_subject && row.latest_schema_id === null) {
      const config = { ...flat(d, null), topics: name };
      api<TopicRow[]>("POST", "/inlet/v1/topics", config).then(
        (found) => {
          const id = found.find((t) => t.name === name)?.latest_schema_id ?? null;
          setTopics((all) => all && all.map((t) => (t.name === name ? { ...t, latest_schema_id: id } : t)));
        },
        () => undefined,
      );
    }
  };
  const shown = (topics ?? []).filter((t) => t.name.toLowerCase().includes(filter.toLowerCase()));
  return (
    <div>
      <p class="lead">
        The topics to store. Each needs an Avro value schema under its subject (topic-value). Several topics go into one
        table: their schemas must fit it (the preview shows each one's records). Next checks that the credentials may
        read them and use the consumer group.
      </p>
      <Alert>{error}</Alert>
      {!topics && !error && <p aria-busy="true">Reading the cluster's topics…</p>}
      {topics && (
        <>
          <div class="field">
            <label for="topic-filter">Filter topics</label>
            <input id="topic-filter" type="search" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
          </div>
          <fieldset>
            <legend>Topics ({topics.length})</legend>
            <div class="scroll">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Topic</th>
                    <th scope="col" class="num">Partitions</th>
                    <th scope="col">Value schema</th>
                  </tr>
                </thead>
                <tbody>
                  {shown.slice(0, 500).map((t) => (
                    <tr key={t.name}>
                      <td>
                        <label>
                          <input
                            type="checkbox"
                            checked={d.topics.includes(t.name)}
                            disabled={!t.value_subject}
                            onChange={() => toggle(t.name)}
                          />{" "}
                          {t.name}
                        </label>
                      </td>
                      <td class="num">{t.partitions}</td>
                      <td>
                        {t.value_subject
                          ? `${t.value_subject}${t.latest_schema_id !== null ? `, latest schema id ${t.latest_schema_id}` : t.latest_schema_error ? ` (schema id not read: ${t.latest_schema_error})` : ""}`
                          : "none: produce with a registered schema first"}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {shown.length > 500 && <p class="hint">The first 500 shown: filter to find others.</p>}
          </fieldset>
        </>
      )}
      <div aria-live="polite">
        {refused.map((r, i) => (
          <p key={i} class="alert" role="alert" data-topics-refused>
            {r}
          </p>
        ))}
      </div>
      <div class="actions">
        <button class="primary" type="button" disabled={d.topics.length === 0 || checking} onClick={check}>
          {checking ? "Checking the topics and the group…" : "Next"}
        </button>
        {d.topics.length > 0 && <span>Chosen: {d.topics.join(", ")}</span>}
      </div>
    </div>
  );
}

function TableStep({ d, change, next, proposal, setProposal }: StepProps) {
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
function columnProblems(d: Draft, sources: SourceChoice[]): Record<number, string> {
  const out: Record<number, string> = {};
  const names = new Set<string>();
  d.columns.forEach((c, i) => {
    // An existing table's names are its own (PostgreSQL quotes any): only new ones are checked.
    if (!c.existing && !IDENTIFIER.test(c.name)) out[i] = "A column name has 1 to 63 characters, no spaces or double quotes.";
    else if (names.has(c.name)) out[i] = `${c.name} is named twice.`;
    else if (!c.source && !c.nullable && !c.hasDefault)
      out[i] = `${c.name} is NOT NULL and has no source: choose a source, or allow NULL.`;
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

function MapStep({ d, change, next, proposal }: StepProps) {
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
    return list.includes(c.type) ? list : [c.type, ...list];
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
                        <select id={`${id}-type`} aria-label={`Type of column ${c.name}`} value={c.type}
                          aria-invalid={!!err} aria-describedby={err ? `${id}-error` : undefined}
                          onChange={(e) => setColumn(i, { type: (e.target as HTMLSelectElement).value })}>
                          {typesFor(c).map((t) => <option key={t}>{t}</option>)}
                        </select>
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

function show(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  return typeof v === "string" ? v : JSON.stringify(v);
}

const ADVANCED_KEYS = ["insert", "key_columns", "errors.tolerance", "kafka.start_from", "batch.max_rows", "batch.linger_ms", "tasks.max", "time_column", "chunk_interval"];

function CreateStep({ d, change, proposal }: StepProps) {
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
