// The console's shell: a header, and the page of the address's hash (#/ the connectors,
// #/new the setup wizard, #/connectors/NAME a connector, #/connectors/NAME/dead-letters its
// dead letters). Hash addresses keep every page at `/`, apart from the API's paths.
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ConnectorList } from "./connectors";
import { ConnectorPage } from "./connector";
import { DeadLetters } from "./dead_letters";
import { Wizard } from "./wizard";

function route(): string[] {
  return location.hash
    .replace(/^#\/?/, "")
    .split("/")
    .filter((p) => p !== "")
    .map(decodeURIComponent);
}

function App() {
  const [parts, setParts] = useState(route());
  useEffect(() => {
    const changed = () => {
      setParts(route());
      window.scrollTo(0, 0);
      // A new page: focus goes to its start, as after a page load.
      document.getElementById("main")?.focus();
    };
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  let page;
  let title = "Connectors";
  if (parts[0] === "new") {
    page = <Wizard />;
    title = "New connector";
  } else if (parts[0] === "connectors" && parts[1] && parts[2] === "dead-letters") {
    page = <DeadLetters name={parts[1]} />;
    title = `Dead letters of ${parts[1]}`;
  } else if (parts[0] === "connectors" && parts[1]) {
    page = <ConnectorPage name={parts[1]} />;
    title = parts[1];
  } else {
    page = <ConnectorList />;
  }
  useEffect(() => {
    document.title = `${title} · inlet`;
  }, [title]);
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById("main")?.focus(); }}>
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="#/">inlet</a>
        <nav aria-label="Main">
          <a href="#/" aria-current={parts.length === 0 || parts[0] === "connectors" ? "page" : undefined}>Connectors</a>
          <a class="button primary" href="#/new" aria-current={parts[0] === "new" ? "page" : undefined}>New connector</a>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>{page}</main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
