// Bundles the console (src/main.tsx, its CSS and uPlot's) into dist/: index.html, app.js,
// app.css. `inlet serve` embeds dist/ when it is built (crates/serve/src/api/web.rs).
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";

rmSync("dist", { recursive: true, force: true });
mkdirSync("dist");
await build({
  entryPoints: { app: "src/main.tsx" },
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2022",
  outdir: "dist",
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "eof",
  logLevel: "warning",
});
copyFileSync("index.html", "dist/index.html");
console.log("console built into console/dist");
