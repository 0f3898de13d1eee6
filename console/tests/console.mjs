// The console in a real browser: Debian's Chromium, headless, driven by playwright-core.
// Run by crates/cli/tests/integration/console.rs, which starts inlet serve, makes the
// topics, records, tables and the "narrow" connector (one poison record), and passes them in the
// environment. Each step asserts what a user would see; the database is read (pg) to check
// what the console claims. Prints the page's load time (not asserted) and saves a
// screenshot of each wizard step and of the pages to $SCREENSHOTS.
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import pg from "pg";

const env = process.env;
for (const key of ["INLET_URL", "DATABASE_URL", "TOPIC", "KAFKA_SASL", "SASL_USER", "SASL_PASSWORD", "REGISTRY", "LOCKED_REGISTRY", "LOCKED_REGISTRY_KEY", "NARROW", "NARROW_TOPIC", "SCREENSHOTS", "CHROMIUM"]) {
  if (!env[key]) throw new Error(`${key} is not set: run this through cargo nextest (crates/cli/tests/integration/console.rs)`);
}
const URL = env.INLET_URL;
const NAME = "readings-console";

// The flags the machine notes give: no sandbox as root, and no background connections
// (this machine's network refuses them).
const browser = await chromium.launch({
  executablePath: env.CHROMIUM,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const db = new pg.Client({ connectionString: env.DATABASE_URL });
await db.connect();

const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
const page = await context.newPage();
page.setDefaultTimeout(30_000);
const offsite = [];
page.on("request", (r) => {
  if (!r.url().startsWith(URL) && !r.url().startsWith("data:")) offsite.push(r.url());
});
const pageErrors = [];
page.on("pageerror", (e) => pageErrors.push(String(e)));

async function count(sql) {
  return Number((await db.query(sql)).rows[0].count);
}
async function shot(name, p = page) {
  await p.screenshot({ path: `${env.SCREENSHOTS}/${name}.png`, fullPage: true });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function eventually(what, check, ms = 60_000) {
  const until = Date.now() + ms;
  for (;;) {
    const got = await check();
    if (got) return got;
    if (Date.now() > until) throw new Error(`not within ${ms / 1000} s: ${what}`);
    await sleep(500);
  }
}
async function step(name, body) {
  const started = Date.now();
  process.stdout.write(`console: ${name} … `);
  await body();
  console.log(`ok (${Date.now() - started} ms)`);
}
const heading = (text) => page.getByRole("heading", { name: text, exact: false });

await step("the page loads from the server alone and lists the connectors", async () => {
  await page.goto(`${URL}/`);
  await heading("Connectors").first().waitFor();
  await page.locator('tr[data-connector="narrow"]').waitFor();
  const timing = await page.evaluate(() => {
    const n = performance.getEntriesByType("navigation")[0];
    return { load: n.loadEventEnd - n.startTime, dom: n.domContentLoadedEventEnd - n.startTime };
  });
  console.log(`\n  page load on loopback: ${timing.load.toFixed(0)} ms (DOM ready ${timing.dom.toFixed(0)} ms) — printed, not asserted`);
});

await step("keyboard: Tab reaches the navigation with a visible focus ring", async () => {
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  const focused = await page.evaluate(() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    return { tag: el.tagName, outline: style.outlineStyle, width: style.outlineWidth };
  });
  assert.equal(focused.tag, "A", `Tab landed on ${focused.tag}`);
  assert.notEqual(focused.outline, "none", "the focused link shows no outline");
});

await step("name: a taken name is refused on the field, a free one goes on (keyboard: Enter)", async () => {
  await page.getByRole("link", { name: "New connector" }).first().click();
  await heading("1. Name").waitFor();
  const name = page.getByLabel("Connector name");
  await name.fill("narrow");
  await name.press("Enter");
  await page.locator("#name-error").filter({ hasText: "exists already" }).waitFor();
  await name.fill("no spaces allowed");
  await name.press("Enter");
  await page.locator("#name-error").filter({ hasText: "letters, digits" }).waitFor();
  await name.fill(NAME);
  await shot("1-name");
  await name.press("Enter");
  await heading("2. Kafka").waitFor();
});

await step("kafka: brokers that do not answer are shown on the servers field", async () => {
  await page.getByLabel("Security protocol").selectOption("PLAINTEXT");
  await page.getByLabel("Bootstrap servers").fill("127.0.0.1:1");
  await page.getByRole("button", { name: "Authenticate" }).click();
  const error = page.locator("#kafka-bootstrap_servers-error");
  await error.waitFor({ timeout: 60_000 });
  // One sentence for a refused port and an unreachable host (the step is no port scanner).
  assert.match(await error.textContent(), /no Kafka broker answered.*cannot be reached.*check the host and port of kafka\.bootstrap_servers/s);
});

await step("kafka: a wrong API secret is shown on the secret field, with the fix", async () => {
  await page.getByLabel("Bootstrap servers").fill(env.KAFKA_SASL);
  await page.getByLabel("Security protocol").selectOption("SASL_PLAINTEXT");
  await page.getByLabel("SASL mechanism").selectOption("PLAIN");
  await page.getByLabel("API key").fill(env.SASL_USER);
  await page.getByLabel("API secret").fill("not-the-secret");
  await page.getByRole("button", { name: "Authenticate" }).click();
  const error = page.locator("#kafka-password-error");
  await error.waitFor({ timeout: 60_000 });
  const text = await error.textContent();
  assert.match(text, /credentials were refused/, text);
  assert.match(text, /kafka\.password/, "the message says what to check");
  assert.equal(await page.getByLabel("API secret").getAttribute("aria-invalid"), "true");
  assert.ok(await page.getByRole("button", { name: "Next" }).isDisabled(), "Next is open after a failed check");
  await shot("2-kafka-wrong-secret");
});

await step("kafka: the right secret authenticates and shows the cluster", async () => {
  await page.getByLabel("API secret").fill(env.SASL_PASSWORD);
  await page.getByRole("button", { name: "Authenticate" }).click();
  await page.locator("[data-kafka-ok]").waitFor({ timeout: 60_000 });
  assert.match(await page.locator("[data-kafka-ok]").textContent(), /topic\(s\) visible/);
  await shot("2-kafka");
  await page.getByRole("button", { name: "Next" }).click();
  await heading("3. Format and registry").waitFor();
});

await step("registry: a wrong secret is shown on the secret field", async () => {
  await page.getByLabel("Schema Registry URL").fill(env.LOCKED_REGISTRY);
  await page.getByLabel("API key (optional)").fill(env.LOCKED_REGISTRY_KEY);
  await page.getByLabel("API secret (optional)").fill("not-the-secret");
  await page.getByRole("button", { name: "Authenticate" }).click();
  const error = page.locator("#registry-secret-error");
  await error.waitFor();
  assert.match(await error.textContent(), /refused the credentials/);
  await shot("3-registry-wrong-secret");
});

await step("registry: the topics' registry authenticates", async () => {
  await page.getByLabel("Schema Registry URL").fill(env.REGISTRY);
  await page.getByLabel("API key (optional)").fill("");
  await page.getByLabel("API secret (optional)").fill("");
  await page.getByRole("button", { name: "Authenticate" }).click();
  await page.locator("[data-registry-ok]").waitFor();
  await shot("3-registry");
  await page.getByRole("button", { name: "Next" }).click();
  await heading("4. Topics").waitFor();
});

await step("topics: the cluster's topics with partitions and value schema; pick one", async () => {
  await page.getByLabel("Filter topics").fill(env.TOPIC);
  const row = page.locator("tr", { has: page.getByLabel(env.TOPIC, { exact: true }) });
  await row.waitFor({ timeout: 60_000 });
  assert.match(await row.textContent(), new RegExp(`2.*${env.TOPIC}-value`));
  await page.getByLabel(env.TOPIC, { exact: true }).check();
  // Its latest schema id (looked up by name once chosen, on a cluster of many topics).
  await row.filter({ hasText: /latest schema id \d+/ }).waitFor();
  await shot("4-topics");
  await page.getByRole("button", { name: "Next" }).click();
  await heading("5. Schema and table").waitFor();
});

await step("table: a new table from the schema, its DDL shown before it runs", async () => {
  await page.getByLabel("Table", { exact: true }).fill("readings_console");
  await page.locator("[data-table-state]").filter({ hasText: "does not exist" }).waitFor();
  const ddl = await page.locator("[data-ddl]").textContent();
  assert.match(ddl, /CREATE TABLE "public"\."readings_console"/, ddl);
  assert.equal(await count("SELECT count(*) FROM pg_tables WHERE tablename = 'readings_console'"), 0, "the table was made before Create");
  // The same name typed again (select it, type it): the proposal stays, Next stays open.
  await page.getByLabel("Table", { exact: true }).fill("readings_console");
  await sleep(800);
  await page.locator("[data-table-state]").filter({ hasText: "does not exist" }).waitFor();
  assert.ok(await page.getByRole("button", { name: "Next" }).isEnabled(), "Next is disabled after the same name was typed again");
  // TimescaleDB is absent: no time column is offered, none will be written.
  assert.ok(await page.getByLabel("Time column (hypertable)").isDisabled());
  await shot("5-table");
  await page.getByRole("button", { name: "Next" }).click();
  await heading("6. Map columns").waitFor();
});

const previewCell = async (column) => {
  const headers = await page.locator("table.preview thead th").allTextContents();
  const index = headers.findIndex((h) => h.startsWith(column));
  assert.ok(index >= 0, `no preview column ${column} in ${headers}`);
  return { type: headers[index].slice(column.length), value: await page.locator(`table.preview tbody tr:not(.dead) >> nth=0 >> td >> nth=${index}`).textContent() };
};

await step("map: the preview shows real records as rows; a change of source and type shows in it", async () => {
  await page.locator("[data-preview-summary]").filter({ hasText: "row(s)" }).waitFor({ timeout: 60_000 });
  assert.equal((await previewCell("site")).value, "lyon");
  assert.equal((await previewCell("rssi")).type, "integer");
  await page.getByLabel("Source of column site").selectOption("kafka.topic");
  await page.getByLabel("Type of column rssi").selectOption("bigint");
  await eventually("the preview shows the new source and type", async () => {
    try {
      return (await previewCell("site")).value === env.TOPIC && (await previewCell("rssi")).type === "bigint";
    } catch {
      return false;
    }
  }, 30_000);
  await shot("6-map");
});

await step("map: varchar and numeric take a length or a precision, checked as PostgreSQL takes them", async () => {
  await page.getByLabel("Type of column device_id").selectOption("character varying");
  const length = page.getByLabel("Length of column device_id");
  await length.fill("0");
  const error = page.locator("tr.invalid small.error");
  await error.waitFor();
  assert.match(await error.textContent(), /character varying takes a length from 1 to 10485760, not "0"/);
  assert.ok(await page.getByRole("button", { name: "Next" }).isDisabled(), "Next stays closed with a length PostgreSQL refuses");
  await length.fill("64");
  await eventually("the preview types device_id character varying(64)", async () => {
    try {
      return (await previewCell("device_id")).type === "character varying(64)";
    } catch {
      return false;
    }
  }, 30_000);
});

await step("map: a NOT NULL column without a source blocks Create with the reason", async () => {
  await page.getByLabel("Source of column note").selectOption("");
  await page.getByLabel("Column note allows NULL").uncheck();
  const error = page.locator("tr.invalid small.error");
  await error.waitFor();
  assert.match(await error.textContent(), /note is NOT NULL and has no source/);
  assert.ok(await page.getByRole("button", { name: "Next" }).isDisabled(), "Next stays open with an unsound column");
  await shot("6-map-blocked");
  await page.getByLabel("Column note allows NULL").check();
  await page.getByLabel("Source of column note").selectOption("note");
  await page.locator("[data-preview-summary]").waitFor();
  await page.getByRole("button", { name: "Next" }).click();
  await heading("7. Create").waitFor();
});

await step("create and start: the table is made, the connector runs, rows arrive", async () => {
  await page.getByText("Advanced").click();
  await page.getByLabel("Insert mode").waitFor();
  await shot("7-create");
  await page.getByRole("button", { name: "Create and start" }).click();
  await page.waitForURL(`**/#/connectors/${NAME}`);
  await page.locator(".state", { hasText: "RUNNING" }).first().waitFor({ timeout: 60_000 });
  const rows = await eventually("200 rows in public.readings_console", async () => {
    const n = await count("SELECT count(*) FROM public.readings_console");
    return n >= 200 && n;
  });
  const site = (await db.query("SELECT site FROM public.readings_console LIMIT 1")).rows[0].site;
  assert.equal(site, env.TOPIC, "site is filled from kafka.topic, as mapped");
  const rssi = (await db.query("SELECT data_type FROM information_schema.columns WHERE table_name = 'readings_console' AND column_name = 'rssi'")).rows[0].data_type;
  const deviceId = (await db.query("SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = 'public.readings_console'::regclass AND attname = 'device_id'")).rows[0].t;
  assert.equal(deviceId, "character varying(64)", "the length typed is the column's");
  assert.equal(rssi, "bigint");
  const stored = (await db.query("SELECT config FROM inlet.connectors WHERE name = $1", [NAME])).rows[0].config;
  assert.equal(stored.time_column, undefined, `time_column was written without TimescaleDB: ${JSON.stringify(stored)}`);
  console.log(`\n  ${rows} rows stored`);
});

await step("the connector page: figures, partitions, chart, schemas", async () => {
  await eventually("the page shows rows", async () => (await page.locator('[data-figure="rows"]').textContent()) !== "–");
  await page.getByRole("heading", { name: "Partitions" }).waitFor();
  await page.locator("figure.chart").waitFor();
  await shot("connector");
});

await step("pause: no rows while paused, then resume and rows arrive again", async () => {
  await page.getByRole("button", { name: "Pause", exact: true }).click();
  await page.locator("h1 .state", { hasText: "PAUSED" }).waitFor();
  await eventually("every task PAUSED", async () => {
    const states = await page.locator("table tbody .state").allTextContents();
    return states.length > 0 && states.every((s) => s === "PAUSED");
  });
  const before = await count("SELECT count(*) FROM public.readings_console");
  await sleep(5000);
  const after = await count("SELECT count(*) FROM public.readings_console");
  assert.equal(after, before, "rows were stored while paused");
  await shot("connector-paused");
  await page.getByRole("button", { name: "Resume" }).click();
  await page.locator("h1 .state", { hasText: "RUNNING" }).waitFor();
  await eventually("rows arrive after resume", async () => (await count("SELECT count(*) FROM public.readings_console")) > after);
});

await step("two tabs edit one configuration: the second save is refused with what changed, nothing is lost", async () => {
  const other = await context.newPage();
  for (const p of [page, other]) {
    await p.goto(`${URL}/#/connectors/${NAME}`);
    await p.getByRole("button", { name: "Edit configuration" }).click();
  }
  const edit = async (p, key, value) => {
    const area = p.getByLabel(/flat configuration/);
    const config = JSON.parse(await area.inputValue());
    config[key] = value;
    await area.fill(JSON.stringify(config, null, 2));
    await p.getByRole("button", { name: "Save" }).click();
  };
  await edit(page, "batch.linger_ms", "120");
  await page.getByText("Saved: the tasks start again").waitFor();
  await edit(other, "batch.max_rows", "4000");
  const refused = other.getByRole("alert").filter({ hasText: "changed elsewhere" });
  await refused.waitFor();
  assert.match(await refused.textContent(), /batch\.linger_ms/);
  await shot("connector-conflict", other);
  const stored = (await db.query("SELECT config FROM inlet.connectors WHERE name = $1", [NAME])).rows[0].config;
  assert.equal(stored["batch.linger_ms"], "120", "the first edit is gone");
  assert.notEqual(stored["batch.max_rows"], "4000", "the stale edit overwrote the first");
  await other.getByRole("button", { name: "Reload the configuration" }).click();
  await other.getByRole("button", { name: "Edit configuration" }).waitFor();
  await other.close();
  await page.locator("h1 .state", { hasText: "RUNNING" }).waitFor({ timeout: 60_000 });
});

await step("delete: the confirmation says the dead letters go too", async () => {
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  const dialog = page.getByRole("dialog");
  assert.match(await dialog.textContent(), /secrets and dead letters are deleted/);
  await dialog.getByRole("button", { name: "Cancel" }).click();
});

await step("the list shows the new connector RUNNING", async () => {
  await page.goto(`${URL}/#/`);
  const row = page.locator(`tr[data-connector="${NAME}"]`);
  await row.locator(".state", { hasText: "RUNNING" }).waitFor();
  await shot("connectors");
});

await step("dead letters: the poison record with its reason, as hex and JSON", async () => {
  await page.goto(`${URL}/#/connectors/${env.NARROW}/dead-letters`);
  await heading("Dead letters of").waitFor();
  const row = page.locator("tr[data-dead-letter]").first();
  await eventually("the poison record is a dead letter", async () => {
    if (await row.count()) return true;
    await page.reload();
    await heading("Dead letters of").waitFor();
    return false;
  });
  assert.match(await row.locator("td.reason").textContent(), /character varying\(8\)/);
  await row.getByRole("button", { name: "Show record" }).click();
  const json = page.getByLabel("Value as JSON");
  await json.waitFor();
  assert.match(await json.textContent(), /"device_id": "dev-123456"/);
  assert.match(await page.getByLabel("Value as hex").textContent(), /^000000 {2}00 00 00 00/);
  await shot("dead-letters");
});

await step("offsets reset to earliest over a dead letter: the connector runs on, the dead letter counts a second attempt", async () => {
  await page.goto(`${URL}/#/connectors/${env.NARROW}`);
  await page.getByRole("button", { name: "Stop", exact: true }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Stop" }).click();
  await page.locator("h1 .state", { hasText: "STOPPED" }).waitFor({ timeout: 60_000 });
  const input = page.getByLabel(`New offset of ${env.NARROW_TOPIC} partition 0`);
  await input.waitFor();
  await page.locator("tr", { has: input }).getByRole("button", { name: "Earliest" }).click();
  await page.getByRole("button", { name: "Change 1 offset" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Change offsets" }).click();
  await page.getByText("Offsets of 1 partition(s) changed").waitFor();
  await page.getByRole("button", { name: "Start", exact: true }).click();
  await page.locator("h1 .state", { hasText: "RUNNING" }).waitFor({ timeout: 60_000 });
  await eventually("the poison record met again", async () => {
    const r = await db.query("SELECT attempts FROM inlet.dead_letters WHERE connector = $1", [env.NARROW]);
    return r.rows.length === 1 && r.rows[0].attempts === 2;
  });
  // Still RUNNING once the records were read again (it went FAILED on the dead letter's key).
  await sleep(3000);
  await page.reload();
  await page.locator("h1 .state", { hasText: "RUNNING" }).waitFor();
  await page.goto(`${URL}/#/connectors/${env.NARROW}/dead-letters`);
  const row = page.locator("tr[data-dead-letter]");
  await row.first().waitFor();
  assert.equal(await row.count(), 1, "the record met again is one dead letter");
  assert.match(await row.first().locator("td[data-attempts]").textContent(), /^2, last /);
});

await step("replay before the fix: still a dead letter, with the reason", async () => {
  await page.locator("tr[data-dead-letter]").first().getByRole("checkbox").check();
  await page.getByRole("button", { name: /Replay 1 selected/ }).click();
  const results = page.locator("[data-replay-results]");
  await results.waitFor();
  assert.match(await results.textContent(), /0 stored as rows, 1 not/);
  assert.match(await results.textContent(), /still cannot be stored/);
});

await step("widen the column, replay: the row lands once", async () => {
  await db.query("ALTER TABLE narrow ALTER COLUMN device_id TYPE text");
  await page.locator("tr[data-dead-letter]").first().getByRole("checkbox").check();
  await page.getByRole("button", { name: /Replay 1 selected/ }).click();
  await page.locator("[data-replay-results]").filter({ hasText: "1 stored as rows" }).waitFor();
  assert.equal(await count("SELECT count(*) FROM narrow WHERE device_id = 'dev-123456'"), 1);
  await page.locator("p.empty", { hasText: "No dead letter waits" }).waitFor();
  await shot("dead-letters-replayed");
});

await step("discard: selected dead letters, then every one of a reason, each confirmed and counted", async () => {
  for (const [offset, reason, code] of [[1001, "unknown schema id 77", "unknown_schema"], [1002, "unknown schema id 77", "unknown_schema"], [1003, "not a Confluent frame", "bad_frame"]]) {
    await db.query(`INSERT INTO inlet.dead_letters (connector, topic, "partition", "offset", error, reason_code, key, value, headers) VALUES ($1, $2, 0, $3, $4, $5, convert_to('device-7', 'UTF8'), convert_to('plain text, not a frame', 'UTF8'), '[{"key": "trace-id", "value": "abc-123"}, {"key": "raw", "value": "\\\\x00ff"}]')`, [env.NARROW, env.NARROW_TOPIC, offset, reason, code]);
  }
  await page.reload();
  await heading("Dead letters of").waitFor();
  await eventually("three dead letters shown", async () => (await page.locator("tr[data-dead-letter]").count()) === 3);
  // A key and a value that are text are shown as text; the headers are listed.
  const plain = page.locator("tr[data-dead-letter]", { hasText: "not a Confluent frame" });
  await plain.getByRole("button", { name: "Show record" }).click();
  await page.getByLabel("Key as text").waitFor();
  assert.equal(await page.getByLabel("Key as text").textContent(), "device-7");
  assert.equal(await page.getByLabel("Value as text").textContent(), "plain text, not a frame");
  const headers = await page.getByRole("table", { name: "Headers" }).locator("tbody tr").allTextContents();
  assert.deepEqual(headers, ["trace-idabc-123", "raw\\x00ff"]);
  await shot("dead-letter-text");
  await plain.getByRole("button", { name: "Hide record" }).click();
  // By kind (the reason code): only the one that is not a Confluent frame, then all again.
  await page.getByLabel("Kind").selectOption({ label: "Not a Confluent frame (1)" });
  await eventually("one dead letter of that kind shown", async () => (await page.locator("tr[data-dead-letter]").count()) === 1);
  assert.equal(await page.locator("tr[data-dead-letter] [data-reason-code]").getAttribute("data-reason-code"), "bad_frame");
  await page.getByLabel("Kind").selectOption({ value: "" });
  await eventually("three dead letters shown again", async () => (await page.locator("tr[data-dead-letter]").count()) === 3);
  await page.locator("tr[data-dead-letter]", { hasText: "not a Confluent frame" }).getByRole("checkbox").check();
  await page.getByRole("button", { name: /Discard 1 selected/ }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Discard" }).click();
  await page.getByText("Discarded 1 dead letter.").waitFor();
  await page.getByLabel("Reason").selectOption({ label: "unknown schema id 77 (2)" });
  await page.getByRole("button", { name: "Discard all of this reason" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Discard" }).click();
  await page.getByText("Discarded 2 dead letters.").waitFor();
  assert.equal(await count(`SELECT count(*) FROM inlet.dead_letters WHERE connector = '${env.NARROW}' AND replayed_at IS NULL`), 0);
  assert.equal(await count("SELECT count(*) FROM inlet.audit WHERE action LIKE 'discard%'"), 2);
});

await step("stop, then offsets: earliest and latest per partition; reset one", async () => {
  await page.goto(`${URL}/#/connectors/${NAME}`);
  await page.getByRole("button", { name: "Stop", exact: true }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Stop" }).click();
  await page.locator("h1 .state", { hasText: "STOPPED" }).waitFor({ timeout: 60_000 });
  await page.getByRole("heading", { name: "Offsets" }).waitFor();
  const input = page.getByLabel(`New offset of ${env.TOPIC} partition 0`);
  await input.waitFor();
  await page.locator("tr", { has: input }).getByRole("button", { name: "Earliest" }).click();
  assert.equal(await input.inputValue(), "0");
  await page.getByRole("button", { name: "Change 1 offset" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Change offsets" }).click();
  await page.getByText("Offsets of 1 partition(s) changed").waitFor();
  const stored = await eventually("offset 0 stored", async () => {
    const r = await db.query("SELECT next_offset FROM inlet.offsets WHERE connector = $1 AND topic = $2 AND partition = 0", [NAME, env.TOPIC]);
    return r.rows.length && String(r.rows[0].next_offset) === "0" ? "0" : false;
  }, 10_000);
  assert.equal(stored, "0");
  await shot("connector-offsets");
  await page.getByRole("button", { name: "Start", exact: true }).click();
  await page.locator("h1 .state", { hasText: "RUNNING" }).waitFor({ timeout: 60_000 });
});

await step("the connector page's chart, for the README's screenshot (waits for samples; not asserted)", async () => {
  await page.goto(`${URL}/#/connectors/${NAME}`);
  const caption = page.locator("figure.chart figcaption");
  await caption.waitFor();
  const until = Date.now() + 45_000;
  while (Date.now() < until && !(await caption.textContent()).includes("last:")) await sleep(1000);
  await shot("connector");
});

await step("a phone's width: no sideways scrolling on the list and the wizard", async () => {
  // A dead letter with a long reason, to be read whole at 390 px.
  await db.query(`INSERT INTO inlet.dead_letters (connector, topic, "partition", "offset", error, reason_code) VALUES ($1, $2, 0, 2001, $3, 'value_refused')`, [env.NARROW, env.NARROW_TOPIC, "field device_id: value \"dev-123456789\" cannot be stored in column device_id (character varying(8)): it is 13 characters, more than the 8 the column takes"]);
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const small = await phone.newPage();
  for (const [hash, name] of [["#/", "list"], ["#/new", "wizard"], [`#/connectors/${NAME}`, "connector"], [`#/connectors/${env.NARROW}/dead-letters`, "dead-letters"]]) {
    await small.goto(`${URL}/${hash}`);
    await small.getByRole("heading").first().waitFor();
    await sleep(300);
    const width = await small.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 391, `the page is ${width} px wide at 390 px (${hash})`);
    if (name === "dead-letters") {
      const reason = small.locator("tr[data-dead-letter] td.reason").first();
      await reason.waitFor();
      const box = await reason.boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 391, `the reason is at ${JSON.stringify(box)} at 390 px`);
    }
    await shot(`phone-${name}`, small);
  }
  await phone.close();
});

await step("a JSON topic: no registry, the table made from a sample of its records, rows arrive", async () => {
  await page.goto(`${URL}/#/new`);
  await heading("1. Name").waitFor();
  await page.getByLabel("Connector name").fill("clicks-json");
  await page.getByLabel("Connector name").press("Enter");
  await heading("2. Kafka").waitFor();
  await page.getByLabel("Security protocol").selectOption("PLAINTEXT");
  await page.getByLabel("Bootstrap servers").fill(env.KAFKA);
  await page.getByRole("button", { name: "Authenticate" }).click();
  await page.locator("[data-kafka-ok]").waitFor({ timeout: 60_000 });
  await page.getByRole("button", { name: "Next" }).click();
  await heading("3. Format and registry").waitFor();
  await page.getByLabel(/JSON documents/).check();
  await page.locator("[data-no-registry]").waitFor();
  assert.equal(await page.getByLabel("Schema Registry URL").count(), 0, "a JSON topic is asked no registry");
  await shot("3-format-json");
  await page.getByRole("button", { name: "Next" }).click();
  await heading("4. Topics").waitFor();
  await page.getByLabel("Filter topics").or(page.getByRole("alert")).first().waitFor({ timeout: 60_000 });
  const refused = page.getByRole("alert");
  if (await refused.count()) throw new Error(`the topics step says: ${await refused.first().textContent()}`);
  await page.getByLabel("Filter topics").fill(env.JSON_TOPIC);
  const row = page.locator("tr", { has: page.getByLabel(env.JSON_TOPIC, { exact: true }) });
  await row.waitFor({ timeout: 60_000 });
  assert.match(await row.textContent(), /none needed \(json\)/);
  await page.getByLabel(env.JSON_TOPIC, { exact: true }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await heading("5. Schema and table").waitFor();
  await page.getByLabel("Table", { exact: true }).fill("clicks_json");
  await page.locator("[data-table-state]").filter({ hasText: "does not exist" }).waitFor({ timeout: 60_000 });
  const ddl = await page.locator("[data-ddl]").textContent();
  assert.match(ddl, /"device_id" text/, ddl);
  assert.match(ddl, /"ts" timestamp with time zone/, ddl);
  assert.match(ddl, /"geo_lat" double precision/, ddl);
  await page.getByRole("button", { name: "Next" }).click();
  await heading("6. Map columns").waitFor();
  await page.locator("[data-preview-summary]").filter({ hasText: "row(s)" }).waitFor({ timeout: 60_000 });
  assert.match((await previewCell("device_id")).value, /^dev-\d$/);
  await shot("6-map-json");
  await page.getByRole("button", { name: "Next" }).click();
  await heading("7. Create").waitFor();
  await page.getByRole("button", { name: "Create and start" }).click();
  await page.waitForURL("**/#/connectors/clicks-json");
  await page.locator(".state", { hasText: "RUNNING" }).first().waitFor({ timeout: 60_000 });
  await eventually("every JSON document in public.clicks_json", async () => (await count("SELECT count(*) FROM public.clicks_json")) === Number(env.JSON_COUNT));
});

assert.deepEqual(offsite, [], "the page asked for something outside the server");
assert.deepEqual(pageErrors, [], "the page threw");
await db.end();
await browser.close();
console.log("console: every step passed");
