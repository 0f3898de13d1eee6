// The setup wizard, in the steps (and the order) of the managed connector's console: name →
// Kafka (Authenticate) → schema registry (Authenticate) → topics → schema and table → map
// columns (with a live preview of real records) → create. Each step is checked by the
// server before the next opens; every call is one of the public API's (`/inlet/v1/…`,
// `/connectors`), with the configuration so far as Kafka Connect's flat map. The steps are
// in wizard/ (connect.tsx, table.tsx, create.tsx), the draft they fill in wizard/draft.ts.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type ConfigKeyInfo, type Proposal } from "./api";
import { Alert, message } from "./ui";
import { CreateStep } from "./wizard/create";
import { KafkaStep, NameStep, RegistryStep, TopicsStep } from "./wizard/connect";
import { type Defaults, type Draft, empty } from "./wizard/draft";
import { MapStep, TableStep } from "./wizard/table";

const STEPS = ["Name", "Kafka", "Format and registry", "Topics", "Schema and table", "Map columns", "Create"];

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
