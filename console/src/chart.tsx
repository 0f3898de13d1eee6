// Throughput and lag over the last 15 minutes, drawn by uPlot (a small, well-kept charting
// library: canvas, no dependencies). The canvas is hidden from screen readers; the caption
// says the last sample's figures, and the page's figures and partition table say the rest.
import uPlot from "uplot";
import { useEffect, useRef } from "preact/hooks";
import type { Metrics } from "./api";

export function HistoryChart({ history }: { history: Metrics["history"] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data: uPlot.AlignedData = [
    history.map((h) => h.at_ms / 1000),
    history.map((h) => h.rows_per_second),
    history.map((h) => h.lag),
  ];
  useEffect(() => {
    if (!box.current) return;
    const width = () => Math.max(280, (box.current?.clientWidth ?? 600) - 8);
    const options: uPlot.Options = {
      width: width(),
      height: 220,
      // The series' names only: the caption says the figures.
      legend: { live: false },
      // Always the last 15 minutes, however few samples there are.
      scales: {
        x: { time: true, range: () => [Date.now() / 1000 - 900, Date.now() / 1000] },
        y: { range: (_u, _min, max) => [0, Math.max(10, max * 1.1)] },
        lag: { range: (_u, _min, max) => [0, Math.max(10, max * 1.1)] },
      },
      series: [
        {},
        { label: "rows/s", stroke: "#2563eb", width: 2, value: (_u, v) => (v == null ? "–" : v.toFixed(0)) },
        { label: "lag", stroke: "#d97706", width: 2, scale: "lag", value: (_u, v) => (v == null ? "–" : v.toFixed(0)) },
      ],
      axes: [{}, { label: "rows/s" }, { side: 1, scale: "lag", label: "lag", grid: { show: false } }],
    };
    plot.current = new uPlot(options, data, box.current);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: width(), height: 220 }));
    resize.observe(box.current);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);
  useEffect(() => {
    plot.current?.setData(data);
  }, [history]);
  const last = history[history.length - 1];
  return (
    <figure class="chart">
      <div ref={box} aria-hidden="true" />
      <figcaption>
        Rows per second and lag, per 15 s over the last 15 minutes
        {history.length === 0
          ? ": no samples yet (a running task reports every 15 s)."
          : `; last: ${last.rows_per_second.toFixed(0)} rows/s, lag ${last.lag ?? "unknown"}.`}
      </figcaption>
    </figure>
  );
}
