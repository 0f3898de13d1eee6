// The list of connectors: state, rows/s, rows, lag and dead letters of each, refreshed every
// 3 s (`GET /connectors?expand=status&expand=info` and each one's metrics).
import { api, enc, type ConnectorInfo, type ConnectorStateInfo, type Metrics } from "./api";
import { Alert, StateBadge, count, rate, usePoll } from "./ui";

interface Row {
  name: string;
  state: string;
  topics: string;
  table: string;
  metrics: Metrics | null;
}

async function load(): Promise<Row[]> {
  const all = await api<Record<string, { status: ConnectorStateInfo; info: ConnectorInfo }>>(
    "GET",
    "/connectors?expand=status&expand=info",
  );
  const names = Object.keys(all).sort();
  return Promise.all(
    names.map(async (name) => {
      const { status, info } = all[name];
      let metrics: Metrics | null = null;
      try {
        metrics = await api<Metrics>("GET", `/inlet/v1/connectors/${enc(name)}/metrics?minutes=1`);
      } catch {
        metrics = null;
      }
      const failed = status.tasks.some((t) => t.state === "FAILED");
      return {
        name,
        state: failed && status.connector.state === "RUNNING" ? "FAILED" : status.connector.state,
        topics: info.config["topics"] ?? "",
        table: info.config["table"] ?? "",
        metrics,
      };
    }),
  );
}

export function ConnectorList() {
  const { data, error } = usePoll(load, 3000);
  return (
    <section aria-labelledby="list-title">
      <div class="heading">
        <h1 id="list-title">Connectors</h1>
        <a class="button primary" href="#/new">
          New connector
        </a>
      </div>
      <Alert>{error}</Alert>
      {data && data.length === 0 && (
        <div class="empty">
          <p>No connector yet.</p>
          <p>
            <a href="#/new">Create one</a>: name it, authenticate Kafka and the schema registry, pick topics, map
            columns and see the rows before anything is written.
          </p>
        </div>
      )}
      {data && data.length > 0 && (
        <div class="scroll">
          <table class="list">
            <caption class="visually-hidden">Connectors, refreshed every 3 seconds</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">State</th>
                <th scope="col" class="topics">Topics → table</th>
                <th scope="col" class="num">Rows/s</th>
                <th scope="col" class="num">Rows</th>
                <th scope="col" class="num">Lag</th>
                <th scope="col" class="num">Dead letters</th>
              </tr>
            </thead>
            <tbody>
              {data.map((c) => (
                <tr key={c.name} data-connector={c.name}>
                  <th scope="row">
                    <a href={`#/connectors/${enc(c.name)}`}>{c.name}</a>
                  </th>
                  <td>
                    <StateBadge state={c.state} />
                  </td>
                  <td class="topics">
                    {c.topics} → {c.table}
                  </td>
                  <td class="num">{rate(c.metrics?.rows_per_second)}</td>
                  <td class="num" data-rows>{count(c.metrics?.rows)}</td>
                  <td class="num">{count(c.metrics?.lag)}</td>
                  <td class="num">
                    {c.metrics && c.metrics.dead_letters > 0 ? (
                      <a href={`#/connectors/${enc(c.name)}/dead-letters`}>{count(c.metrics.dead_letters)}</a>
                    ) : (
                      count(c.metrics?.dead_letters)
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
