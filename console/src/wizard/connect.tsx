// The steps that reach the systems: the name, Kafka and the schema registry (each
// "Authenticate" checked by the server), and the topics.
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, enc, type Finding, type TopicRow } from "../api";
import { Alert, Field, described, message } from "../ui";
import { type Draft, FORMATS, NAME_RULE, flat, problemsByKey, type StepProps, usesRegistry } from "./draft";

/** The field a failed Kafka finding is about, by what it says; always one on the form
 * (`sasl`: the SASL fields are shown; `tls`: the CA field is). */
export function kafkaField(f: Finding, sasl: boolean, tls: boolean): string {
  const d = f.detail.toLowerCase();
  if (/credentials were refused|authentication failed|invalid username or password/.test(d))
    return sasl ? "kafka.password" : "kafka.security_protocol";
  if ((f.what === "group" || f.what === "topic" || /acl|authoriz|grant /.test(d)) && sasl) return "kafka.username";
  if (/certificate|ssl handshake|tls handshake/.test(d) && tls) return "kafka.ca_file";
  return "kafka.bootstrap_servers";
}

/** The field a failed registry finding is about. */
export function registryField(f: Finding): string {
  const d = f.detail.toLowerCase();
  if (/refused the credentials|401|403|basic-auth/.test(d)) return "registry.secret";
  return "registry.url";
}

export function NameStep({ d, change, next }: StepProps) {
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

export function KafkaStep({ d, change, next }: StepProps) {
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

export function RegistryStep({ d, change, next }: StepProps) {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [found, setFound] = useState<Finding[] | null>(null);
  const r = d.registry;
  const set = (patch: Partial<Draft["registry"]>) => {
    change(2, { registry: { ...r, ...patch } });
    setFound(null);
  };
  const avro = usesRegistry(d);
  const authenticate = async (e: Event) => {
    e.preventDefault();
    setFound(null);
    if (!avro) {
      next();
      return;
    }
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
      <fieldset>
        <legend>What the topics' values are</legend>
        {FORMATS.map(([format, label]) => (
          <label key={format} class="choice">
            <input type="radio" name="format" value={format} checked={d.format === format}
              onChange={() => { change(2, { format }); setFound(null); setErrors({}); }} />{" "}
            {label}
          </label>
        ))}
      </fieldset>
      {avro ? <RegistryFields r={r} set={set} errors={errors} /> : (
        <p class="lead" data-no-registry>No schema registry is needed: each record's value is read as one JSON document.</p>
      )}
      <div class="actions">
        {avro && (
          <button class="primary" type="submit" disabled={busy}>
            {busy ? "Authenticating…" : "Authenticate"}
          </button>
        )}
        <button type="button" class={avro ? "" : "primary"} disabled={avro && !found} onClick={next}>
          Next
        </button>
      </div>
      <div aria-live="polite">
        {avro && found && (
          <div class="success" data-registry-ok>
            {found.map((f, i) => <p key={i}>✓ {f.detail}</p>)}
          </div>
        )}
      </div>
    </form>
  );
}

/** The registry's URL and credentials, for Avro topics. */
function RegistryFields({ r, set, errors }: { r: Draft["registry"]; set: (patch: Partial<Draft["registry"]>) => void; errors: Record<string, string> }) {
  return (
    <>
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
    </>
  );
}

export function TopicsStep({ d, change, next }: StepProps) {
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
        The topics to store.{" "}
        {usesRegistry(d) ? `Each needs ${{ protobuf: "a Protobuf", "json-schema": "a JSON Schema" }[d.format] ?? "an Avro"} value schema under its subject (topic-value).` : `Their values are read as ${d.format}.`} Several topics go into one
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
                            disabled={usesRegistry(d) && !t.value_subject}
                            onChange={() => toggle(t.name)}
                          />{" "}
                          {t.name}
                        </label>
                      </td>
                      <td class="num">{t.partitions}</td>
                      <td>
                        {!usesRegistry(d)
                          ? `none needed (${d.format})`
                          : t.value_subject
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
