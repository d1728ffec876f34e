import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface LineSeries {
  label: string;
  /** [x, y] in ascending x. */
  points: [number, number][];
}

// Distinguishable in colour and in dash pattern (for colour-blind readers and print), each at least
// 4.5:1 against white.
const STYLES: { stroke: string; dash?: number[] }[] = [
  { stroke: '#0b5cad' },
  { stroke: '#b3261e', dash: [6, 4] },
  { stroke: '#1a7f37', dash: [2, 3] },
  { stroke: '#7a3e9d', dash: [10, 3, 2, 3] },
];

function aligned(series: LineSeries[]): uPlot.AlignedData {
  const xs = [...new Set(series.flatMap((s) => s.points.map(([x]) => x)))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const columns = series.map((s) => {
    const column: (number | null)[] = new Array(xs.length).fill(null);
    for (const [x, y] of s.points) column[index.get(x)!] = y;
    return column;
  });
  return [xs, ...columns] as uPlot.AlignedData;
}

/** The text a screen reader gets instead of the drawing. */
export function summary(title: string, series: LineSeries[]): string {
  const parts = series
    .filter((s) => s.points.length > 0)
    .map((s) => {
      const [x, y] = s.points[s.points.length - 1];
      return `${s.label}: ${s.points.length} points, latest ${formatValue(y)} at step ${x}`;
    });
  return `${title}. ${parts.join('; ') || 'no data yet'}.`;
}

export function formatValue(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) return v.toExponential(2);
  return Number(v.toPrecision(4)).toString();
}

/**
 * Tick labels with as many digits as the spacing of the ticks needs (uPlot passes it as `increment`),
 * in exponent form for very small or very large scales.
 */
export function tickLabels(vals: number[], increment?: number): string[] {
  const spacing = increment && increment > 0 ? increment : vals.length > 1 ? Math.abs(vals[1] - vals[0]) : 0;
  const magnitudes = vals.filter((v) => v !== 0).map(Math.abs);
  const largest = magnitudes.length ? Math.max(...magnitudes) : 0;
  if (largest > 0 && (largest < 1e-3 || largest >= 1e5)) {
    // enough mantissa digits that neighbouring ticks differ
    const digits = spacing > 0 ? Math.min(8, Math.max(1, Math.ceil(Math.floor(Math.log10(largest)) - Math.log10(spacing) - 1e-9))) : 1;
    return vals.map((v) => (v === 0 ? '0' : v.toExponential(digits)));
  }
  const decimals = spacing > 0 ? Math.min(8, Math.max(0, Math.ceil(-Math.log10(spacing) - 1e-9))) : 0;
  return vals.map((v) => v.toFixed(decimals));
}

/** A live line chart (uPlot): data updates redraw it in place; it follows its container's width. */
export function LineChart({ id, title, series, xLabel, yLabel }: { id: string; title: string; series: LineSeries[]; xLabel: string; yLabel: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const labels = series.map((s) => s.label).join('|');
  const points = series.reduce((n, s) => n + s.points.length, 0);

  useEffect(() => {
    const el = box.current!;
    const width = Math.max(280, el.clientWidth);
    const opts: uPlot.Options = {
      width,
      height: 220,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false } },
      axes: [
        { label: xLabel, stroke: '#333', grid: { stroke: '#e4e4e4' }, ticks: { stroke: '#bbb' } },
        { label: yLabel, stroke: '#333', grid: { stroke: '#e4e4e4' }, ticks: { stroke: '#bbb' }, size: 64, values: (_u, vals, _axis, _space, increment) => tickLabels(vals, increment) },
      ],
      series: [
        { label: xLabel },
        ...series.map((s, i) => {
          const style = STYLES[i % STYLES.length];
          return {
            label: s.label,
            stroke: style.stroke,
            dash: style.dash,
            width: 2,
            spanGaps: true,
            points: { show: true, size: 5, fill: style.stroke },
            value: (_u: uPlot, v: number | null) => (v === null ? '–' : formatValue(v)),
          };
        }),
      ],
    };
    const u = new uPlot(opts, aligned(series), el);
    plot.current = u;
    const observer = new ResizeObserver(() => {
      const w = Math.max(280, el.clientWidth);
      if (w !== u.width) u.setSize({ width: w, height: 220 });
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      u.destroy();
      plot.current = null;
    };
    // A new chart only when the set of lines changes; new points are drawn by setData below.
  }, [labels]);

  useEffect(() => {
    plot.current?.setData(aligned(series));
  }, [series, points]);

  return (
    <figure class="chart" id={`chart-${id}`} data-points={points}>
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={summary(title, series)} />
    </figure>
  );
}
