import { describe, expect, it } from 'vitest';
import { MetricSeries } from '../src/jobs/series';

describe('MetricSeries', () => {
  it('gives step metrics a point per step and measured-now-and-then metrics a point per new value', () => {
    const s = new MetricSeries();
    s.add(1, { loss: 3.0, learning_rate: 1e-4 });
    s.add(2, { loss: 2.5, learning_rate: 2e-4 });
    s.add(2, { loss: 2.5, learning_rate: 2e-4, eval_loss: 2.8 }); // evaluation at step 2
    s.add(3, { loss: 2.5, learning_rate: 2e-4, eval_loss: 2.8 }); // eval_loss repeats: no new point
    s.add(4, { loss: 2.0, eval_loss: 2.4 });
    expect(s.get('loss')).toEqual([[1, 3], [2, 2.5], [3, 2.5], [4, 2]]);
    expect(s.get('eval_loss')).toEqual([[2, 2.8], [4, 2.4]]);
    expect(s.get('learning_rate')).toEqual([[1, 1e-4], [2, 2e-4], [3, 2e-4]]);
  });

  it('skips replays older than what it has and non-numbers', () => {
    const s = new MetricSeries();
    expect(s.add(5, { loss: 1 })).toBe(true);
    expect(s.add(3, { loss: 9 })).toBe(false);
    expect(s.add(6, { loss: Number.NaN })).toBe(false);
    expect(s.add(5, { loss: 1 })).toBe(false);
    expect(s.get('loss')).toEqual([[5, 1]]);
  });

  it('aligns metrics on the union of their steps for the chart', () => {
    const s = new MetricSeries();
    s.add(1, { loss: 3 });
    s.add(2, { loss: 2, eval_loss: 2.5 });
    s.add(3, { loss: 1 });
    expect(s.aligned(['loss', 'eval_loss'])).toEqual([[1, 2, 3], [3, 2, 1], [null, 2.5, null]]);
  });
});
