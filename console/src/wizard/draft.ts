// The wizard's draft: what the steps have asked so far, the server's defaults, and the flat
// configuration made of them for every call.
import { ApiError, type FlatConfig, type Proposal } from "../api";

export interface Column {
  name: string;
  type: string;
  nullable: boolean;
  /** A source as a mapping writes it, "" for none. */
  source: string;
  /** Whether the column exists in the table already (its name and type are the table's). */
  existing: boolean;
  hasDefault: boolean;
}

export interface Draft {
  name: string;
  kafka: {
    bootstrap_servers: string;
    security_protocol: string;
    sasl_mechanism: string;
    username: string;
    password: string;
    ca_file: string;
  };
  /** How the topics' values are read: avro (with the registry), json, text or bytes. */
  format: string;
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
export type Defaults = Record<string, string>;


/** An empty draft: the server's defaults, with Confluent Cloud's way in (SASL_SSL, PLAIN). */
export function empty(defaults: Defaults): Draft {
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
    format: defaults["format"] ?? "avro",
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

export const NAME_RULE = /^[A-Za-z0-9._-]{1,200}$/;
export const IDENTIFIER = /^[^\s"]{1,63}$/;

/** The flat configuration of the steps so far. */
export function flat(d: Draft, proposal: Proposal | null): FlatConfig {
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
  /** Whether the draft's value of `key` is not what the server would take without it. */
  const set = (key: string, value: string) => value !== "" && value !== d.defaults[key];
  // Only Avro and Protobuf topics need the registry: no key of it is sent for the other formats.
  if (usesRegistry(d)) {
    if (d.registry.url) c["registry.url"] = d.registry.url.trim();
    if (d.registry.key) c["registry.key"] = d.registry.key;
    if (d.registry.secret) c["registry.secret"] = d.registry.secret;
  }
  if (set("format", d.format)) c.format = d.format;
  if (d.topics.length) c.topics = d.topics.join(",");
  if (d.table) c.table = `${d.schema || "public"}.${d.table}`;
  if (d.time_column) c.time_column = d.time_column;
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

/** Whether the draft's topics are read with the registry's schemas (avro, protobuf, json-schema). */
export function usesRegistry(d: Draft): boolean {
  return d.format === "avro" || d.format === "protobuf" || d.format === "json-schema";
}

/**
 * The value formats the wizard sets up, as the `format` setting spells them, with what each
 * reads. (text and bytes, one column of the whole value, are set in a configuration: the
 * map step has no source for "the whole value" yet.)
 */
export const FORMATS: [string, string][] = [
  ["avro", "Avro, with a Confluent-compatible Schema Registry"],
  ["protobuf", "Protobuf, with a Confluent-compatible Schema Registry"],
  ["json-schema", "JSON Schema, with a Confluent-compatible Schema Registry"],
  ["json", "JSON documents (no registry: the table is made from a sample of the topic)"],
];

/** `auto` when the columns are the proposal's as proposed, else the explicit mapping. */
export function mappingOf(d: Draft, proposal: Proposal | null): string {
  const asProposed =
    proposal !== null &&
    !proposal.exists &&
    d.columns.length === proposal.columns.length &&
    d.columns.every((c, i) => {
      const p = proposal.columns[i];
      const m = proposal.mapping.find((m) => m.column === p.name);
      return c.name === p.name && c.type === p.type && c.nullable === p.nullable && c.source === (m?.source ?? "");
    });
  // A JSON topic's table made here has no recorded sources, and its auto mapping would fill
  // a column from the key of its name (geo_lat, not geo.lat): its mapping is explicit.
  if (asProposed && usesRegistry(d)) return "auto";
  const explicit: Record<string, string> = {};
  for (const c of d.columns) if (c.source) explicit[c.name] = c.source;
  return JSON.stringify(explicit);
}

/** The designed columns, as `/inlet/v1/preview` and `/inlet/v1/tables` take them. */
export function design(d: Draft) {
  return d.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable }));
}

/** Field errors from a 400's "key: message; key: message" list (the API's problems). */
export function problemsByKey(e: unknown, keys: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(e instanceof ApiError)) return out;
  for (const part of e.message.split(/;\s|\n/)) {
    const m = part.match(/^([a-z_.]+):\s(.*)$/);
    if (m && keys.includes(m[1])) out[m[1]] = m[2];
  }
  return out;
}


export interface StepProps {
  d: Draft;
  change: (at: number, patch: Partial<Draft>) => void;
  next: () => void;
  proposal: Proposal | null;
  setProposal: (p: Proposal | null) => void;
}
