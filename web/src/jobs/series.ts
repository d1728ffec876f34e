/**
 * Curves of a job's metrics against the optimizer step, built from its events as they arrive (or
 * from polled snapshots). Each event carries the latest value of every metric the worker has seen.
 * Evaluation metrics (eval_*) are measured every eval_steps only and repeat in the events between
 * evaluations: they get a point only when their value changes. Every other metric (loss, learning
 * rate, throughput, the DPO rewards) gets one point per step reported.
 */

function measuredNowAndThen(name: string): boolean {
  return name.startsWith('eval_');
}

/** The charts the job page draws, and which metrics go on each. */
export const CHARTS: { id: string; title: string; metrics: string[]; yLabel: string }[] = [
  { id: 'loss', title: 'Loss', metrics: ['loss', 'eval_loss'], yLabel: 'loss' },
  { id: 'learning-rate', title: 'Learning rate', metrics: ['learning_rate'], yLabel: 'learning rate' },
  { id: 'rewards', title: 'DPO rewards', metrics: ['rewards/chosen', 'rewards/rejected', 'rewards/margins'], yLabel: 'reward' },
  { id: 'accuracy', title: 'DPO reward accuracy', metrics: ['rewards/accuracies'], yLabel: 'accuracy' },
  { id: 'throughput', title: 'Throughput', metrics: ['tokens_per_second'], yLabel: 'tokens/s' },
];

export type Point = [step: number, value: number];

export class MetricSeries {
  private readonly points = new Map<string, Point[]>();

  /** Adds what one report says at `step`; returns whether any curve changed. */
  add(step: number, metrics: Record<string, number> | undefined | null): boolean {
    if (!metrics || !Number.isFinite(step)) return false;
    let changed = false;
    for (const [name, value] of Object.entries(metrics)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      const list = this.points.get(name) ?? [];
      const last = list[list.length - 1];
      if (last && step < last[0]) continue; // older than what is drawn: a replay we already have
      if (!measuredNowAndThen(name)) {
        if (last && last[0] === step) {
          if (last[1] === value) continue;
          list[list.length - 1] = [step, value];
        } else {
          list.push([step, value]);
        }
      } else {
        if (last && last[1] === value) continue;
        if (last && last[0] === step) list[list.length - 1] = [step, value];
        else list.push([step, value]);
      }
      this.points.set(name, list);
      changed = true;
    }
    return changed;
  }

  get(name: string): Point[] {
    return this.points.get(name) ?? [];
  }

  names(): string[] {
    return [...this.points.keys()];
  }

  /** uPlot's aligned form: the union of steps, then each metric's value at each step or null. */
  aligned(names: string[]): [number[], ...(number | null)[][]] {
    const steps = new Set<number>();
    for (const n of names) for (const [s] of this.get(n)) steps.add(s);
    const xs = [...steps].sort((a, b) => a - b);
    const index = new Map(xs.map((s, i) => [s, i]));
    const columns = names.map((n) => {
      const column: (number | null)[] = new Array(xs.length).fill(null);
      for (const [s, v] of this.get(n)) column[index.get(s)!] = v;
      return column;
    });
    return [xs, ...columns];
  }
}
