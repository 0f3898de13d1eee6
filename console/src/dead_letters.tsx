// A connector's dead letters: what could not be stored and why, filtered by kind (the
// reason code) and by reason; each
// record's raw key and value as hex and, where they decode, as JSON; and the replay of the
// selected ones after a fix (widened column, registered schema), with each one's outcome;
// or their discard (the selected ones, or every one of a reason), confirmed first.
import { useState } from "preact/hooks";
import { api, enc, type DeadLetter, type DeadLetterPage, type ReasonCode, type ReplayResult } from "./api";
import { Alert, count, message, useConfirm, usePoll } from "./ui";

// Each reason code in words (the codes are inlet_postgres::ReasonCode; docs/delivery.md).
export const KIND_WORDS: Record<ReasonCode, string> = {
  bad_frame: "Not a Confluent frame",
  unknown_schema: "Schema not in the registry",
  unusable_schema: "Schema does not fit the table",
  malformed_value: "Malformed value",
  value_refused: "Value its column refuses",
  key_unusable: "Key unusable",
  tombstone: "Tombstone not acted on",
  database_refused: "Refused by PostgreSQL",
  unclassified: "Unclassified (older)",
};

const OUTCOME_WORDS: Record<string, string> = {
  stored: "stored as a row",
  still_dead: "still cannot be stored",
  already_replayed: "replayed already",
  skipped: "skipped",
};

export function DeadLetters({ name }: { name: string }) {
  const [reason, setReason] = useState("");
  const [kind, setKind] = useState<ReasonCode | "">("");
  const [after, setAfter] = useState<number[]>([0]);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [results, setResults] = useState<ReplayResult[] | null>(null);
  const [replayError, setReplayError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [open, setOpen] = useState<number | null>(null);
  const cursor = after[after.length - 1];
  const { data, error, reload } = usePoll(
    () =>
      api<DeadLetterPage>(
        "GET",
        `/inlet/v1/connectors/${enc(name)}/dead-letters?limit=50&after=${cursor}${kind ? `&reason_code=${kind}` : ""}${reason ? `&reason=${enc(reason)}` : ""}`,
      ),
    10000,
    [name, kind, reason, cursor],
  );
  // The waiting dead letters, counted in the table (the reasons list holds the 100 most
  // frequent only, so its sum can fall short).
  const waiting = usePoll(
    () => api<{ dead_letters: number }>("GET", `/inlet/v1/connectors/${enc(name)}/metrics?minutes=1`),
    10000,
    [name],
  ).data?.dead_letters;
  const letters = data?.dead_letters ?? [];
  const toggle = (id: number) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };
  const allSelected = letters.length > 0 && letters.every((d) => selected.has(d.id));
  const replay = async () => {
    setBusy(true);
    setReplayError(undefined);
    setResults(null);
    try {
      const answer = await api<{ results: ReplayResult[] }>(
        "POST",
        `/inlet/v1/connectors/${enc(name)}/dead-letters/replay`,
        { ids: [...selected] },
      );
      setResults(answer.results);
      setSelected(new Set());
      reload();
    } catch (e) {
      setReplayError(message(e));
    } finally {
      setBusy(false);
    }
  };
  const confirm = useConfirm();
  const [discarded, setDiscarded] = useState<string | undefined>();
  const discard = (body: { ids: number[] } | { reason: string }, what: string) =>
    confirm.ask(
      `Discard ${what}?`,
      "They are deleted from inlet.dead_letters for good (the records stay in Kafka until its retention: resetting the offsets reads them again). The discard is recorded in inlet.audit.",
      "Discard",
      async () => {
        setReplayError(undefined);
        setDiscarded(undefined);
        try {
          const answer = await api<{ discarded: number }>(
            "POST",
            `/inlet/v1/connectors/${enc(name)}/dead-letters/discard`,
            body,
          );
          setDiscarded(`Discarded ${count(answer.discarded)} dead letter${answer.discarded === 1 ? "" : "s"}.`);
          setSelected(new Set());
          setAfter([0]);
          reload();
        } catch (e) {
          setReplayError(message(e));
        }
      },
    );
  const reasonCount = data?.reasons.find((r) => r.reason === reason)?.count ?? 0;
  const stored = results?.filter((r) => r.outcome === "stored").length ?? 0;
  return (
    <section aria-labelledby="dl-title">
      <p>
        <a href={`#/connectors/${enc(name)}`}>← {name}</a>
      </p>
      <h1 id="dl-title">Dead letters of {name}</h1>
      <p class="lead">
        Records the connector could not store, each with the reason. Fix the cause (widen a column, register a
        schema), then replay them: each one that now converts becomes a row once.
      </p>
      <Alert>{error}</Alert>
      <div class="toolbar">
        <div class="field inline">
          <label for="dl-kind">Kind</label>
          <select
            id="dl-kind"
            value={kind}
            onChange={(e) => {
              setKind((e.target as HTMLSelectElement).value as ReasonCode | "");
              setReason("");
              setAfter([0]);
              setSelected(new Set());
            }}
          >
            <option value="">Every kind</option>
            {data?.reason_codes.map((c) => (
              <option key={c.reason_code} value={c.reason_code}>
                {KIND_WORDS[c.reason_code]} ({count(c.count)})
              </option>
            ))}
          </select>
        </div>
        <div class="field inline">
          <label for="dl-reason">Reason</label>
          <select
            id="dl-reason"
            value={reason}
            onChange={(e) => {
              setReason((e.target as HTMLSelectElement).value);
              setAfter([0]);
              setSelected(new Set());
            }}
          >
            <option value="">Every reason ({count(waiting ?? data?.reasons.reduce((n, r) => n + r.count, 0))})</option>
            {data?.reasons.map((r) => (
              <option key={`${r.reason_code} ${r.reason}`} value={r.reason}>
                {r.reason.length > 90 ? `${r.reason.slice(0, 90)}…` : r.reason} ({count(r.count)})
              </option>
            ))}
          </select>
        </div>
        <button class="primary" disabled={selected.size === 0 || busy} onClick={replay}>
          {busy ? "Replaying…" : `Replay ${selected.size || ""} selected`}
        </button>
        <button
          class="danger"
          disabled={selected.size === 0 || busy}
          onClick={() => discard({ ids: [...selected] }, `${selected.size} selected dead letter${selected.size === 1 ? "" : "s"}`)}
        >
          Discard {selected.size || ""} selected
        </button>
        {reason && reasonCount > 0 && (
          <button class="danger" disabled={busy} onClick={() => discard({ reason }, `every dead letter of this reason (${count(reasonCount)})`)}>
            Discard all of this reason
          </button>
        )}
      </div>
      {confirm.element}
      {discarded && <p class="notice">{discarded}</p>}
      <div aria-live="polite">
        {results && (
          <div class="notice" data-replay-results>
            <p>
              Replayed {results.length}: {stored} stored as rows
              {results.length - stored > 0 ? `, ${results.length - stored} not` : ""}.
            </p>
            <ul>
              {results
                .filter((r) => r.outcome !== "stored")
                .map((r) => (
                  <li key={r.id}>
                    #{r.id}: {OUTCOME_WORDS[r.outcome] ?? r.outcome}
                    {"reason" in r ? `: ${r.reason}` : ""}
                  </li>
                ))}
            </ul>
          </div>
        )}
      </div>
      <Alert>{replayError}</Alert>
      {data && letters.length === 0 && <p class="empty">No dead letter waits{reason || kind ? " for this filter" : ""}.</p>}
      {letters.length > 0 && (
        <div class="scroll">
          <table class="dead-letters">
            <thead>
              <tr>
                <th scope="col">
                  <input
                    type="checkbox"
                    aria-label="Select every dead letter of this page"
                    checked={allSelected}
                    onChange={() =>
                      setSelected(allSelected ? new Set() : new Set(letters.map((d) => d.id)))
                    }
                  />
                </th>
                <th scope="col">Failed at</th>
                <th scope="col">Attempts</th>
                <th scope="col">Topic / partition / offset</th>
                <th scope="col">Reason</th>
                <th scope="col">Record</th>
              </tr>
            </thead>
            <tbody>
              {letters.map((d) => (
                <Letter
                  key={d.id}
                  name={name}
                  letter={d}
                  selected={selected.has(d.id)}
                  onToggle={() => toggle(d.id)}
                  open={open === d.id}
                  onOpen={() => setOpen(open === d.id ? null : d.id)}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div class="actions">
        <button disabled={after.length <= 1} onClick={() => setAfter(after.slice(0, -1))}>
          Previous page
        </button>
        <button disabled={!data?.next_after} onClick={() => data?.next_after && setAfter([...after, data.next_after])}>
          Next page
        </button>
      </div>
    </section>
  );
}

function Letter(props: {
  name: string;
  letter: DeadLetter;
  selected: boolean;
  onToggle: () => void;
  open: boolean;
  onOpen: () => void;
}) {
  const d = props.letter;
  return (
    <>
      <tr data-dead-letter={d.id}>
        <td>
          <input
            type="checkbox"
            checked={props.selected}
            onChange={props.onToggle}
            aria-label={`Select dead letter ${d.id} (${d.topic}/${d.partition} offset ${d.offset})`}
          />
        </td>
        <td data-label="Failed at">{new Date(d.failed_at).toLocaleString()}</td>
        <td data-attempts data-label="Attempts">
          {d.attempts}
          {d.attempts > 1 ? `, last ${new Date(d.last_seen).toLocaleString()}` : ""}
        </td>
        <td data-label="Topic / partition / offset">
          {d.topic} / {d.partition} / {d.offset}
        </td>
        <td class="reason">
          <span class="kind" data-reason-code={d.reason_code}>
            {KIND_WORDS[d.reason_code]}
          </span>{" "}
          {d.error}
        </td>
        <td>
          <button class="small" aria-expanded={props.open} onClick={props.onOpen}>
            {props.open ? "Hide" : "Show"} record
          </button>
        </td>
      </tr>
      {props.open && (
        <tr class="detail">
          <td colSpan={6}>
            <Record name={props.name} letter={d} />
          </td>
        </tr>
      )}
    </>
  );
}

/** Bytes as hex, 16 per line with their offset. */
function hex(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const chunk = [...bytes.slice(i, i + 16)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    lines.push(`${i.toString(16).padStart(6, "0")}  ${chunk}`);
  }
  return lines.join("\n");
}

const SHOWN_BYTES = 4096;

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** The bytes as text, when they are UTF-8 with no control character but tab and newlines. */
function asText(bytes: Uint8Array): string | null {
  try {
    const text = UTF8.decode(bytes);
    // eslint-disable-next-line no-control-regex
    return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text) ? null : text;
  } catch {
    return null;
  }
}

/** A record header as inlet stores it: its value text, `\x…` hex for bytes, or null. */
interface Header {
  key: string;
  value: string | null;
}

async function loadRecord(name: string, d: DeadLetter) {
  const base = `/inlet/v1/connectors/${enc(name)}/dead-letters/${d.id}`;
  const raw = async (part: "key" | "value", size: number | null) => {
    if (size === null) return null;
    const r = await fetch(`${base}/${part}`);
    if (!r.ok) return null;
    return new Uint8Array(await r.arrayBuffer());
  };
  const [key, value, decoded] = await Promise.all([
    raw("key", d.key_bytes),
    raw("value", d.value_bytes),
    api<{ key: unknown; value: unknown; key_error?: string; value_error?: string }>("GET", `${base}/decoded`).catch(
      (e) => ({ key: null, value: null, key_error: message(e), value_error: message(e) }),
    ),
  ]);
  return { key, value, decoded };
}

function Record({ name, letter }: { name: string; letter: DeadLetter }) {
  const { data, error } = usePoll(() => loadRecord(name, letter), 3_600_000, [letter.id]);
  if (error) return <Alert>{error}</Alert>;
  if (!data) return <p aria-busy="true">Loading the record…</p>;
  const headers = (letter.headers ?? []) as unknown as Header[];
  const part = (label: string, bytes: Uint8Array | null, json: unknown, why: string | undefined) => (
    <div class="part">
      <h3>{label}</h3>
      {bytes === null ? (
        <p>null</p>
      ) : (
        <>
          <p>
            {count(bytes.length)} bytes
            {bytes.length > SHOWN_BYTES ? ` (the first ${count(SHOWN_BYTES)} shown)` : ""}
          </p>
          {json !== null && json !== undefined ? (
            <pre class="json" aria-label={`${label} as JSON`}>{JSON.stringify(json, null, 2)}</pre>
          ) : asText(bytes.slice(0, SHOWN_BYTES)) !== null ? (
            <pre class="text" aria-label={`${label} as text`}>{asText(bytes.slice(0, SHOWN_BYTES))}</pre>
          ) : (
            <p class="hint">Not shown as JSON: {why ?? "it does not decode"}</p>
          )}
          <pre class="hex" aria-label={`${label} as hex`}>{hex(bytes.slice(0, SHOWN_BYTES))}</pre>
        </>
      )}
    </div>
  );
  return (
    <div class="record">
      {part("Key", data.key, data.decoded.key, data.decoded.key_error)}
      {part("Value", data.value, data.decoded.value, data.decoded.value_error)}
      <div class="part">
        <h3>Headers</h3>
        {headers.length === 0 ? (
          <p>none</p>
        ) : (
          <table class="headers" aria-label="Headers">
            <thead>
              <tr>
                <th>Key</th>
                <th>Value</th>
              </tr>
            </thead>
            <tbody>
              {headers.map((h, i) => (
                <tr key={i}>
                  <td>{h.key}</td>
                  <td>{h.value ?? "null"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </div>
  );
}
